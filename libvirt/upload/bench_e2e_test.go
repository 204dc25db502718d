//go:build e2e

package upload_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/image"
	"github.com/peerpods/provisioner/libvirt/upload"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
	"libvirt.org/go/libvirtxml"
)

// helperEnv makes the test binary a one-shot upload process (so that its
// peak RSS can be measured on its own): URI, pool, volume and file,
// separated by newlines.
const helperEnv = "PEERPODS_UPLOAD_HELPER"

// The helper's SSH credentials for a qemu+ssh URI (the test's own key).
const (
	helperKeyEnv     = "PEERPODS_UPLOAD_HELPER_KEY"
	helperHostKeyEnv = "PEERPODS_UPLOAD_HELPER_HOST_KEY"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(helperEnv); spec != "" {
		f := strings.Split(spec, "\n")
		creds := conn.Credentials{PrivateKey: os.Getenv(helperKeyEnv), HostKey: os.Getenv(helperHostKeyEnv)}
		if _, err := upload.File(context.Background(), f[0], creds, f[1], f[2], f[3], nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func env(tb testing.TB, key string) string {
	tb.Helper()
	v := os.Getenv(key)
	if v == "" {
		tb.Fatalf("%s is not set: run make e2e or make bench (they start the backends)", key)
	}
	return v
}

// benchPool creates (or reuses) a started dir pool for uploads.
func benchPool(tb testing.TB, l *libvirt.Libvirt, name string) libvirt.StoragePool {
	tb.Helper()
	if p, err := l.StoragePoolLookupByName(name); err == nil {
		return p
	}
	dir := filepath.Join(env(tb, "PEERPODS_E2E_POOL_DIR"), name)
	x, _ := (&libvirtxml.StoragePool{Type: "dir", Name: name, Target: &libvirtxml.StoragePoolTarget{Path: dir}}).Marshal()
	p, err := l.StoragePoolDefineXML(x, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if err := l.StoragePoolBuild(p, 0); err != nil {
		tb.Fatal(err)
	}
	if err := l.StoragePoolCreate(p, 0); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		l.StoragePoolDestroy(p)
		l.StoragePoolUndefine(p)
	})
	return p
}

// freshVolume (re)creates an empty sparse raw volume of size bytes.
func freshVolume(tb testing.TB, l *libvirt.Libvirt, pool libvirt.StoragePool, name string, size int64) libvirt.StorageVol {
	tb.Helper()
	if v, err := l.StorageVolLookupByName(pool, name); err == nil {
		if err := l.StorageVolDelete(v, 0); err != nil {
			tb.Fatal(err)
		}
	}
	x, _ := (&libvirtxml.StorageVolume{
		Name:       name,
		Capacity:   &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: uint64(size)},
		Allocation: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: 0},
		Target:     &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: "raw"}},
	}).Marshal()
	v, err := l.StorageVolCreateXML(pool, x, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// sparseFile writes size bytes with data chunks of chunk bytes spread
// evenly, data bytes in all, holes elsewhere.
func sparseFile(tb testing.TB, path string, size, data, chunk int64) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, chunk)
	n := data / chunk
	stride := size / n
	for i := int64(0); i < n; i++ {
		rand.Read(buf)
		if _, err := f.WriteAt(buf, i*stride); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Truncate(size); err != nil {
		tb.Fatal(err)
	}
}

// timed runs cmd and returns its wall time and peak RSS in bytes. Dirty
// pages of earlier uploads are written back first, so that neither side
// pays for the other's writeback.
func timed(tb testing.TB, cmd *exec.Cmd) (time.Duration, int64) {
	tb.Helper()
	syscall.Sync()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		tb.Fatalf("%s: %v\n%s", cmd.Args[0], err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return d, ru.Maxrss * 1024 // kilobytes on Linux
}

func allocated(tb testing.TB, path string) int64 {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		tb.Fatal(err)
	}
	return st.Blocks * 512
}

// BenchmarkSparseUpload uploads a 2 GiB image with 1.5 GiB of holes into a
// local pool, with this package (in a child process) and with
// "virsh vol-upload --sparse", and reports both times, their ratio and
// both peak RSS.
func BenchmarkSparseUpload(b *testing.B) {
	uri := env(b, "PEERPODS_E2E_LIBVIRT_URI")
	benchUpload(b, uri, conn.Credentials{}, func(args ...string) *exec.Cmd {
		return exec.Command("virsh", append([]string{"-q", "-c", uri}, args...)...)
	})
}

