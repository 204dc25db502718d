//go:build e2e

package tests

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/peerpods/provisioner/cmd/peerpods/proc"
	"github.com/peerpods/provisioner/components/backoff"
	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/tests/testkit/caatest"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
	"github.com/peerpods/provisioner/tests/testkit/s3test"
)

// The fault suite (make faults): runs cut by kill -9 and Ctrl-C, libvirtd
// restarted or stopped, sshd down, a full pool, two runs at once. Each
// scenario waits for what it needs (a line of the run's output, a process
// gone, a lock file), never a fixed time.

// imageMiB is the size of the fault tests' image: random data, so that an
// upload lasts long enough to be cut (about a second here).
const imageMiB = 384

// bigImage wraps a stack file function: the stack's image becomes
// imageMiB of random data in a qcow2 file.
func bigImage(stackFile func(*harness, string, string) string) func(*harness, string, string) string {
	return func(h *harness, root, tmp string) string {
		s := stackFile(h, root, tmp)
		raw := filepath.Join(tmp, "random.raw")
		h.run("sh", "-c", "head -c "+strconv.Itoa(imageMiB)+"M /dev/urandom >"+raw)
		h.run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, filepath.Join(tmp, "podvm.qcow2"))
		if err := os.Remove(raw); err != nil {
			h.t.Fatal(err)
		}
		return s
	}
}

// lines is the output of a running command, line by line.
type lines struct {
	mu   sync.Mutex
	all  bytes.Buffer
	next chan string
}

func (l *lines) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.all.String() }

// running is a peerpods command started in the background.
type running struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *lines
	done chan struct{}
	code int
}

// start starts peerpods with args (and --stack, --dir, --yes as
// h.peerpods adds them) in its own process group, as a terminal's
// foreground job.
func (h *harness) start(args ...string) *running {
	h.t.Helper()
	args = append(args, "--stack", h.stack, "--dir", h.dir)
	if args[0] == "up" || args[0] == "destroy" {
		args = append(args, "--yes")
	}
	cmd := exec.Command(filepath.Join(h.bin, "peerpods"), args...)
	cmd.Dir, cmd.Env = h.dir, h.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	r := &running{t: h.t, cmd: cmd, out: &lines{next: make(chan string, 1<<16)}, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			r.out.mu.Lock()
			r.out.all.WriteString(sc.Text() + "\n")
			r.out.mu.Unlock()
			select {
			case r.out.next <- sc.Text():
			default:
			}
		}
		close(r.out.next)
	}()
	go func() {
		err := cmd.Wait()
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit):
			r.code = exit.ExitCode()
		default:
			r.code = -1
		}
		pw.Close()
		close(r.done)
	}()
	h.t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
	})
	return r
}

// await reads the run's output until a line holds want, and returns
// that line; the run ending first fails the test.
func (r *running) await(want string) string {
	r.t.Helper()
	timeout := time.After(3 * time.Minute)
	for {
		select {
		case line, ok := <-r.out.next:
			if !ok {
				<-r.done
				r.t.Fatalf("the run ended (exit %d) before %q:\n%s", r.code, want, r.out)
			}
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			r.t.Fatalf("no %q in 3 minutes:\n%s", want, r.out)
		}
	}
}

// wait waits for the run to end and returns its output and exit code.
func (r *running) wait() (string, int) {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(5 * time.Minute):
		r.t.Fatalf("the run did not end in 5 minutes:\n%s", r.out)
	}
	return r.out.String(), r.code
}

// awaitGone waits until none of pids runs (zombies count as gone).
func awaitGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if !backoff.Until(t.Context(), backoff.Backoff{First: 10 * time.Millisecond, Max: time.Second, Bound: time.Minute}, func() bool { return !proc.Alive(pid) }) {
			t.Fatalf("process %d still runs a minute after the kill", pid)
		}
	}
}

