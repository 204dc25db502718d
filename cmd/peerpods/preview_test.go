package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerpods/provisioner/cmd/peerpods/diffreport"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// fakeEngine is a preview engine without Pulumi: it sends its events and
// returns its result, closing the event stream as told.
type fakeEngine struct {
	events []events.EngineEvent
	// sent is how many of events are sent before the stream is closed (all
	// when 0): a stream that ends early.
	sent int
	// late, when set, is closed once the engine has returned; the events
	// are sent, and the stream closed, once late is given a value.
	late chan struct{}
	// returned is closed when the engine call returns.
	returned chan struct{}
	// neverOpen leaves the stream alone: an engine that failed to start.
	neverOpen bool
	// panics is a panic of the engine call.
	panics  any
	summary map[apitype.OpType]int
	err     error
}

func (f fakeEngine) preview(ctx context.Context, ch chan<- events.EngineEvent) (auto.PreviewResult, error) {
	if f.returned != nil {
		defer close(f.returned)
	}
	if f.panics != nil {
		panic(f.panics)
	}
	evs := f.events
	if f.sent > 0 {
		evs = evs[:f.sent]
	}
	send := func() {
		for _, e := range evs {
			ch <- e
		}
		close(ch)
	}
	switch {
	case f.neverOpen:
	case f.late != nil:
		go func() {
			<-f.late
			send()
		}()
	default:
		send()
	}
	return auto.PreviewResult{ChangeSummary: f.summary}, f.err
}

// withEngine makes the preview command use e instead of opening a stack.
func withEngine(t *testing.T, e fakeEngine) {
	t.Helper()
	old := openPreview
	openPreview = func(context.Context, options, io.Writer) (previewEngine, []string, error) { return e.preview, nil, nil }
	t.Cleanup(func() { openPreview = old })
}

// previewRun runs peerpods preview, with flags, with a report in files of
// a temporary directory; it returns the exit code, stdout, stderr and the
// JSON report.
func previewRun(t *testing.T, ctx context.Context, flags ...string) (int, string, string, diffreport.Report) {
	t.Helper()
	dir := t.TempDir()
	jsonFile, mdFile := filepath.Join(dir, "p.json"), filepath.Join(dir, "p.md")
	var out, errOut bytes.Buffer
	code := run(ctx, append([]string{"preview", "--stack", "dev", "--report-json", jsonFile, "--markdown", mdFile}, flags...), &out, &errOut)
	var r diffreport.Report
	if b, err := os.ReadFile(jsonFile); err == nil {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		md, err := os.ReadFile(mdFile)
		if err != nil || (string(md) != out.String() && !slices.Contains(flags, "--json")) {
			t.Errorf("markdown file %q (%v) is not what was printed %q", md, err, out.String())
		}
	} else if code == exitOK || code == exitChanges {
		t.Errorf("exit %d without a report: %v", code, err)
	}
	return code, out.String(), errOut.String(), r
}

const urnPrefix = "urn:pulumi:dev::peerpods::"

func stepEvent(op apitype.OpType, typ, name string) events.EngineEvent {
	md := apitype.StepEventMetadata{Op: op, Type: typ, URN: urnPrefix + typ + "::" + name}
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: md}}}
}

func diagEvent(severity, urn, msg string) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{URN: urn, Message: msg, Severity: severity}}}
}

func summaryEvent(changes map[apitype.OpType]int) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{SummaryEvent: &apitype.SummaryEvent{ResourceChanges: changes, IsPreview: true}}}
}

// stream is a preview's events: the stack unchanged, a ConfigMap created,
// a pool updated, a volume replaced (its three steps), a subnet deleted,
// then the summary.
func stream(summary map[apitype.OpType]int) []events.EngineEvent {
	return []events.EngineEvent{
		{EngineEvent: apitype.EngineEvent{PreludeEvent: &apitype.PreludeEvent{}}},
		stepEvent(apitype.OpSame, "pulumi:pulumi:Stack", "peerpods-dev"),
		stepEvent(apitype.OpCreate, "kubernetes:core/v1:ConfigMap", "peer-pods-cm"),
		stepEvent(apitype.OpUpdate, "peerpods:libvirt:StoragePool", "pool"),
		stepEvent(apitype.OpCreateReplacement, "peerpods:libvirt:StorageVolume", "vol"),
		stepEvent(apitype.OpReplace, "peerpods:libvirt:StorageVolume", "vol"),
		stepEvent(apitype.OpDelete, "azure-native:network:Subnet", "subnet"),
		stepEvent(apitype.OpDeleteReplaced, "peerpods:libvirt:StorageVolume", "vol"),
		diagEvent("warning", "", "a warning is no failure"),
		summaryEvent(summary),
	}
}

