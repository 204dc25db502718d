package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"golang.org/x/sys/unix"
)

// TestRunFlags: the Pulumi CLI's flags reach the engine options of the
// commands that take them, and only those.
func TestRunFlags(t *testing.T) {
	parse := func(cmd string, args ...string) (runOptions, error) {
		var r runOptions
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		addRunFlags(fs, cmd, &r)
		return r, fs.Parse(args)
	}
	r, err := parse("up", "--target", "urn:a", "--target", "urn:b", "--replace", "urn:c", "--refresh", "--diff", "--parallel", "3", "--message", "m", "--yes")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.targets) != 2 || len(r.replaces) != 1 || !r.refresh || !r.diff || r.parallel != 3 || r.message != "m" || !r.yes {
		t.Fatalf("parsed %+v", r)
	}
	if n := len(r.up()); n != 6 {
		t.Errorf("%d up options, want 6", n)
	}
	if n := len(r.preview()); n != 5 {
		t.Errorf("%d preview options, want 5", n)
	}
	if n := len(r.destroy()); n != 5 {
		t.Errorf("%d destroy options, want 5", n)
	}
	if n := len(r.refreshOpts()); n != 4 {
		t.Errorf("%d refresh options, want 4", n)
	}
	if n := len((runOptions{}).up()); n != 0 {
		t.Errorf("%d up options without flags", n)
	}
	for cmd, bad := range map[string]string{"preview": "--yes", "refresh": "--replace", "outputs": "--target", "destroy": "--replace"} {
		if _, err := parse(cmd, bad, "x"); err == nil {
			t.Errorf("%s took %s", cmd, bad)
		}
	}
}

// TestConfirm: up and destroy show the plan and go on only on yes; without
// a terminal they refuse (a usage error: --yes is needed), planning
// nothing.
func TestConfirm(t *testing.T) {
	planned := 0
	plan := func(context.Context) (auto.PreviewResult, error) {
		planned++
		return auto.PreviewResult{ChangeSummary: map[apitype.OpType]int{apitype.OpCreate: 2}}, nil
	}
	var out bytes.Buffer
	if err := confirm(t.Context(), "up", "s", true, plan, strings.NewReader("y\n"), &out); err != nil {
		t.Fatalf("yes: %v", err)
	}
	if !strings.Contains(out.String(), "2 create") || !strings.Contains(out.String(), "[y/N]") {
		t.Errorf("prompt %q", out.String())
	}
	for _, answer := range []string{"n\n", "\n", ""} {
		if err := confirm(t.Context(), "destroy", "s", true, plan, strings.NewReader(answer), io.Discard); !errors.Is(err, errDeclined) {
			t.Errorf("answer %q: %v", answer, err)
		}
	}
	planned = 0
	err := confirm(t.Context(), "up", "s", false, plan, strings.NewReader("y\n"), io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(ue.msg, "--yes") || planned != 0 {
		t.Fatalf("without a terminal: %v (planned %d times)", err, planned)
	}
	var stderr bytes.Buffer
	if code := exitCode(t.Context(), errDeclined, &stderr); code != exitCanceled {
		t.Errorf("declined: exit %d, want %d", code, exitCanceled)
	}
}

// TestTerminal: /dev/null (a character device, the standard input of a
// CI job without one) and a file are no terminal; a pseudo-terminal is.
func TestTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	file, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if terminal(null) || terminal(file) {
		t.Errorf("terminal: /dev/null %v, a file %v; want neither", terminal(null), terminal(file))
	}
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ptmx.Close()
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pts.Close()
	if !terminal(pts) {
		t.Error("a pseudo-terminal is not a terminal")
	}
}
