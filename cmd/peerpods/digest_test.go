package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// leakedSecret is a secret's plain text in the engine events; no output
// may show it.
const leakedSecret = "hunter2-plaintext"

// jsonStream is a preview's events as the engine sends them: the config,
// the stack unchanged, a ConfigMap created, a Secret updated (its value a
// secret, old and new), a volume replaced (the logical replace and its
// two physical steps), a subnet deleted, a colored warning, a debug and an
// ephemeral diagnostic, a line of the program's output, the summary.
func jsonStream() []events.EngineEvent {
	sig := map[string]any{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": `"` + leakedSecret + `"`}
	secretURN := urnPrefix + "kubernetes:core/v1:Secret::creds"
	update := stepEvent(apitype.OpUpdate, "kubernetes:core/v1:Secret", "creds")
	update.ResourcePreEvent.Metadata.Old = &apitype.StepEventStateMetadata{URN: secretURN, Type: "kubernetes:core/v1:Secret", Custom: true, ID: "ns/creds",
		Inputs: map[string]any{"stringData": map[string]any{"key": sig}, "kind": "Secret"}}
	update.ResourcePreEvent.Metadata.New = &apitype.StepEventStateMetadata{URN: secretURN, Type: "kubernetes:core/v1:Secret", Custom: true,
		Inputs: map[string]any{"stringData": sig, "kind": "Secret"}, Outputs: map[string]any{"data": []any{sig}}}
	update.ResourcePreEvent.Metadata.Diffs = []string{"stringData"}
	update.ResourcePreEvent.Metadata.DetailedDiff = map[string]apitype.PropertyDiff{"stringData.key": {Kind: apitype.DiffUpdate, InputDiff: true}}
	replace := stepEvent(apitype.OpReplace, "peerpods:libvirt:StorageVolume", "vol")
	replace.ResourcePreEvent.Metadata.Logical = true
	replace.ResourcePreEvent.Metadata.Keys = []string{"capacity"}
	return []events.EngineEvent{
		{EngineEvent: apitype.EngineEvent{PreludeEvent: &apitype.PreludeEvent{Config: map[string]string{"peerpods:cloud": "libvirt", "peerpods:kubeconfig": "[secret]"}}}},
		stepEvent(apitype.OpSame, "pulumi:pulumi:Stack", "peerpods-dev"),
		stepEvent(apitype.OpSame, "pulumi:providers:kubernetes", "default"),
		stepEvent(apitype.OpCreate, "kubernetes:core/v1:ConfigMap", "peer-pods-cm"),
		update,
		stepEvent(apitype.OpCreateReplacement, "peerpods:libvirt:StorageVolume", "vol"),
		replace,
		stepEvent(apitype.OpDelete, "azure-native:network:Subnet", "subnet"),
		stepEvent(apitype.OpDeleteReplaced, "peerpods:libvirt:StorageVolume", "vol"),
		diagEvent("warning", urnPrefix+"kubernetes:core/v1:ConfigMap::peer-pods-cm", "<{%fg 3%}>a warning<{%reset%}>\n"),
		diagEvent("debug", "", "debug noise"),
		{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{Message: "ephemeral", Severity: "info", Ephemeral: true}}},
		{EngineEvent: apitype.EngineEvent{StdoutEvent: &apitype.StdoutEngineEvent{Message: "<{%fg 2%}>program output<{%reset%}>"}}},
		{EngineEvent: apitype.EngineEvent{SummaryEvent: &apitype.SummaryEvent{ResourceChanges: jsonSummary, DurationSeconds: 2, IsPreview: true}}},
	}
}

var jsonSummary = map[apitype.OpType]int{apitype.OpSame: 2, apitype.OpCreate: 1, apitype.OpUpdate: 1, apitype.OpReplace: 1, apitype.OpDelete: 1}

// digestJSON is the shape pulumi preview --json prints, as a consumer
// reads it.
type digestJSON struct {
	Config map[string]string `json:"config"`
	Steps  []struct {
		Op             string                    `json:"op"`
		URN            string                    `json:"urn"`
		OldState       map[string]any            `json:"oldState"`
		NewState       map[string]any            `json:"newState"`
		DiffReasons    []string                  `json:"diffReasons"`
		ReplaceReasons []string                  `json:"replaceReasons"`
		DetailedDiff   map[string]map[string]any `json:"detailedDiff"`
	} `json:"steps"`
	Diagnostics []struct {
		URN, Message, Severity string
	} `json:"diagnostics"`
	Duration      int64          `json:"duration"`
	ChangeSummary map[string]int `json:"changeSummary"`
	Peerpods      map[string]any `json:"peerpods"`
}