var allChanges = map[apitype.OpType]int{apitype.OpSame: 1, apitype.OpCreate: 1, apitype.OpUpdate: 1, apitype.OpReplace: 1, apitype.OpDelete: 1}

// TestPreviewErrorDiagnostic: an error diagnostic fails the preview (exit
// 1) with its message printed once, whether the engine call itself failed
// (its error repeating the CLI's output) or not, and with no report.
func TestPreviewErrorDiagnostic(t *testing.T) {
	const msg = "invalid value for region: \"mars-1\""
	evs := append(stream(allChanges)[:3],
		diagEvent("error", urnPrefix+"aws:ec2/vpc:Vpc::main", "<{%fg 1%}>"+msg+"<{%reset%}>\n"),
		diagEvent("error", urnPrefix+"aws:ec2/vpc:Vpc::main", msg+"\n"), // the engine repeats itself
		diagEvent("info#err", "", "stderr noise"),
		summaryEvent(allChanges))
	autoErr := errors.New("failed to run preview: exit status 255\ncode: 255\nstdout: error: " + msg + "\nstderr: error: " + msg + "\n")
	for _, engineErr := range []error{nil, autoErr} {
		withEngine(t, fakeEngine{events: evs, summary: allChanges, err: engineErr})
		code, out, errOut, _ := previewRun(t, context.Background())
		if code != exitFailure {
			t.Errorf("engine error %v: exit %d, want %d", engineErr != nil, code, exitFailure)
		}
		if n := strings.Count(out+errOut, msg); n != 1 {
			t.Errorf("engine error %v: message printed %d times:\n%s%s", engineErr != nil, n, out, errOut)
		}
		want := "peerpods: preview of dev failed: aws:ec2/vpc:Vpc main: " + msg + "\n"
		if errOut != want || out != "" {
			t.Errorf("engine error %v: stderr %q, stdout %q; want stderr %q", engineErr != nil, errOut, out, want)
		}
	}
}

// TestPreviewEngineFailure: an engine that fails before opening the event
// stream fails the command at once (no wait on a stream that never
// closes), with the engine's message once, without the copy of the CLI's
// output the Automation API error carries.
func TestPreviewEngineFailure(t *testing.T) {
	failureGrace = 50 * time.Millisecond
	t.Cleanup(func() { failureGrace = 5 * time.Second })
	withEngine(t, fakeEngine{neverOpen: true, summary: allChanges,
		err: errors.New("failed to run preview: exit status 6\ncode: 6\nstdout: PROGRESS\nstderr: error: no stack named 'dev' found\n")})
	start := time.Now()
	code, out, errOut, _ := previewRun(t, context.Background())
	if code != exitFailure || out != "" || errOut != "peerpods: preview of dev failed: failed to run preview: exit status 6\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestPreviewShortStream: the event stream ends early (no summary event,
// the last changes never described); the counts and the exit code are the
// engine's ChangeSummary, the report never says "No changes" and names the
// changed resources it cannot list.
func TestPreviewShortStream(t *testing.T) {
	for _, sent := range []int{1, 3, 5} {
		withEngine(t, fakeEngine{events: stream(allChanges), sent: sent, summary: allChanges})
		code, out, errOut, r := previewRun(t, context.Background(), "--expect-no-changes")
		if code != exitChanges {
			t.Errorf("%d events: exit %d, want %d (%s)", sent, code, exitChanges, errOut)
		}
		if strings.Contains(out, "No changes") {
			t.Errorf("%d events: says no changes:\n%s", sent, out)
		}
		if !strings.Contains(out, "**1 to create, 1 to update, 1 to replace, 1 to delete, 1 unchanged**") {
			t.Errorf("%d events: summary not the engine's:\n%s", sent, out)
		}
		listed := map[int]int{1: 0, 3: 1, 5: 3}[sent]
		if len(r.Changes) != listed || r.Unlisted != 4-listed || r.Counts["delete"] != 1 || r.Counts["same"] != 1 {
			t.Errorf("%d events: report %+v", sent, r)
		}
		if !strings.Contains(out, "The engine counts") {
			t.Errorf("%d events: no note of the unlisted changes:\n%s", sent, out)
		}
	}

	// The engine says nothing changes while the events it sent before the
	// stream ended show changes: the engine's summary wins.
	withEngine(t, fakeEngine{events: stream(allChanges), sent: 4, summary: map[apitype.OpType]int{apitype.OpSame: 5}})
	if code, out, _, _ := previewRun(t, context.Background(), "--expect-no-changes"); code != exitOK || !strings.Contains(out, "No changes (5 resources unchanged).") {
		t.Errorf("summary without changes: exit %d\n%s", code, out)
	}
}

// TestPreviewWaitsForTheStream: events that arrive after the engine call
// has returned, once the collector waits and past failureGrace (every
// timer of the collector but its stall warning fires at once), are all
// in the report: the collector reads until the engine closes the
// stream. No clock: the events are sent when the collector starts its
// stall timer, which it does once it waits.
func TestPreviewWaitsForTheStream(t *testing.T) {
	late, returned := make(chan struct{}), make(chan struct{})
	old := newTimer
	t.Cleanup(func() { newTimer = old })
	fired := make(chan time.Time, 1)
	fired <- time.Time{}
	newTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
		if d != stallWarning {
			return fired, func() bool { return true }
		}
		go func() { <-returned; close(late) }() // the collector waits now
		return nil, func() bool { return true }
	}
	withEngine(t, fakeEngine{events: stream(allChanges), late: late, returned: returned, summary: allChanges})
	code, _, errOut, r := previewRun(t, context.Background(), "--expect-no-changes")
	if code != exitChanges || len(r.Changes) != 4 || r.Unlisted != 0 {
		t.Errorf("exit %d, %d rows, %d unlisted (%s)", code, len(r.Changes), r.Unlisted, errOut)
	}
}

