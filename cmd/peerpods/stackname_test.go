package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadStackName: on every command an invalid --stack value exits 64
// (EX_USAGE; Pulumi has no code for it) with one line on stderr, printed
// once, naming --stack, what is wrong and the fix; nothing on stdout.
func TestBadStackName(t *testing.T) {
	t.Setenv("PULUMI_DISABLE_VALIDATION", "") // Pulumi's checks on
	cases := []struct {
		cmd, stack string
		want       string // what is wrong, as printed
	}{
		{"up", "../x", `the org part is ".."`},
		{"preview", "../../etc/passwd", "4 parts separated by '/', at most three (org/project/stack)"},
		{"destroy", "x/..", `the stack part is ".."`},
		{"refresh", ".", `the stack part is "."`},
		{"outputs", "org//x", "the project part is empty"},
		{"up", "/x", "the org part is empty"},
		{"preview", "x/", "the stack part is empty"},
		{"destroy", `..\x`, `the stack part "..\\x" has the path separator '\'`},
		{"refresh", `a\b`, `the stack part "a\\b" has the path separator '\'`},
		{"outputs", "dev\n", `the stack part has the control character '\n'`},
		{"up", "x\x00", `the stack part has the control character '\x00'`},
		{"preview", "o/p/x\x1b[2J", `the stack part has the control character '\x1b'`},
		{"destroy", "a..b", `the stack part "a..b" has ".."`},
		{"refresh", "stacks/../etc", `the project part is ".."`},
		{"outputs", "o/p/s/x", "4 parts separated by '/'"},
		{"up", "a b", `the stack part "a b": a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character ' ' at position 1`},
		{"preview", "~root", `invalid character '~' at position 0`},
		{"destroy", "$HOME", `invalid character '$' at position 0`},
		{"refresh", "dé", `the stack part "dé" has 'é', not an ASCII letter or digit`},
		{"outputs", strings.Repeat("s", 101), "a stack name cannot exceed 100 characters"},
		{"up", "org/pro ject/dev", `the project part "pro ject": project names may only contain alphanumerics`},
		{"preview", "o:rg/dev", `the org part "o:rg": an org name may only contain alphanumerics`},
		{"destroy", "", "it is empty"},
	}
	for _, c := range cases {
		args := []string{c.cmd, "--stack", c.stack}
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		stderr := errOut.String()
		if code != exitBadStackName {
			t.Errorf("%q: exit %d, want %d; stderr %q", args, code, exitBadStackName, stderr)
		}
		if out.Len() != 0 {
			t.Errorf("%q: stdout %q, want nothing", args, out.String())
		}
		prefix := fmt.Sprintf("peerpods: --stack %q is not a valid stack name: ", c.stack)
		if !strings.HasPrefix(stderr, prefix) || !strings.HasSuffix(stderr, "; "+stackNameFix+"\n") ||
			strings.Count(stderr, "\n") != 1 || strings.Count(stderr, c.want) != 1 ||
			strings.Count(stderr, "--stack") != 1 || strings.Count(stderr, stackNameFix) != 1 {
			t.Errorf("%q: stderr %q; want one line %q...%q...%q", args, stderr, prefix, c.want, stackNameFix)
		}
	}
}

