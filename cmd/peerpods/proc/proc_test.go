package proc

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerpods/provisioner/components/backoff"
)

// TestOfRealProcesses reads real processes: this test's own, a child that
// runs (its parent, program, directory, place in the tree), the same
// child once it exited and is not reaped (a zombie: not alive), and a pid
// that does not exist.
func TestOfRealProcesses(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("sleep", "600")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if state, ppid, ok := Stat(pid); !ok || ppid != os.Getpid() || state == Zombie {
		t.Errorf("Stat(child) = %q, %d, %v; want running, parent %d", state, ppid, ok, os.Getpid())
	}
	if !Alive(pid) || Comm(pid) != "sleep" || Cwd(pid) != dir {
		t.Errorf("child: alive %v, comm %q, cwd %q", Alive(pid), Comm(pid), Cwd(pid))
	}
	if tree := Tree(os.Getpid()); tree[0] != os.Getpid() || !slices.Contains(tree, pid) {
		t.Errorf("Tree(self) = %v lacks the child %d", tree, pid)
	}
	if !slices.Contains(Pids(), pid) {
		t.Error("Pids lacks the child")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if !backoff.Until(t.Context(), backoff.Backoff{First: 5 * time.Millisecond, Max: time.Second, Bound: 10 * time.Second}, func() bool { return !Alive(pid) }) {
		t.Fatal("the killed child still counts as alive")
	}
	if state, _, ok := Stat(pid); !ok || state != Zombie {
		t.Errorf("the unreaped child: %q, %v; want a zombie", state, ok)
	}
	cmd.Wait()
	if _, _, ok := Stat(pid); ok || Comm(pid) != "" || Cwd(pid) != "" {
		t.Error("a reaped process is still read")
	}
}

// TestStatOfAParenthesizedName: a program name with spaces and
// parentheses does not shift the fields after it.
func TestStatOfAParenthesizedName(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir() + "/a (b) c"
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if _, ppid, ok := Stat(cmd.Process.Pid); !ok || ppid != os.Getpid() || Comm(cmd.Process.Pid) != "a (b) c" {
		t.Errorf("Stat = %d, %v, comm %q; want parent %d", ppid, ok, Comm(cmd.Process.Pid), os.Getpid())
	}
}

// TestBootAndNamespace reads this machine's boot and PID namespace: a
// boot id of a UUID's length, a boot in the past, a namespace named as
// the kernel names it; and parses a /proc/stat without btime as unknown.
func TestBootAndNamespace(t *testing.T) {
	if id := BootID(); len(id) != 36 {
		t.Errorf("BootID() = %q, not a UUID", id)
	}
	if b := BootTime(); b.IsZero() || !b.Before(time.Now()) {
		t.Errorf("BootTime() = %v, not in the past", b)
	}
	if ns := PidNS(); !strings.HasPrefix(ns, "pid:[") {
		t.Errorf("PidNS() = %q", ns)
	}
	if got := bootTime([]byte("cpu 1 2 3\nbtime 1700000000\nprocesses 5\n")); !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("bootTime = %v", got)
	}
	if got := bootTime([]byte("cpu 1 2 3\n")); !got.IsZero() {
		t.Errorf("bootTime without btime = %v, want zero", got)
	}
}
