package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerpods/provisioner/components/backoff"
)

// fakePulumi puts on PATH a "pulumi" that records its arguments, its
// process group and every SIGINT it gets in dir, and exits 8 after the
// given number of them.
func fakePulumi(t *testing.T, ints int) string {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
echo "$@" > "$OUT/args"
ps -o pgid= -p $$ | tr -d ' ' > "$OUT/pgid"
n=0
trap 'n=$((n+1)); echo int >> "$OUT/ints"; [ $n -ge ` + strconv.Itoa(ints) + ` ] && exit 8' INT
touch "$OUT/ready"
while :; do sleep 0.02; done
`
	if err := os.WriteFile(filepath.Join(dir, "pulumi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("OUT", dir)
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the runner's records
	return dir
}

// awaitFile waits until path exists.
func awaitFile(t *testing.T, path string) {
	t.Helper()
	if !backoff.Until(t.Context(), backoff.Backoff{First: 5 * time.Millisecond, Max: time.Second, Bound: 20 * time.Second}, func() bool {
		_, err := os.Stat(path)
		return err == nil
	}) {
		t.Fatalf("no %s", path)
	}
}

// TestEngineOneInterrupt: canceled, the CLI gets exactly one SIGINT (the
// engine's graceful cancel), runs in a process group of its own (a
// terminal's Ctrl-C does not reach it a second time) and non-interactive.
func TestEngineOneInterrupt(t *testing.T) {
	dir := fakePulumi(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	e := engine{terminate: make(chan struct{})}
	go func() { awaitFile(t, filepath.Join(dir, "ready")); cancel() }()
	_, _, code, _ := e.Run(ctx, dir, nil, nil, nil, nil, "up", "--yes")
	if code != 8 {
		t.Errorf("exit %d, want the fake's 8", code)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "ints"))
	if got := strings.Count(string(b), "int"); got != 1 {
		t.Errorf("%d SIGINTs, want 1", got)
	}
	pgid, _ := os.ReadFile(filepath.Join(dir, "pgid"))
	if own, _ := syscall.Getpgid(0); strings.TrimSpace(string(pgid)) == strconv.Itoa(own) {
		t.Error("the CLI runs in peerpods' process group")
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if strings.TrimSpace(string(args)) != "--non-interactive up --yes" {
		t.Errorf("args %q", args)
	}
}

// TestEngineTerminate: a second signal to peerpods sends the second
// SIGINT, the engine's "terminate at once".
func TestEngineTerminate(t *testing.T) {
	dir := fakePulumi(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	terminate := make(chan struct{})
	e := engine{terminate: terminate}
	go func() {
		awaitFile(t, filepath.Join(dir, "ready"))
		cancel()
		awaitFile(t, filepath.Join(dir, "ints"))
		close(terminate)
	}()
	_, _, code, _ := e.Run(ctx, dir, nil, nil, nil, nil, "up")
	b, _ := os.ReadFile(filepath.Join(dir, "ints"))
	if got := strings.Count(string(b), "int"); got != 2 || code != 8 {
		t.Errorf("%d SIGINTs, exit %d; want 2 and 8", got, code)
	}
}

// TestEngineRecords: the runner records each CLI process while it runs
// (its pid, boot and PID namespace), removes the record when it exits on
// its own, and keeps it when it was killed (its lock stays too).
func TestEngineRecords(t *testing.T) {
	dir := fakePulumi(t, 1)
	records, err := recordDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		awaitFile(t, filepath.Join(dir, "ready"))
		m, _ := filepath.Glob(filepath.Join(records, "*.json"))
		if len(m) != 1 {
			t.Errorf("records while the CLI runs: %v, want 1", m)
		}
		cancel()
	}()
	e := engine{terminate: make(chan struct{})}
	if _, _, code, _ := e.Run(ctx, dir, nil, nil, nil, nil, "up"); code != 8 {
		t.Errorf("exit %d, want 8", code)
	}
	if m, _ := filepath.Glob(filepath.Join(records, "*.json")); len(m) != 0 {
		t.Errorf("records after the CLI exited on its own: %v", m)
	}

	// A CLI killed: its record stays.
	script := "#!/bin/sh\nkill -9 $$\n"
	if err := os.WriteFile(filepath.Join(dir, "pulumi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	e.Run(context.Background(), dir, nil, nil, nil, nil, "up")
	m, _ := filepath.Glob(filepath.Join(records, "*.json"))
	if len(m) != 1 {
		t.Errorf("records after the CLI was killed: %v, want 1", m)
	}
}