// TestPreviewJSON: preview --json prints one JSON document, Pulumi's
// preview digest: the config, the steps (sames and the physical steps of a
// replacement left out, the stack kept) with op, urn, states, reasons and
// the detailed diff, the diagnostics (no debug, no ephemeral, no color,
// the program's output as info), the duration and the change summary;
// the peerpods report under "peerpods" and no other key; no secret's
// value anywhere; the exit code as without --json.
func TestPreviewJSON(t *testing.T) {
	for _, expect := range []bool{false, true} {
		withEngine(t, fakeEngine{events: jsonStream(), summary: jsonSummary})
		flags := []string{"--json"}
		want := exitOK
		if expect {
			flags, want = append(flags, "--expect-no-changes"), exitChanges
		}
		code, out, errOut, report := previewRun(t, context.Background(), flags...)
		if code != want {
			t.Errorf("%v: exit %d, want %d (%s)", flags, code, want, errOut)
		}
		if strings.Contains(out+errOut, leakedSecret) {
			t.Errorf("%v: a secret is shown:\n%s%s", flags, out, errOut)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &keys); err != nil {
			t.Fatalf("%v: not one JSON document: %v\n%s", flags, err, out)
		}
		var names []string
		for k := range keys {
			names = append(names, k)
		}
		slices.Sort(names)
		if w := []string{"changeSummary", "config", "diagnostics", "duration", "peerpods", "steps"}; !slices.Equal(names, w) {
			t.Errorf("%v: keys %v, want %v", flags, names, w)
		}
		var d digestJSON
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, s := range d.Steps {
			steps = append(steps, s.Op+" "+strings.TrimPrefix(s.URN, urnPrefix))
		}
		wantSteps := []string{"same pulumi:pulumi:Stack::peerpods-dev", "create kubernetes:core/v1:ConfigMap::peer-pods-cm",
			"update kubernetes:core/v1:Secret::creds", "replace peerpods:libvirt:StorageVolume::vol", "delete azure-native:network:Subnet::subnet"}
		if !slices.Equal(steps, wantSteps) {
			t.Errorf("%v: steps %q, want %q", flags, steps, wantSteps)
		}
		if len(d.Steps) == len(wantSteps) {
			u := d.Steps[2]
			if u.OldState["id"] != "ns/creds" || u.OldState["type"] != "kubernetes:core/v1:Secret" || u.NewState["custom"] != true ||
				!reflect.DeepEqual(u.NewState["inputs"], map[string]any{"stringData": "[secret]", "kind": "Secret"}) ||
				!reflect.DeepEqual(u.NewState["outputs"], map[string]any{"data": []any{"[secret]"}}) ||
				!reflect.DeepEqual(u.OldState["inputs"], map[string]any{"stringData": map[string]any{"key": "[secret]"}, "kind": "Secret"}) {
				t.Errorf("%v: update states %v -> %v", flags, u.OldState, u.NewState)
			}
			if !slices.Equal(u.DiffReasons, []string{"stringData"}) || !reflect.DeepEqual(u.DetailedDiff, map[string]map[string]any{"stringData.key": {"kind": "update", "inputDiff": true}}) {
				t.Errorf("%v: update diff %v %s", flags, u.DiffReasons, u.DetailedDiff)
			}
			if r := d.Steps[3]; !slices.Equal(r.ReplaceReasons, []string{"capacity"}) || r.DetailedDiff != nil {
				t.Errorf("%v: replace reasons %v, detailed diff %v", flags, r.ReplaceReasons, r.DetailedDiff)
			}
			if !strings.Contains(out, `"detailedDiff": null`) {
				t.Errorf("%v: a step without a detailed diff has no \"detailedDiff\": null", flags)
			}
		}
		wantDiags := []string{"warning " + urnPrefix + "kubernetes:core/v1:ConfigMap::peer-pods-cm a warning\n", "info  program output"}
		var diags []string
		for _, g := range d.Diagnostics {
			diags = append(diags, g.Severity+" "+g.URN+" "+g.Message)
		}
		if !slices.Equal(diags, wantDiags) {
			t.Errorf("%v: diagnostics %q, want %q", flags, diags, wantDiags)
		}
		if d.Duration != 2e9 || !reflect.DeepEqual(d.ChangeSummary, map[string]int{"same": 2, "create": 1, "update": 1, "replace": 1, "delete": 1}) ||
			d.Config["peerpods:cloud"] != "libvirt" {
			t.Errorf("%v: duration %d, summary %v, config %v", flags, d.Duration, d.ChangeSummary, d.Config)
		}
		// The peerpods key is the report, as --report-json writes it.
		var fromFile map[string]any
		b, _ := json.Marshal(report)
		_ = json.Unmarshal(b, &fromFile)
		if d.Peerpods["stack"] != "dev" || !reflect.DeepEqual(d.Peerpods, fromFile) {
			t.Errorf("%v: peerpods %v, the report file %v", flags, d.Peerpods, fromFile)
		}
		if !strings.HasPrefix(out, "{\n    \"config\"") || !strings.HasSuffix(out, "}\n") {
			t.Errorf("%v: not indented as pulumi's:\n%.80s", flags, out)
		}
	}
}

