//go:build e2e

package libvirt_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/problems"
)

// TestQemuImgImage checks the qcow2 detection against a real qemu-img
// image (qemu-img comes with the e2e backends).
func TestQemuImgImage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "real.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", path, "3G").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	args := remoteArgs(t)
	args.Image, args.Capacity = path, 3<<30-1
	r := run(t, args, true)
	if ies := problems.InputErrors(r.err); len(ies) != 1 || !strings.Contains(ies[0].Fix, "3221225472") {
		t.Fatalf("want a capacity error naming 3221225472, got %v", r.err)
	}
}