// TestPreviewExitCode: a whole stream; with --expect-no-changes exit 7
// when the engine's summary has a create, update, delete or replace, 0
// (and "No changes") otherwise; without it 0 either way, as pulumi
// preview.
func TestPreviewExitCode(t *testing.T) {
	cases := []struct {
		summary map[apitype.OpType]int
		changes bool
	}{
		{map[apitype.OpType]int{apitype.OpSame: 6}, false},
		{map[apitype.OpType]int{apitype.OpSame: 6, apitype.OpRead: 2}, false},
		{map[apitype.OpType]int{}, false},
		{map[apitype.OpType]int{apitype.OpSame: 5, apitype.OpCreate: 1}, true},
		{map[apitype.OpType]int{apitype.OpSame: 5, apitype.OpUpdate: 1}, true},
		{map[apitype.OpType]int{apitype.OpSame: 5, apitype.OpDelete: 1}, true},
		{map[apitype.OpType]int{apitype.OpSame: 5, apitype.OpReplace: 1}, true},
		{allChanges, true},
	}
	for _, c := range cases {
		for _, expect := range []bool{false, true} {
			want := exitOK
			var flags []string
			if expect {
				flags = []string{"--expect-no-changes"}
				if c.changes {
					want = exitChanges
				}
			}
			withEngine(t, fakeEngine{events: stream(c.summary), summary: c.summary})
			code, out, errOut, r := previewRun(t, context.Background(), flags...)
			if code != want || (errOut != "") != (want == exitChanges) {
				t.Errorf("%v %v: exit %d, want %d (%s)", c.summary, flags, code, want, errOut)
			}
			if noChanges := strings.Contains(out, "No changes"); noChanges == c.changes {
				t.Errorf("%v %v: exit %d with report:\n%s", c.summary, flags, code, out)
			}
			if len(r.Counts) != len(c.summary) {
				t.Errorf("%v %v: counts %v", c.summary, flags, r.Counts)
			}
		}
	}
}

// TestPreviewWithoutSummary: an engine that succeeds without a change
// summary is a failure, never "No changes".
func TestPreviewWithoutSummary(t *testing.T) {
	withEngine(t, fakeEngine{events: stream(allChanges)})
	code, out, errOut, _ := previewRun(t, context.Background())
	if code != exitFailure || out != "" || !strings.Contains(errOut, "no change summary") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestPreviewPanic: a panic is an internal error (255), never the exit
// code of changes.
func TestPreviewPanic(t *testing.T) {
	withEngine(t, fakeEngine{panics: "boom", summary: allChanges})
	code, out, errOut, _ := previewRun(t, context.Background())
	if code != exitInternal || code == exitChanges || out != "" || !strings.HasPrefix(errOut, "peerpods: internal error: boom\n") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestPreviewCanceled: a preview interrupted by a signal exits 8.
func TestPreviewCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	withEngine(t, fakeEngine{neverOpen: true, err: errors.New("failed to run preview: signal: interrupt")})
	code, out, errOut, _ := previewRun(t, ctx)
	if code != exitCanceled || out != "" || !strings.HasPrefix(errOut, "peerpods: canceled") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