// TestPreviewJSONFailure: a failed preview with --json prints the digest
// with its diagnostics and the error under "peerpods", and exits with the
// engine's code when it names the cause (3, 4, 5, 9), else 1; the error
// is printed once on stderr.
func TestPreviewJSONFailure(t *testing.T) {
	const msg = "creating volume: permission denied"
	evs := append(jsonStream()[:4], diagEvent("error", urnPrefix+"peerpods:libvirt:StorageVolume::vol", msg+"\n"))
	for engineCode, want := range map[int]int{0: exitFailure, 1: exitFailure, 3: 3, 4: 4, 5: 5, 9: 9, 6: exitFailure, 255: exitFailure} {
		var err error
		if engineCode != 0 {
			err = errors.New("failed to run preview: exit status " + strconv.Itoa(engineCode) + "\ncode: " + strconv.Itoa(engineCode) + "\nstdout: x\nstderr: error: " + msg + "\n")
		}
		withEngine(t, fakeEngine{events: evs, summary: jsonSummary, err: err})
		code, out, errOut, _ := previewRun(t, context.Background(), "--json")
		if code != want {
			t.Errorf("engine code %d: exit %d, want %d", engineCode, code, want)
		}
		var d digestJSON
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("engine code %d: %v\n%s", engineCode, err, out)
		}
		wantErr := "preview of dev failed: peerpods:libvirt:StorageVolume vol: " + msg
		if d.Peerpods["error"] != wantErr || d.Peerpods["stack"] != "dev" || len(d.Diagnostics) != 1 || d.Diagnostics[0].Severity != "error" {
			t.Errorf("engine code %d: peerpods %v, diagnostics %v", engineCode, d.Peerpods, d.Diagnostics)
		}
		if errOut != "peerpods: "+wantErr+"\n" {
			t.Errorf("engine code %d: stderr %q", engineCode, errOut)
		}
	}
}

// TestExitCodes: the exit codes of the command line and of the engine.
func TestExitCodes(t *testing.T) {
	engineErr := func(code string) error {
		return errors.New("failed to run update: exit status " + code + "\ncode: " + code + "\nstdout: \nstderr: \n")
	}
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"usage", usageError{"--stack is required"}, exitUsage},
		{"changes", changesFound, exitChanges},
		{"engine 3", engineErr("3"), exitAuthentication},
		{"engine 4", engineErr("4"), exitResource},
		{"engine 5", engineErr("5"), exitPolicy},
		{"engine 9", engineErr("9"), exitTimeout},
		{"engine 9 wrapped", errors.Join(errors.New("up of dev failed"), engineErr("9")), exitTimeout},
		{"engine 2", engineErr("2"), exitFailure},
		{"engine 7", engineErr("7"), exitFailure},
		{"engine 255", engineErr("255"), exitFailure},
		{"engine -2", engineErr("-2"), exitFailure},
		{"no code", errors.New("code: 4"), exitFailure},
		{"coded", codedError{code: exitResource, err: errors.New("x")}, exitResource},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		if got := exitCode(context.Background(), c.err, &stderr); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
	// On the command line: a usage error is 2, and so is the old
	// --json FILE of preview, with the fix.
	for _, args := range [][]string{{"preview", "--stack", "dev", "--json", "p.json"}, {"up", "--stack", "dev", "--bogus"}, {"preview"}} {
		var out, stderr bytes.Buffer
		if code := run(context.Background(), args, &out, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitUsage, stderr.String())
		}
		if args[len(args)-1] == "p.json" && !strings.Contains(stderr.String(), "--report-json FILE") {
			t.Errorf("%q: no fix: %s", args, stderr.String())
		}
	}
}
