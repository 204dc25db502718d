package tests

import (
	"os"
	"sync"
	"testing"
)

// atExit holds what the test binary removes once every test has run: the
// builds its tests share (binaries, makeRelease), which outlive any one
// test and so cannot be a t.TempDir.
var atExit struct {
	mu    sync.Mutex
	funcs []func()
}

// onExit registers f to run after every test of this binary.
func onExit(f func()) {
	atExit.mu.Lock()
	defer atExit.mu.Unlock()
	atExit.funcs = append(atExit.funcs, f)
}

func TestMain(m *testing.M) {
	code := m.Run()
	atExit.mu.Lock()
	for _, f := range atExit.funcs {
		f()
	}
	atExit.mu.Unlock()
	os.Exit(code)
}
