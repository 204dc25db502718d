package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// TestRunJSON: up, refresh and destroy with --json print each engine event
// as one line of JSON, in order, then the line {"peerpods": ...} with the
// stack, the operation and the engine's changes; no secret's value; a
// failure's message under "peerpods" and its error returned, with the
// engine's exit code.
func TestRunJSON(t *testing.T) {
	evs := jsonStream()
	changes := map[string]int{"create": 1, "same": 2}
	for _, failed := range []bool{false, true} {
		var opErr error
		if failed {
			opErr = errors.New("failed to run update: exit status 4\ncode: 4\nstdout: x\nstderr: y\n")
		}
		op := func(_ context.Context, ch chan<- events.EngineEvent) (map[string]int, error) {
			for _, e := range evs {
				ch <- e
			}
			close(ch)
			return changes, opErr
		}
		var out, errOut bytes.Buffer
		err := runJSON(context.Background(), "dev", "update", op, &out, &errOut)
		if err != opErr {
			t.Errorf("failed %v: error %v, want %v", failed, err, opErr)
		}
		if strings.Contains(out.String()+errOut.String(), leakedSecret) {
			t.Errorf("failed %v: a secret is shown:\n%s", failed, out.String())
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) != len(evs)+1 {
			t.Fatalf("failed %v: %d lines, want %d:\n%s", failed, len(lines), len(evs)+1, out.String())
		}
		for i, e := range evs {
			var got apitype.EngineEvent
			if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			if (got.ResourcePreEvent == nil) != (e.ResourcePreEvent == nil) || (got.SummaryEvent == nil) != (e.SummaryEvent == nil) ||
				(e.ResourcePreEvent != nil && got.ResourcePreEvent.Metadata.URN != e.ResourcePreEvent.Metadata.URN) {
				t.Errorf("line %d is not event %d: %s", i+1, i+1, lines[i])
			}
		}
		var last map[string]runSummary
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || len(last) != 1 {
			t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
		}
		want := runSummary{Stack: "dev", Operation: "update", Changes: changes}
		if failed {
			want.Error = "failed to run update: exit status 4"
		}
		if !reflect.DeepEqual(last["peerpods"], want) {
			t.Errorf("failed %v: peerpods %+v, want %+v", failed, last["peerpods"], want)
		}
		if failed {
			if code := exitCode(context.Background(), (&stack{name: "dev"}).failed("up", err), &errOut); code != exitResource {
				t.Errorf("exit %d, want %d", code, exitResource)
			}
		}
	}
}

// TestRunJSONFlags: --json of up, refresh and destroy takes no value, and
// check and outputs keep theirs.
func TestRunJSONFlags(t *testing.T) {
	for _, cmd := range []string{"up", "refresh", "destroy"} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{cmd, "--stack", "dev", "--json", "x.json"}, &out, &errOut); code != exitUsage {
			t.Errorf("%s --json x.json: exit %d, want %d", cmd, code, exitUsage)
		}
		out.Reset()
		run(context.Background(), []string{cmd, "-h"}, &out, &errOut)
		if !strings.Contains(out.String(), "-json") {
			t.Errorf("%s has no --json:\n%s", cmd, out.String())
		}
	}
}