// converged checks the stack after a successful up: the volume holds the
// image byte for byte, and the state has no pending operation and no
// resource twice.
func (h *harness) converged(volume, image string) {
	h.t.Helper()
	if got, want := fileSum(h.t, filepath.Join(h.poolDir, volume)), fileSum(h.t, image); got != want {
		h.t.Errorf("volume %s: SHA-256 %x, the image's %x", volume, got, want)
	}
	var cp struct {
		Deployment struct {
			Resources []struct {
				URN  string `json:"urn"`
				Type string `json:"type"`
			} `json:"resources"`
			Pending []any `json:"pending_operations"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(h.exportRaw(), &cp); err != nil {
		h.t.Fatal(err)
	}
	if n := len(cp.Deployment.Pending); n != 0 {
		h.t.Errorf("%d pending operations left in the state", n)
	}
	seen, volumes := map[string]bool{}, 0
	for _, r := range cp.Deployment.Resources {
		if seen[r.URN] {
			h.t.Errorf("%s twice in the state", r.URN)
		}
		seen[r.URN] = true
		if r.Type == "peerpods:libvirt:StorageVolume" {
			volumes++
		}
	}
	if volumes != 1 {
		h.t.Errorf("%d volumes in the state, want 1", volumes)
	}
	if vols := h.volumes(); len(vols) != 1 || vols[0] != volume {
		h.t.Errorf("volumes in the pool: %v, want only %s", vols, volume)
	}
}

// volumes lists the pool's volumes as libvirt sees them after a refresh.
func (h *harness) volumes() []string {
	h.t.Helper()
	p, err := h.lv.StoragePoolLookupByName(h.pool)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.lv.StoragePoolRefresh(p, 0); err != nil {
		h.t.Fatal(err)
	}
	vols, _, err := h.lv.StoragePoolListAllVolumes(p, 1, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var names []string
	for _, v := range vols {
		names = append(names, v.Name)
	}
	return names
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := sha256.New()
	if _, err := io.Copy(s, f); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], s.Sum(nil))
	return sum
}

// image is the stack's image file.
func (h *harness) image() string {
	return filepath.Join(filepath.Dir(h.dir), "podvm.qcow2")
}

// nextVolume renames the stack's volume, so that the next up uploads the
// image into a new one; it returns the new name.
func (h *harness) nextVolume(cur *string, name string) string {
	h.t.Helper()
	h.editStack("volume: "+*cur, "volume: "+name)
	*cur = name
	return name
}

// TestFaultsInterruptedUp cuts an up during the image upload three ways,
// on the libvirt-local stack and on the remote-host stack (qemu+ssh
// through the e2e sshd): kill -9 of the peerpods process alone (its
// pulumi dies at its next write, its plugins when their engine is gone),
// kill -9 of the whole process tree (nothing cleans up: the half-written
// volume stays), and SIGINT (Ctrl-C: the engine's own cancellation). The
// next up converges each time without a hand on the state: the volume is
// the image byte for byte, the state has no pending operation and no
// duplicate.
func TestFaultsInterruptedUp(t *testing.T) {
	// Not parallel, its two stacks one after the other: with them side by
	// side (and with the other engine tests), a Ctrl-C'd up twice did not
	// end in 5 minutes (unexplained, left open), as it always did run alone.
	for _, tc := range []struct {
		name  string
		stack func(*harness, string, string) string
	}{{"local", localStack}, {"remote", remoteStack}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "faults-"+tc.name, bigImage(tc.stack))
			if tc.name == "remote" {
				h.remoteHost()
			} else {
				h.initDestroyedAtEnd()
			}
			vol := "podvm-base.qcow2"
			h.peerpods(0, "up")
			h.converged(vol, h.image())

			// kill -9 of peerpods alone, during the upload.
			h.nextVolume(&vol, "podvm-1.qcow2")
			r := h.start("up")
			r.await("uploading " + h.image())
			tree := proc.Tree(r.cmd.Process.Pid)
			if err := syscall.Kill(r.cmd.Process.Pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			out, _ := r.wait()
			if strings.Contains(out, "uploaded "+h.image()) {
				t.Fatalf("the upload ended before the kill: make imageMiB larger\n%s", out)
			}
			awaitGone(t, tree) // pulumi at its next write, the plugins with it
			out = h.peerpods(0, "up")
			for _, want := range []string{"peerpods: removed the lock of stack " + h.stack + " left by an interrupted run",
				"peerpods: the create of peerpods-volume (peerpods:libvirt:StorageVolume) was interrupted"} {
				if !strings.Contains(out, want) {
					t.Errorf("up after kill -9 of peerpods: no %q:\n%s", want, out)
				}
			}
			h.converged(vol, h.image())

			// kill -9 of the whole tree: the half-written volume stays.
			h.nextVolume(&vol, "podvm-2.qcow2")
			r = h.start("up")
			r.await("uploading " + h.image())
			tree = proc.Tree(r.cmd.Process.Pid)
			for _, pid := range tree {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			out, _ = r.wait()
			if strings.Contains(out, "uploaded "+h.image()) {
				t.Fatalf("the upload ended before the kill: make imageMiB larger\n%s", out)
			}
			awaitGone(t, tree)
			if !h.volume(vol) {
				t.Fatalf("no half-written volume %s after killing every process", vol)
			}
			if vols := h.volumes(); !slices.ContainsFunc(vols, func(v string) bool { return strings.HasPrefix(v, vol+".peerpods-creating-") }) {
				t.Errorf("no create marker of %s beside it after the kill: %v", vol, vols)
			}
			out = h.peerpods(0, "up")
			for _, want := range []string{"peerpods: the create of peerpods-volume (peerpods:libvirt:StorageVolume) was interrupted",
				"storage volume " + h.pool + "/" + vol + " is what an interrupted create of this resource left (its create marker"} {
				if !strings.Contains(out, want) {
					t.Errorf("up after kill -9 of the tree: no %q:\n%s", want, out)
				}
			}
			h.converged(vol, h.image())

			// Ctrl-C: the engine cancels, the plugin removes what it made,
			// the run exits 8 and leaves no lock.
			h.nextVolume(&vol, "podvm-3.qcow2")
			r = h.start("up")
			r.await("uploading " + h.image())
			if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			out, code := r.wait()
			if code != exitCanceled || !strings.Contains(out, "peerpods: canceled:") {
				t.Fatalf("SIGINT: exit %d, want %d\n%s", code, exitCanceled, out)
			}
			if locks, _ := filepath.Glob(filepath.Join(h.state, ".pulumi", "locks", "*", "*", h.stack, "*.json")); len(locks) != 0 {
				t.Errorf("a canceled up left the lock %v", locks)
			}
			if h.volume(vol) {
				t.Errorf("a canceled up left the volume %s", vol)
			}
			out = h.peerpods(0, "up")
			if strings.Contains(out, "was interrupted") {
				t.Errorf("a canceled up left a pending operation:\n%s", out)
			}
			h.converged(vol, h.image())
		})
	}
}

// TestFaultsInterruptedUpS3 cuts ups with kill -9 as
// TestFaultsInterruptedUp does, on Pulumi's DIY backend over S3 (an S3
// server in this test's process, tests/testkit/s3test): the lock the
// killed engine left in the bucket is proven stale and removed, the
// pending create is cleared by the engine's refresh, and the next up
// converges: the half-written volume of the killed tree is replaced on
// the proof of its create marker.
func TestFaultsInterruptedUpS3(t *testing.T) {
	t.Parallel() // its own bucket, stack and pool
	store := s3test.Start(t, "peerpods-state")
	h := newHarness(t, "faults-s3", bigImage(localStack))
	h.env = append(append(h.env, "PULUMI_BACKEND_URL="+store.Backend), store.Env...)
	h.initDestroyedAtEnd()
	vol := "podvm-base.qcow2"
	h.peerpods(0, "up")
	h.converged(vol, h.image())
	if files, _ := filepath.Glob(filepath.Join(h.state, "*")); len(files) != 0 {
		t.Fatalf("the file:// backend was used: %v", files)
	}

	// kill -9 of peerpods alone, then of the whole tree.
	for i, tree := range []bool{false, true} {
		h.nextVolume(&vol, fmt.Sprintf("podvm-%d.qcow2", i+1))
		r := h.start("up")
		r.await("uploading " + h.image())
		pids := proc.Tree(r.cmd.Process.Pid)
		kill := pids[:1]
		if tree {
			kill = pids
		}
		for _, pid := range kill {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		out, _ := r.wait()
		if strings.Contains(out, "uploaded "+h.image()) {
			t.Fatalf("the upload ended before the kill: make imageMiB larger\n%s", out)
		}
		awaitGone(t, pids)
		out = h.peerpods(0, "up")
		want := []string{"peerpods: removed the lock of stack " + h.stack + " left by an interrupted run",
			"peerpods: the create of peerpods-volume (peerpods:libvirt:StorageVolume) was interrupted"}
		if tree {
			want = append(want, "storage volume "+h.pool+"/"+vol+" is what an interrupted create of this resource left (its create marker")
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("up after kill -9 (whole tree: %v): no %q:\n%s", tree, w, out)
			}
		}
		h.converged(vol, h.image())
	}
}

// exitCanceled is peerpods' exit code of a canceled run (Pulumi's).
const exitCanceled = 8

// TestFaultsConcurrentUp: a second up while one runs is refused by the
// file:// backend's lock, with the holder named and a clear message; the
// first completes and the state is whole.
func TestFaultsConcurrentUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "faults-concurrent", bigImage(localStack))
	h.run("pulumi", "stack", "init", h.stack)
	t.Cleanup(func() {
		h.exec(filepath.Join(h.bin, "peerpods"), "destroy", "--yes", "--stack", h.stack, "--dir", h.dir)
	})
	first := h.start("up")
	first.await("uploading " + h.image()) // it holds the lock now
	// Frozen, the first run holds the lock for as long as the second
	// needs: a long upload, without depending on how long.
	tree := proc.Tree(first.cmd.Process.Pid)
	signal(t, tree, syscall.SIGSTOP)
	out, code := h.exec(filepath.Join(h.bin, "peerpods"), "up", "--yes", "--stack", h.stack, "--dir", h.dir)
	signal(t, tree, syscall.SIGCONT)
	if code != 1 {
		t.Errorf("the second up: exit %d, want 1", code)
	}
	for _, want := range []string{"the stack is currently locked by 1 lock(s)",
		"peerpods: up of " + h.stack + " refused: another run is changing the stack"} {
		if !strings.Contains(out, want) {
			t.Errorf("the second up: no %q:\n%s", want, out)
		}
	}
	if out, code := first.wait(); code != 0 {
		t.Fatalf("the first up: exit %d\n%s", code, out)
	}
	h.converged("podvm-base.qcow2", h.image())
}

// signal sends sig to each of pids.
func signal(t *testing.T, pids []int, sig syscall.Signal) {
	t.Helper()
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil {
			t.Fatalf("signal %v to %d: %v", sig, pid, err)
		}
	}
}

// stopBackend stops the e2e backend whose pid file is pidFile (a path
// under PEERPODS_E2E_STATE) and waits until it is gone.
func stopBackend(t *testing.T, pidFile string) {
	t.Helper()
	path := filepath.Join(e2eenv.Require(t, "PEERPODS_E2E_STATE"), pidFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Gone, and reaped: start.sh refuses a second libvirtd while one,
	// even a zombie, is listed.
	if !backoff.Until(t.Context(), backoff.Backoff{First: 10 * time.Millisecond, Max: time.Second, Bound: time.Minute}, func() bool {
		_, _, ok := proc.Stat(pid)
		return !ok
	}) {
		t.Fatalf("%s (pid %d) still there a minute after SIGTERM", pidFile, pid)
	}
}

// startBackends starts what hack/backends/start.sh starts and is not
// running, and reconnects the harness to libvirtd.
func (h *harness) startBackends() {
	h.t.Helper()
	root, _ := filepath.Abs("..")
	h.run(filepath.Join(root, "hack", "backends", "start.sh"))
	h.lv.Disconnect()
	var err error
	if h.lv, err = conn.Open(e2eenv.Require(h.t, "PEERPODS_E2E_LIBVIRT_URI"), conn.Credentials{}); err != nil {
		h.t.Fatal(err)
	}
}

// TestFaultsLibvirtd: libvirtd restarted during an up's upload, and
// stopped before a refresh. Each run fails with an error naming the
// libvirt host; once it is back, the next run converges.
func TestFaultsLibvirtd(t *testing.T) {
	h := newHarness(t, "faults-libvirtd", bigImage(localStack))
	h.run("pulumi", "stack", "init", h.stack)
	t.Cleanup(func() {
		h.startBackends()
		h.exec(filepath.Join(h.bin, "peerpods"), "destroy", "--yes", "--stack", h.stack, "--dir", h.dir)
	})
	uri := e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_URI")

	r := h.start("up")
	r.await("uploading " + h.image())
	stopBackend(t, "libvirtd.pid")
	h.startBackends()
	out, code := r.wait()
	if code != 1 || !strings.Contains(out, "libvirt at "+uri) {
		t.Errorf("up with libvirtd restarted: exit %d, want 1 and an error naming libvirt at %s:\n%s", code, uri, out)
	}
	h.peerpods(0, "up")
	h.converged("podvm-base.qcow2", h.image())

	stopBackend(t, "libvirtd.pid")
	out = h.peerpods(1, "refresh")
	if !strings.Contains(out, "connecting to libvirt at "+uri) {
		t.Errorf("refresh with libvirtd stopped: no error naming the host:\n%s", out)
	}
	h.startBackends()
	h.peerpods(0, "refresh", "--expect-no-changes")
	if got := summary(h.peerpods(0, "up"), "up of "+h.stack+": "); !strings.HasSuffix(got, " same") || strings.Contains(got, ",") {
		t.Errorf("up after libvirtd came back changed something: %q", got)
	}
	h.converged("podvm-base.qcow2", h.image())
}

// TestFaultsSSHDown: the KVM host's sshd refuses connections. An up that
// would replace the volume fails with an error naming the host and
// changes nothing (state and volume as they were); with sshd back, it
// converges.
func TestFaultsSSHDown(t *testing.T) {
	h := newHarness(t, "faults-ssh", bigImage(remoteStack))
	h.remoteHost()
	t.Cleanup(h.startBackends)
	h.peerpods(0, "up")
	before := h.exportRaw("--show-secrets") // ciphertext changes with every write
	vol := "podvm-base.qcow2"
	file := h.volumeFile(vol)

	stopBackend(t, filepath.Join("ssh", "sshd.pid"))
	h.nextVolume(&vol, "podvm-next.qcow2")
	out := h.peerpods(1, "up")
	addr := e2eenv.Require(t, "PEERPODS_E2E_SSH_ADDR")
	if !strings.Contains(out, addr) || !strings.Contains(out, "connection refused") {
		t.Errorf("up with sshd down: no error naming %s and the refusal:\n%s", addr, out)
	}
	if diff := stateDiff(before, h.exportRaw("--show-secrets")); diff != "" {
		t.Errorf("the failed up changed the state: %s", diff)
	}
	if !h.volume("podvm-base.qcow2") || h.volume(vol) || h.volumeFile("podvm-base.qcow2") != file {
		t.Error("the failed up changed the pool")
	}
	h.startBackends()
	h.peerpods(0, "up")
	h.converged(vol, h.image())
}

// stateDiff compares two checkpoints' custom resources (URN, ID, inputs,
// outputs, flags: what stands for something on the host) and pending
// operations, not the times the engine stamps on every write, nor the
// components' and the stack's outputs (the program's values, which record
// the new setting even when no resource could change); it returns what
// differs by name (never a value: the checkpoints are decrypted), "" for
// nothing.
func stateDiff(a, b []byte) string {
	read := func(raw []byte) (map[string]map[string]any, int) {
		var cp struct {
			Deployment struct {
				Resources []map[string]any `json:"resources"`
				Pending   []any            `json:"pending_operations"`
			} `json:"deployment"`
		}
		if err := json.Unmarshal(raw, &cp); err != nil {
			return nil, -1
		}
		out := map[string]map[string]any{}
		for _, r := range cp.Deployment.Resources {
			if custom, _ := r["custom"].(bool); !custom {
				continue
			}
			delete(r, "created")
			delete(r, "modified")
			urn, _ := r["urn"].(string)
			out[urn] = r
		}
		return out, len(cp.Deployment.Pending)
	}
	ra, pa := read(a)
	rb, pb := read(b)
	if pa < 0 || pb < 0 {
		return "unreadable checkpoint"
	}
	same := func(x, y any) bool { bx, _ := json.Marshal(x); by, _ := json.Marshal(y); return bytes.Equal(bx, by) }
	var diff []string
	for urn, r := range ra {
		o, ok := rb[urn]
		if !ok {
			diff = append(diff, urn+" gone")
			continue
		}
		for k, v := range r {
			m, isMap := v.(map[string]any)
			if !isMap {
				if !same(v, o[k]) {
					diff = append(diff, urn+" "+k)
				}
				continue
			}
			om, _ := o[k].(map[string]any)
			for kk := range m {
				if !same(m[kk], om[kk]) {
					diff = append(diff, urn+" "+k+"."+kk)
				}
			}
			for kk := range om {
				if _, ok := m[kk]; !ok {
					diff = append(diff, urn+" "+k+"."+kk+" (new)")
				}
			}
		}
	}
	for urn := range rb {
		if _, ok := ra[urn]; !ok {
			diff = append(diff, urn+" (new)")
		}
	}
	if pa != pb {
		diff = append(diff, fmt.Sprintf("%d pending operations, were %d", pb, pa))
	}
	return strings.Join(diff, ", ")
}

// TestFaultsPoolFull: the pool's file system fills during the upload
// (a tmpfs mounted on the pool directory, mostly taken by another file).
// The up fails with the disk's error naming the host, the half-written
// volume is removed (the file system holds only the other file again);
// after space is freed the next up converges.
func TestFaultsPoolFull(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "faults-full", bigImage(localStack))
	h.run("pulumi", "stack", "init", h.stack)
	if err := os.MkdirAll(h.poolDir, 0o711); err != nil {
		t.Fatal(err)
	}
	size := (imageMiB + 128) << 20
	if err := syscall.Mount("tmpfs", h.poolDir, "tmpfs", 0, "size="+strconv.Itoa(size)); err != nil {
		t.Fatalf("mounting a tmpfs on the pool directory (needs root): %v", err)
	}
	t.Cleanup(func() {
		h.exec(filepath.Join(h.bin, "peerpods"), "destroy", "--yes", "--stack", h.stack, "--dir", h.dir)
		if err := syscall.Unmount(h.poolDir, 0); err != nil {
			t.Errorf("unmounting the pool's tmpfs: %v", err)
		}
	})
	filler := filepath.Join(h.poolDir, "filler")
	h.run("sh", "-c", "head -c "+strconv.Itoa(size-(imageMiB/2<<20))+" /dev/zero >"+filler)
	used := func() int64 {
		var st syscall.Statfs_t
		if err := syscall.Statfs(h.poolDir, &st); err != nil {
			t.Fatal(err)
		}
		return int64(st.Blocks-st.Bfree) * st.Bsize
	}
	withFiller := used()

	out := h.peerpods(1, "up")
	uri := e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_URI")
	if !strings.Contains(out, "No space left on device") || !strings.Contains(out, "libvirt at "+uri) {
		t.Errorf("up on a full pool: no disk error naming the host:\n%s", out)
	}
	if h.volume("podvm-base.qcow2") {
		t.Error("the half-written volume is still in the pool")
	}
	if u := used(); u > withFiller+1<<20 {
		t.Errorf("%d bytes more used than before the up: the partial volume's data stayed", u-withFiller)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	h.peerpods(0, "up")
	h.converged("podvm-base.qcow2", h.image())
}

// TestFaultsLeftovers: cloud-api-adaptor's pod VM left in the stack's pool
// (the root disk on the stack's image, the cloud-init ISO, the domain
// using both, as its libvirt CreateDomain makes them; defined, not
// started) and a volume of someone else's. peerpods destroy refuses
// before deleting anything, listing them and the sweep command; sweep
// lists them (exit 7); sweep --delete needs --yes without a terminal;
// sweep --delete --yes removes cloud-api-adaptor's only; destroy then
// still refuses over the other volume, and once that is gone destroys
// everything.
func TestFaultsLeftovers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "faults-leftovers", localStack)
	h.run("pulumi", "stack", "init", h.stack)
	t.Cleanup(func() {
		h.exec(filepath.Join(h.bin, "peerpods"), "destroy", "--yes", "--ignore-leftovers", "--stack", h.stack, "--dir", h.dir)
	})
	h.peerpods(0, "up")
	const podVM = "podvm-nginx-1a2b3c4d"
	pool, err := h.lv.StoragePoolLookupByName(h.pool)
	if err != nil {
		t.Fatal(err)
	}
	caatest.PodVM(t, h.lv, h.pool, podVM, filepath.Join(h.poolDir, "podvm-base.qcow2"))
	caatest.Volume(t, h.lv, h.pool, "notes.img", "raw", "")

	// destroy refuses before deleting anything.
	out := h.peerpods(1, "destroy")
	for _, want := range []string{"domain " + podVM, "volume " + podVM + "-root.qcow2", "volume " + podVM + "-cloudinit.iso", "volume notes.img",
		"peerpods sweep --stack " + h.stack + " --delete"} {
		if !strings.Contains(out, want) {
			t.Errorf("destroy with leftovers: no %q:\n%s", want, out)
		}
	}
	if !h.volume("podvm-base.qcow2") || !h.poolExists() {
		t.Fatal("the refused destroy deleted something")
	}

	// sweep lists; --delete needs --yes here; --delete --yes removes
	// cloud-api-adaptor's only.
	out = h.peerpods(7, "sweep")
	for _, want := range []string{"domain " + podVM, "volume notes.img"} {
		if !strings.Contains(out, want) {
			t.Errorf("sweep: no %q:\n%s", want, out)
		}
	}
	h.peerpods(2, "sweep", "--delete")
	if _, err := h.lv.DomainLookupByName(podVM); err != nil {
		t.Fatal("sweep --delete without --yes removed the domain")
	}
	h.peerpods(7, "sweep", "--delete", "--yes") // notes.img remains: not cloud-api-adaptor's
	if _, err := h.lv.DomainLookupByName(podVM); err == nil {
		t.Error("sweep --delete --yes left the pod VM domain")
	}
	if vols := h.volumes(); !slices.Equal(slices.Sorted(slices.Values(vols)), []string{"notes.img", "podvm-base.qcow2"}) {
		t.Errorf("volumes after sweep --delete: %v, want the stack's and notes.img", vols)
	}
	out = h.peerpods(1, "destroy")
	if !strings.Contains(out, "volume notes.img") {
		t.Errorf("destroy with a foreign volume: not named:\n%s", out)
	}
	v, err := h.lv.StorageVolLookupByName(pool, "notes.img")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.lv.StorageVolDelete(v, 0); err != nil {
		t.Fatal(err)
	}
	h.peerpods(0, "sweep")
	h.peerpods(0, "destroy")
	if h.poolExists() {
		t.Error("the pool is still there after destroy")
	}
}

// initDestroyedAtEnd creates the harness's stack and destroys what it made
// when the test ends.
func (h *harness) initDestroyedAtEnd() {
	h.t.Helper()
	h.run("pulumi", "stack", "init", h.stack)
	h.t.Cleanup(func() {
		if h.poolExists() {
			h.exec(filepath.Join(h.bin, "peerpods"), "destroy", "--yes", "--stack", h.stack, "--dir", h.dir)
		}
	})
}