// BenchmarkSparseUploadSSH is BenchmarkSparseUpload over qemu+ssh through
// the e2e sshd: this package with its own SSH dialer, and virsh with
// OpenSSH (run as cloud-api-adaptor would: root, the key and known_hosts
// in /root/.ssh of a private mount namespace), over the same URI.
func BenchmarkSparseUploadSSH(b *testing.B) {
	creds, sshDir := sshAccess(b)
	host, port, _ := strings.Cut(env(b, "PEERPODS_E2E_SSH_ADDR"), ":")
	uri := fmt.Sprintf("qemu+ssh://%s@%s:%s/system?socket=%s", env(b, "PEERPODS_E2E_SSH_USER"), host, port, env(b, "PEERPODS_E2E_LIBVIRT_SOCKET"))
	benchUpload(b, uri, creds, func(args ...string) *exec.Cmd {
		return e2eenv.VirshAsCAA(sshDir, uri, append([]string{"-q"}, args...)...)
	})
}

// sshAccess installs a new key for the e2e SSH user (removed at the end)
// and returns the credentials for conn and a directory with id_rsa and
// known_hosts for OpenSSH.
func sshAccess(tb testing.TB) (conn.Credentials, string) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "ssh")
	if err := os.Mkdir(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "peerpods-bench", "-f", filepath.Join(dir, "id_rsa")).CombinedOutput(); err != nil {
		tb.Fatalf("ssh-keygen: %v %s", err, out)
	}
	private, _ := os.ReadFile(filepath.Join(dir, "id_rsa"))
	public, _ := os.ReadFile(filepath.Join(dir, "id_rsa.pub"))
	hostPub, err := os.ReadFile(filepath.Join(env(tb, "PEERPODS_E2E_STATE"), "ssh", "host_ed25519.pub"))
	if err != nil {
		tb.Fatal(err)
	}
	host, port, _ := strings.Cut(env(tb, "PEERPODS_E2E_SSH_ADDR"), ":")
	hostKey := strings.Join(strings.Fields(string(hostPub))[:2], " ")
	if err := os.WriteFile(filepath.Join(dir, "known_hosts"), []byte("["+host+"]:"+port+" "+hostKey+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	u, err := user.Lookup(env(tb, "PEERPODS_E2E_SSH_USER"))
	if err != nil {
		tb.Fatal(err)
	}
	ak := filepath.Join(u.HomeDir, ".ssh", "authorized_keys")
	before, err := os.ReadFile(ak)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(ak, append(before, public...), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.WriteFile(ak, before, 0o600) })
	return conn.Credentials{PrivateKey: string(private), HostKey: hostKey}, dir
}

// benchUpload runs the comparison against the libvirtd at uri; virsh
// builds a virsh command line with the given arguments.
func benchUpload(b *testing.B, uri string, creds conn.Credentials, virsh func(args ...string) *exec.Cmd) {
	l, err := conn.Open(uri, creds)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Disconnect()
	pool := benchPool(b, l, "ppe2e-bench")
	const size, data = 2 << 30, 512 << 20
	src := filepath.Join(b.TempDir(), "podvm.raw")
	sparseFile(b, src, size, data, 8<<20)
	wantSum, err := image.SHA256(src)
	if err != nil {
		b.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}

	var oursT, virshT time.Duration
	var oursRSS, virshRSS int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ours := func() {
			freshVolume(b, l, pool, "ours.img", size)
			cmd := exec.Command(self)
			cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join([]string{uri, "ppe2e-bench", "ours.img", src}, "\n"),
				helperKeyEnv+"="+creds.PrivateKey, helperHostKeyEnv+"="+creds.HostKey)
			d, rss := timed(b, cmd)
			oursT, oursRSS = oursT+d, max(oursRSS, rss)
		}
		theirs := func() {
			freshVolume(b, l, pool, "virsh.img", size)
			d, rss := timed(b, virsh("vol-upload", "--sparse", "virsh.img", src, "--pool", "ppe2e-bench"))
			virshT, virshRSS = virshT+d, max(virshRSS, rss)
		}
		if i%2 == 0 {
			ours()
			theirs()
		} else {
			theirs()
			ours()
		}
	}
	b.StopTimer()

	// Both results hold the image, with the holes left unallocated.
	for _, name := range []string{"ours.img", "virsh.img"} {
		v, err := l.StorageVolLookupByName(pool, name)
		if err != nil {
			b.Fatal(err)
		}
		if sum, err := image.SHA256(v.Key); err != nil || sum != wantSum {
			b.Fatalf("%s: content %s (%v), want %s", name, sum, err, wantSum)
		}
		b.Logf("%s allocates %d MiB", name, allocated(b, v.Key)>>20)
	}
	n := float64(b.N)
	b.ReportMetric(oursT.Seconds()/n, "ours-s/op")
	b.ReportMetric(virshT.Seconds()/n, "virsh-s/op")
	b.ReportMetric(oursT.Seconds()/virshT.Seconds(), "ours/virsh")
	b.ReportMetric(float64(oursRSS)/(1<<20), "ours-maxrss-MiB")
	b.ReportMetric(float64(virshRSS)/(1<<20), "virsh-maxrss-MiB")
}
