package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/peerpods/provisioner/cmd/peerpods/diffreport"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// runSummary is the "peerpods" line after the events of up, refresh or
// destroy with --json.
type runSummary struct {
	Stack string `json:"stack"`
	// Operation is update, refresh or destroy.
	Operation string `json:"operation"`
	// Changes are the engine's resource changes per operation.
	Changes map[string]int `json:"changes,omitempty"`
	// Error is the failure's message, if the run failed.
	Error string `json:"error,omitempty"`
}

// eventOp runs an operation with its engine events sent to ch (the engine
// closes ch after the last one) and returns its resource changes.
type eventOp func(ctx context.Context, ch chan<- events.EngineEvent) (map[string]int, error)

// runJSON runs op and prints what `pulumi up --json` (and refresh,
// destroy) prints in Pulumi v3.250.0, ShowJSONEvents of
// backend/display/json.go: each engine event as one line of JSON, as it
// arrives, secrets [secret]; then one more line, {"peerpods": runSummary}.
// It returns op's error.
func runJSON(ctx context.Context, stack, operation string, op eventOp, stdout, stderr io.Writer) error {
	ch := make(chan events.EngineEvent)
	done := make(chan struct{})
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	var mu sync.Mutex // enc after a wait that gave up on the stream
	go func() {
		defer close(done)
		for e := range ch {
			if e.Error != nil {
				fmt.Fprintf(stderr, "peerpods: warning: the engine's event stream lost an event: %v\n", e.Error)
				continue
			}
			mu.Lock()
			_ = enc.Encode(maskEvent(e.EngineEvent))
			mu.Unlock()
		}
	}()
	changes, err := op(ctx, ch)
	c := &collector{done: done}
	c.wait(ctx, err != nil, stderr)
	sum := runSummary{Stack: stack, Operation: operation, Changes: changes}
	if err != nil {
		sum.Error = engineMessage(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if werr := enc.Encode(map[string]runSummary{"peerpods": sum}); werr != nil && err == nil {
		return werr
	}
	return err
}

// maskEvent masks every secret in the states of a step event: the engine
// masks them already, this keeps it so.
func maskEvent(e apitype.EngineEvent) apitype.EngineEvent {
	mask := func(m *apitype.StepEventMetadata) {
		for _, st := range []*apitype.StepEventStateMetadata{m.Old, m.New} {
			if st == nil {
				continue
			}
			if st.Inputs != nil {
				st.Inputs = diffreport.Mask(st.Inputs).(map[string]any)
			}
			if st.Outputs != nil {
				st.Outputs = diffreport.Mask(st.Outputs).(map[string]any)
			}
		}
	}
	switch {
	case e.ResourcePreEvent != nil:
		mask(&e.ResourcePreEvent.Metadata)
	case e.ResOutputsEvent != nil:
		mask(&e.ResOutputsEvent.Metadata)
	case e.ResOpFailedEvent != nil:
		mask(&e.ResOpFailedEvent.Metadata)
	}
	return e
}
