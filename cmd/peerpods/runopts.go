package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"golang.org/x/sys/unix"
)

// runOptions are the Pulumi CLI flags passed through to the engine.
type runOptions struct {
	targets, replaces []string
	refresh, diff     bool
	parallel          int
	message           string
	// yes skips the confirmation of up and destroy.
	yes bool
	// noWait skips following the operator after up.
	noWait bool
	// json prints the engine events as JSON lines (runJSON) on stdout, as
	// pulumi --json; for refresh --expect-no-changes the preview's JSON.
	json bool
}

// list is a flag that may be given more than once.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// addRunFlags declares the pass-through flags cmd takes.
func addRunFlags(fs *flag.FlagSet, cmd string, r *runOptions) {
	switch cmd {
	case "up", "preview", "destroy", "refresh":
	default:
		return
	}
	fs.Var((*list)(&r.targets), "target", "only this resource URN (repeatable), as pulumi --target")
	fs.IntVar(&r.parallel, "parallel", 0, "at most this many resource operations at once (0: the engine's default)")
	fs.StringVar(&r.message, "message", "", "message recorded with the update")
	if cmd != "refresh" {
		fs.BoolVar(&r.refresh, "refresh", false, "refresh the state first, as pulumi --refresh")
	}
	if cmd == "up" || cmd == "preview" {
		fs.Var((*list)(&r.replaces), "replace", "replace this resource URN (repeatable), as pulumi --replace")
	}
	if cmd == "up" || cmd == "destroy" || cmd == "refresh" {
		fs.BoolVar(&r.diff, "diff", false, "show the detailed diff of each change")
	}
	if cmd == "up" {
		fs.BoolVar(&r.noWait, "no-wait", false, "do not follow the operator after a cluster handoff (else up waits, at most peerpods:waitTimeout, until peer pods work)")
	}
	if cmd == "up" || cmd == "destroy" || cmd == "refresh" {
		fs.BoolVar(&r.json, "json", false, "print the engine events as JSON lines, as pulumi --json (with --expect-no-changes the preview's JSON, as pulumi preview --json), then the result under \"peerpods\"")
	}
	if cmd == "up" || cmd == "destroy" {
		fs.BoolVar(&r.yes, "yes", false, "do not ask for confirmation (needed without a terminal, as in CI)")
	}
}

func (r runOptions) up() []optup.Option {
	var o []optup.Option
	if len(r.targets) > 0 {
		o = append(o, optup.Target(r.targets))
	}
	if len(r.replaces) > 0 {
		o = append(o, optup.Replace(r.replaces))
	}
	if r.refresh {
		o = append(o, optup.Refresh())
	}
	if r.diff {
		o = append(o, optup.Diff())
	}
	if r.parallel > 0 {
		o = append(o, optup.Parallel(r.parallel))
	}
	if r.message != "" {
		o = append(o, optup.Message(r.message))
	}
	return o
}

func (r runOptions) preview() []optpreview.Option {
	var o []optpreview.Option
	if len(r.targets) > 0 {
		o = append(o, optpreview.Target(r.targets))
	}
	if len(r.replaces) > 0 {
		o = append(o, optpreview.Replace(r.replaces))
	}
	if r.refresh {
		o = append(o, optpreview.Refresh())
	}
	if r.parallel > 0 {
		o = append(o, optpreview.Parallel(r.parallel))
	}
	if r.message != "" {
		o = append(o, optpreview.Message(r.message))
	}
	return o
}

func (r runOptions) destroy() []optdestroy.Option {
	var o []optdestroy.Option
	if len(r.targets) > 0 {
		o = append(o, optdestroy.Target(r.targets))
	}
	if r.refresh {
		o = append(o, optdestroy.Refresh())
	}
	if r.diff {
		o = append(o, optdestroy.Diff())
	}
	if r.parallel > 0 {
		o = append(o, optdestroy.Parallel(r.parallel))
	}
	if r.message != "" {
		o = append(o, optdestroy.Message(r.message))
	}
	return o
}

func (r runOptions) refreshOpts() []optrefresh.Option {
	var o []optrefresh.Option
	if len(r.targets) > 0 {
		o = append(o, optrefresh.Target(r.targets))
	}
	if r.diff {
		o = append(o, optrefresh.Diff())
	}
	if r.parallel > 0 {
		o = append(o, optrefresh.Parallel(r.parallel))
	}
	if r.message != "" {
		o = append(o, optrefresh.Message(r.message))
	}
	return o
}

// errDeclined is a confirmation answered no: the run is canceled.
var errDeclined = errors.New("declined: nothing was changed")

// terminal reports whether f is an interactive terminal.
func terminal(f *os.File) bool {
	// A character device is not enough: /dev/null is one (the standard
	// input of a job without one). A terminal answers TCGETS (TIOCGETA
	// on darwin).
	_, err := unix.IoctlGetTermios(int(f.Fd()), getTermios)
	return err == nil
}

// confirm shows the plan (its counts) and asks whether to go on, as the
// Pulumi CLI does for up and destroy. Without a terminal there is nobody
// to ask: --yes is needed, as for pulumi.
func confirm(ctx context.Context, what, stackName string, interactive bool, plan func(context.Context) (auto.PreviewResult, error), in io.Reader, out io.Writer) error {
	if !interactive {
		return usageError{fmt.Sprintf("%s changes %s and there is no terminal to confirm it: pass --yes (as CI does), or run it in a terminal", what, stackName)}
	}
	res, err := plan(ctx)
	if err != nil {
		return fmt.Errorf("planning the %s of %s: %w", what, stackName, err)
	}
	fmt.Fprintf(out, "\nthe %s of %s would: %s\nDo you want to perform this %s? [y/N] ", what, stackName, counts(res.ChangeSummary), what)
	if !answeredYes(in) {
		return errDeclined
	}
	return nil
}

// answeredYes reads one line of in and reports whether it says y or yes.
func answeredYes(in io.Reader) bool {
	answer, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true
	}
	return false
}
