package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// engine runs the Pulumi CLI for the Automation API in a process group of
// its own. The Automation API starts it in peerpods' group on Linux
// (sdk/v3 go/auto cmd_other.go: setSysprocAttrNewProcessGroup does
// nothing) and interrupts it when the context ends: a Ctrl-C in a
// terminal, which signals the whole foreground group, then reaches the
// CLI twice, and the CLI's second interrupt terminates at once ("^C
// received; terminating"), leaving pending operations behind instead of
// the engine's graceful cancel. Here the CLI gets exactly one SIGINT when
// peerpods is canceled, and a second only when peerpods is signaled
// again (terminate).
type engine struct {
	// version is the CLI's, as the Automation API found it.
	version semver.Version
	// terminate is closed on a second signal to peerpods.
	terminate <-chan struct{}
}

// newEngine returns the runner of the pulumi on PATH.
func newEngine(terminate <-chan struct{}) (engine, error) {
	cmd, err := auto.NewPulumiCommand(nil)
	if err != nil {
		return engine{}, err
	}
	return engine{version: cmd.Version(), terminate: terminate}, nil
}

// Version is the CLI's version.
func (e engine) Version() semver.Version { return e.version }

// Run runs the CLI with args (made non-interactive) in workdir, as the
// Automation API's own runner does, but in its own process group: see
// engine.
func (e engine) Run(ctx context.Context, workdir string, stdin io.Reader, outs, errs []io.Writer, env []string, args ...string) (string, string, int, error) {
	flags := args
	if i := slices.Index(args, "--"); i >= 0 {
		flags = args[:i]
	}
	if !slices.Contains(flags, "--non-interactive") {
		args = append([]string{"--non-interactive"}, args...)
	}
	cmd := exec.Command("pulumi", args...)
	cmd.Dir, cmd.Stdin = workdir, stdin
	cmd.Env = append(append(os.Environ(), env...), "PULUMI_AUTOMATION_API=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(append(outs, &stdout)...)
	cmd.Stderr = io.MultiWriter(append(errs, &stderr)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return "", "", -2, err
	}
	// The record proves later, should this engine be killed and leave its
	// lock, in which boot and PID namespace it ran (see judgeLock).
	record := writeRecord(cmd.Process.Pid, started)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = cmd.Process.Signal(os.Interrupt) // the engine's graceful cancel
		select {
		case err = <-done:
		case <-e.terminate:
			_ = cmd.Process.Signal(os.Interrupt) // the engine's "terminating"
			err = <-done
		}
	}
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		code = -2
	}
	if record != "" && cmd.ProcessState != nil {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			_ = os.Remove(record) // it exited on its own: its lock is released
		}
	}
	return stdout.String(), stderr.String(), code, err
}