// TestFlagErrorOnce: a flag error on any command is printed once (the
// flag package prints nothing, not even to the process's stderr), with the
// usage once, and exits 2; it is found before the stack name is checked.
func TestFlagErrorOnce(t *testing.T) {
	// Whatever writes to the process's standard streams instead of the
	// writers run is given lands here.
	stray, err := os.Create(filepath.Join(t.TempDir(), "stray"))
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = stray, stray
	t.Cleanup(func() { os.Stdout, os.Stderr = oldOut, oldErr })
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"preview", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"preview", "--stack", "s", "--yes"}, "flag provided but not defined: -yes"},
		{[]string{"up", "--stack", "s", "--yes=maybe"}, `invalid boolean value "maybe" for -yes: parse error`},
		{[]string{"up", "--stack", "../x", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"destroy", "--stack", "s", "--parallel", "x"}, `invalid value "x" for flag -parallel: parse error`},
		{[]string{"destroy", "--stack", "s", "--replace", "urn"}, "flag provided but not defined: -replace"},
		{[]string{"refresh", "--stack"}, "flag needs an argument: -stack"},
		{[]string{"refresh", "--stack", "s", "--expect-no-changes=2"}, `invalid boolean value "2" for -expect-no-changes: parse error`},
		{[]string{"outputs", "--stack", "s", "--target", "urn"}, "flag provided but not defined: -target"},
		{[]string{"outputs", "--stack", "s", "--file"}, "flag needs an argument: -file"},
		{[]string{"outputs", "--stack", "s", "x"}, `unexpected argument "x"`},
		{[]string{"destroy", "--remove"}, "--stack is required"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, &out, &errOut)
		if want := "peerpods: " + c.msg + "\n" + usage + "\n"; code != exitUsage || errOut.String() != want || out.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d and stderr %q", c.args, code, out.String(), errOut.String(), exitUsage, want)
		}
	}
	os.Stdout, os.Stderr = oldOut, oldErr
	if b, err := os.ReadFile(stray.Name()); err != nil || len(b) != 0 {
		t.Errorf("printed to the process's stdout or stderr: %q %v", b, err)
	}
}

// TestStackNameBeforeFiles: an invalid stack name is refused before
// anything looks at the file system: not the project (--dir that does not
// exist, or a working directory without Pulumi.yaml, which would exit 6
// or 1), not the stack file, and no report or output file is written.
func TestStackNameBeforeFiles(t *testing.T) {
	old := openPreview
	openPreview = func(context.Context, options, io.Writer) (previewEngine, []string, error) {
		t.Error("preview opened the project for an invalid stack name")
		return nil, nil, errors.New("opened")
	}
	t.Cleanup(func() { openPreview = old })
	empty := t.TempDir()
	t.Chdir(empty) // no Pulumi.yaml here or above
	missing := filepath.Join(empty, "no-such-dir")
	for _, args := range [][]string{
		{"up", "--stack", "../x", "--dir", missing, "--yes"},
		{"up", "--stack", "../x"},
		{"preview", "--stack", "../x", "--dir", missing, "--report-json", "p.json", "--markdown", "p.md"},
		{"destroy", "--stack", "../x", "--dir", missing, "--yes", "--remove"},
		{"refresh", "--stack", `..\x`, "--dir", missing},
		{"outputs", "--stack", "../x", "--dir", missing, "--file", "out.json"},
		{"outputs", "--stack", "x/../../y"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		if code != exitBadStackName || strings.Count(errOut.String(), "is not a valid stack name") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want %d and the stack-name message once", args, code, errOut.String(), exitBadStackName)
		}
		if strings.Contains(errOut.String(), "Pulumi.yaml") || strings.Contains(errOut.String(), "no stack file") || strings.Contains(errOut.String(), "no-such-dir") {
			t.Errorf("%q: a file error: %q", args, errOut.String())
		}
	}
	if entries, err := os.ReadDir(empty); err != nil || len(entries) != 0 {
		t.Errorf("files written: %v %v", entries, err)
	}
	// open, which up, destroy, refresh and outputs use, checks the name
	// before looking for the project too.
	var sn stackNameError
	if _, err := open(context.Background(), options{stack: "../x"}); !errors.As(err, &sn) {
		t.Errorf("open: %v, want a stackNameError", err)
	}
}

// TestStackNameWithoutPulumiValidation: PULUMI_DISABLE_VALIDATION turns
// off Pulumi's stack-name check, not the command's: path separators,
// "..", "." and control characters are still refused; characters only
// Pulumi refuses then pass.
func TestStackNameWithoutPulumiValidation(t *testing.T) {
	t.Setenv("PULUMI_DISABLE_VALIDATION", "true")
	for _, name := range []string{"../x", "x/..", ".", `a\b`, "dev\n", "a..b", "o//s", "dé"} {
		if err := validStackName(name); err == nil {
			t.Errorf("%q accepted", name)
		}
	}
	if err := validStackName("a b"); err != nil {
		t.Errorf("with Pulumi's validation off: %v", err)
	}
}
