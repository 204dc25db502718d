//go:build e2e

package upload_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/upload"
)

// TestFaultsUploadStalled: a libvirtd that stops taking data in the
// middle of an upload (here stopped with SIGSTOP, as a hung daemon is)
// makes the upload fail once no byte has moved for the stall timeout,
// with an error that says so, instead of holding the create (and the up)
// forever. It stops the shared libvirtd: it runs alone (make check's
// DISRUPTIVE).
func TestFaultsUploadStalled(t *testing.T) {
	uri := env(t, "PEERPODS_E2E_LIBVIRT_URI")
	l, err := conn.Open(uri, conn.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Disconnect()
	pool := benchPool(t, l, "ppe2e-stall")
	const size = 256 << 20
	freshVolume(t, l, pool, "stall.img", size)
	src := filepath.Join(t.TempDir(), "src.img")
	sparseFile(t, src, size, size, 1<<20) // all data: more than the socket holds

	raw, err := os.ReadFile(filepath.Join(env(t, "PEERPODS_E2E_STATE"), "libvirtd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	resume := func() { syscall.Kill(pid, syscall.SIGCONT) }
	t.Cleanup(resume)
	defer upload.SetStallTimeout(2 * time.Second)()
	// Stopped once the upload's connection is open and the volume found.
	defer upload.SetBeforeUpload(func() {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Error(err)
		}
	})()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	_, err = upload.File(ctx, uri, conn.Credentials{}, "ppe2e-stall", "stall.img", src, nil)
	took := time.Since(start)
	resume()
	if err == nil || !strings.Contains(err.Error(), "libvirtd moved no data for 2s") {
		t.Fatalf("upload to a stopped libvirtd: %v (after %s); want the stall named", err, took)
	}
	if ctx.Err() != nil {
		t.Fatalf("the upload ended only with the test's own timeout (%s): %v", took, err)
	}
	t.Logf("failed after %s: %v", took.Round(time.Millisecond), err)
}
