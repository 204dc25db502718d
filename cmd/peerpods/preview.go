package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/peerpods/provisioner/cmd/peerpods/diffreport"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// previewEngine runs one preview on the engine, sending every engine event
// to ch. The engine closes ch after its last event; after a failure it may
// never have opened the stream, and then leaves ch alone. stack.engine is
// the real one (auto.Stack.Preview); tests pass fakes.
type previewEngine func(ctx context.Context, ch chan<- events.EngineEvent) (auto.PreviewResult, error)

// openPreview opens the stack of o and returns its preview engine, its
// progress written to progress, and the notes the report starts with (the
// KVM host's key, read without credentials: hostKeyNote); tests replace
// it.
var openPreview = func(ctx context.Context, o options, progress io.Writer) (previewEngine, []string, error) {
	s, err := open(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	if n := s.stackHostKeyNote(ctx); n != "" {
		notes = append(notes, n)
	}
	return s.previewEngine(o.run, progress), notes, nil
}

// previewEngine is the stack's preview on the Pulumi engine: its progress
// display (standard output and standard error of the CLI) goes live to
// progress, so nothing of it needs repeating in an error.
func (s *stack) previewEngine(run runOptions, progress io.Writer) previewEngine {
	return func(ctx context.Context, ch chan<- events.EngineEvent) (auto.PreviewResult, error) {
		return s.Preview(ctx, append(run.preview(), optpreview.EventStreams(ch), optpreview.Diff(),
			optpreview.ProgressStreams(progress), optpreview.ErrorProgressStreams(progress))...)
	}
}

// How long preview waits for the engine's event stream to close: after a
// failed preview at most failureGrace (the stream may never have been
// opened; the events only add the diagnostics to the error, the outcome is
// a failure either way); after a successful one until it closes (or the
// command is interrupted), with one warning after stallWarning.
var (
	failureGrace = 5 * time.Second
	stallWarning = 30 * time.Second
)

// previewOptions are the flags of preview: the report files ("" for
// none), --json and --expect-no-changes.
type previewOptions struct {
	jsonFile, markdownFile string
	// json prints Pulumi's preview JSON (previewDigest) on stdout instead
	// of the Markdown report.
	json bool
	// expectNoChanges makes changes a failure (changesFound), as pulumi
	// preview --expect-no-changes.
	expectNoChanges bool
}

// runPreview previews stack on engine and writes the report (Markdown, or
// with o.json Pulumi's preview JSON, on stdout; and to files). The counts
// and the verdict are the engine's change summary; the rows come from the
// events, collected until the engine closes the stream. An error
// diagnostic or an engine failure makes it fail with the message once
// (with o.json after the JSON of the failure), its exit code the engine's
// when Pulumi's (engineExitCode); changes found return changesFound with
// o.expectNoChanges only.
func runPreview(ctx context.Context, stack string, engine previewEngine, notes []string, o previewOptions, stdout, stderr io.Writer) error {
	c := newCollector()
	res, err := engine(ctx, c.ch)
	c.wait(ctx, err != nil, stderr)
	evs, streamErrs := c.result()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	fail := func(msg string) error {
		if o.json {
			if werr := writeJSON(stdout, newPreviewDigest(evs, res.ChangeSummary, previewFailure{Stack: stack, Error: msg})); werr != nil {
				return werr
			}
		}
		return codedError{code: engineExitCode(err), err: errors.New(msg)}
	}
	if diags := errorDiagnostics(evs); len(diags) > 0 {
		return fail(fmt.Sprintf("preview of %s failed: %s", stack, strings.Join(diags, "\n")))
	}
	if err != nil {
		return fail(fmt.Sprintf("preview of %s failed: %s", stack, engineMessage(err)))
	}
	if res.ChangeSummary == nil {
		return fail(fmt.Sprintf("preview of %s: the engine returned no change summary", stack))
	}
	for _, e := range streamErrs {
		fmt.Fprintf(stderr, "peerpods: warning: the engine's event stream lost an event: %v\n", e)
	}
	report := diffreport.FromPreview(stack, res.ChangeSummary, evs)
	report.Notes = notes
	md := report.Markdown(diffreport.MaxMarkdown)
	if o.markdownFile != "" {
		if err := os.WriteFile(o.markdownFile, []byte(md), 0o644); err != nil {
			return err
		}
	}
	if o.jsonFile != "" {
		b, err := report.JSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonFile, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if o.json {
		if report.Changes == nil {
			report.Changes = []diffreport.Change{}
		}
		if err := writeJSON(stdout, newPreviewDigest(evs, res.ChangeSummary, report)); err != nil {
			return err
		}
	} else {
		fmt.Fprint(stdout, md)
	}
	if o.expectNoChanges && report.HasChanges() {
		fmt.Fprintf(stderr, "peerpods: preview of %s: no changes were expected but changes were proposed\n", stack)
		return changesFound
	}
	return nil
}

// collector gathers the engine events sent on ch until the engine closes
// it.
type collector struct {
	ch   chan events.EngineEvent
	done chan struct{} // closed when ch is

	mu     sync.Mutex
	events []apitype.EngineEvent
	errs   []error // events the stream could not decode
}

func newCollector() *collector {
	c := &collector{ch: make(chan events.EngineEvent), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for e := range c.ch {
			c.mu.Lock()
			if e.Error != nil {
				c.errs = append(c.errs, e.Error)
			} else {
				c.events = append(c.events, e.EngineEvent)
			}
			c.mu.Unlock()
		}
	}()
	return c
}

// wait returns when the engine has closed the stream, when ctx ends, or,
// after a failed preview, after failureGrace. It reports whether the
// stream was closed.
func (c *collector) wait(ctx context.Context, failed bool, stderr io.Writer) bool {
	var grace <-chan time.Time
	if failed {
		c, stop := newTimer(failureGrace)
		defer stop()
		grace = c
	}
	stall, stop := newTimer(stallWarning)
	defer stop()
	for {
		select {
		case <-c.done:
			return true
		case <-ctx.Done():
			return false
		case <-grace:
			return false
		case <-stall:
			fmt.Fprintln(stderr, "peerpods: still waiting for the engine to close its event stream")
		}
	}
}

// newTimer is time.NewTimer as its channel and its Stop (tests replace
// it to see the collector wait, with no clock).
var newTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// result returns what the collector has gathered so far.
func (c *collector) result() ([]apitype.EngineEvent, []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]apitype.EngineEvent(nil), c.events...), append([]error(nil), c.errs...)
}

// errorDiagnostics lists the messages of the diagnostic events of severity
// error, without color directives, each once, prefixed with the resource
// they are about.
func errorDiagnostics(evs []apitype.EngineEvent) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range evs {
		d := e.DiagnosticEvent
		if d == nil || d.Severity != "error" {
			continue
		}
		msg := strings.TrimSpace(colors.Never.Colorize(d.Message))
		if d.URN != "" {
			urn := resource.URN(d.URN)
			if urn.IsValid() {
				msg = urn.Type().String() + " " + urn.Name() + ": " + msg
			} else {
				msg = d.URN + ": " + msg
			}
		}
		if msg != "" && !seen[msg] {
			seen[msg] = true
			out = append(out, msg)
		}
	}
	return out
}
