package main

import (
	"encoding/json"
	"io"
	"time"

	"github.com/peerpods/provisioner/cmd/peerpods/diffreport"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// previewDigest is what `pulumi preview --json` prints (PreviewDigest of
// github.com/pulumi/pulumi/pkg/v3 display, written by ShowPreviewDigest of
// backend/display/json.go in v3.250.0), rebuilt from the Automation API's
// event stream, with peerpods' own report under the one key "peerpods".
type previewDigest struct {
	Config        map[string]string      `json:"config,omitempty"`
	Steps         []*previewStep         `json:"steps,omitempty"`
	Diagnostics   []previewDiagnostic    `json:"diagnostics,omitempty"`
	Duration      time.Duration          `json:"duration,omitempty"`
	ChangeSummary map[apitype.OpType]int `json:"changeSummary,omitempty"`
	MaybeCorrupt  bool                   `json:"maybeCorrupt,omitempty"`
	// Peerpods is the report (diffreport.Report), or, after a failure,
	// the stack and the error (previewFailure).
	Peerpods any `json:"peerpods"`
}

// previewStep is Pulumi's PreviewStep.
type previewStep struct {
	Op             apitype.OpType          `json:"op"`
	URN            string                  `json:"urn"`
	Provider       string                  `json:"provider,omitempty"`
	OldState       *apitype.ResourceV3     `json:"oldState,omitempty"`
	NewState       *apitype.ResourceV3     `json:"newState,omitempty"`
	DiffReasons    []string                `json:"diffReasons,omitempty"`
	ReplaceReasons []string                `json:"replaceReasons,omitempty"`
	DetailedDiff   map[string]propertyDiff `json:"detailedDiff"`
}

// propertyDiff is Pulumi's PropertyDiff.
type propertyDiff struct {
	Kind      string `json:"kind"`
	InputDiff bool   `json:"inputDiff"`
}

// previewDiagnostic is Pulumi's PreviewDiagnostic.
type previewDiagnostic struct {
	URN      string `json:"urn,omitempty"`
	Prefix   string `json:"prefix,omitempty"`
	Message  string `json:"message,omitempty"`
	Severity string `json:"severity,omitempty"`
}

// previewFailure is the "peerpods" key of a failed preview's digest.
type previewFailure struct {
	Stack string `json:"stack"`
	Error string `json:"error"`
}

// newPreviewDigest builds the digest from the events as ShowPreviewDigest
// does with its default options: unchanged resources and the physical
// steps of a replacement are left out (the stack itself is kept), debug
// and ephemeral diagnostics too, colors removed; the engine's standard
// output becomes info diagnostics. Secrets inside states are [secret].
// summary is the engine's change summary, used when no summary event
// arrived.
func newPreviewDigest(evs []apitype.EngineEvent, summary map[apitype.OpType]int, peerpods any) previewDigest {
	d := previewDigest{ChangeSummary: summary, Peerpods: peerpods}
	for _, e := range evs {
		switch {
		case e.CancelEvent != nil:
			return d
		case e.PreludeEvent != nil:
			d.Config = e.PreludeEvent.Config
		case e.DiagnosticEvent != nil:
			p := e.DiagnosticEvent
			if !p.Ephemeral && p.Severity != "debug" {
				d.Diagnostics = append(d.Diagnostics, previewDiagnostic{URN: p.URN,
					Message: colors.Never.Colorize(p.Prefix + p.Message), Severity: p.Severity})
			}
		case e.StdoutEvent != nil:
			d.Diagnostics = append(d.Diagnostics, previewDiagnostic{Message: colors.Never.Colorize(e.StdoutEvent.Message), Severity: "info"})
		case e.ResourcePreEvent != nil:
			if m := e.ResourcePreEvent.Metadata; shown(m) {
				d.Steps = append(d.Steps, digestStep(m))
			}
		case e.SummaryEvent != nil:
			d.Duration = time.Duration(e.SummaryEvent.DurationSeconds) * time.Second
			d.ChangeSummary = e.SummaryEvent.ResourceChanges
			d.MaybeCorrupt = e.SummaryEvent.MaybeCorrupt
		}
	}
	return d
}

// shown is shouldShow of Pulumi's display (no --show-sames, no
// --show-replacement-steps, JSON), the stack itself always shown.
func shown(m apitype.StepEventMetadata) bool {
	urn := resource.URN(m.URN)
	if urn.IsValid() && urn.QualifiedType() == resource.RootStackType {
		return true
	}
	switch m.Op {
	case apitype.OpSame:
		return m.Old != nil && m.New != nil && m.Old.Protect != m.New.Protect
	case apitype.OpReplace, apitype.OpCreateReplacement, apitype.OpDeleteReplaced, apitype.OpReadReplacement,
		apitype.OpDiscardReplaced, apitype.OpRemovePendingReplace, apitype.OpImportReplacement:
		// deploy.IsReplacementStep: only the logical step (the replace).
		return m.Logical
	}
	return true
}

func digestStep(m apitype.StepEventMetadata) *previewStep {
	s := &previewStep{Op: m.Op, URN: m.URN, Provider: m.Provider, DiffReasons: m.Diffs, ReplaceReasons: m.Keys,
		OldState: digestState(m.Old), NewState: digestState(m.New)}
	if m.DetailedDiff != nil {
		s.DetailedDiff = make(map[string]propertyDiff, len(m.DetailedDiff))
		for k, v := range m.DetailedDiff {
			s.DetailedDiff[k] = propertyDiff{Kind: string(v.Kind), InputDiff: v.InputDiff}
		}
	}
	return s
}

// digestState is the state of a step as Pulumi serializes it, secrets
// masked.
func digestState(st *apitype.StepEventStateMetadata) *apitype.ResourceV3 {
	if st == nil {
		return nil
	}
	masked := func(m map[string]any) map[string]any {
		if m == nil {
			return nil
		}
		return diffreport.Mask(m).(map[string]any)
	}
	return &apitype.ResourceV3{URN: resource.URN(st.URN), Custom: st.Custom, Delete: st.Delete, ID: resource.ID(st.ID),
		Type: tokens.Type(st.Type), Inputs: masked(st.Inputs), Outputs: masked(st.Outputs), Parent: resource.URN(st.Parent),
		Protect: st.Protect, Taint: st.Taint, External: st.External, RetainOnDelete: st.RetainOnDelete,
		Provider: st.Provider, InitErrors: st.InitErrors, HideDiff: st.HideDiffs}
}

// writeJSON writes v as ShowPreviewDigest does: json.MarshalIndent by
// four spaces, a final newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
