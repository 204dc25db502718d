package diffreport

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

const urnPrefix = "urn:pulumi:dev::peerpods::"

func step(op apitype.OpType, typ, name string, old, new map[string]any, diff map[string]apitype.PropertyDiff) apitype.EngineEvent {
	md := apitype.StepEventMetadata{Op: op, Type: typ, URN: urnPrefix + typ + "::" + name, DetailedDiff: diff}
	if old != nil {
		md.Old = &apitype.StepEventStateMetadata{Inputs: old}
	}
	if new != nil {
		md.New = &apitype.StepEventStateMetadata{Inputs: new}
	}
	return apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: md}}
}

const leaked = "hunter2-plaintext"

func sample() []apitype.EngineEvent {
	cm := "kubernetes:core/v1:ConfigMap"
	secretType := "kubernetes:core/v1:Secret"
	pool := "peerpods:libvirt:StoragePool"
	sig := map[string]any{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": leaked}
	return []apitype.EngineEvent{
		{StdoutEvent: &apitype.StdoutEngineEvent{Message: "noise"}},
		step(apitype.OpSame, "pulumi:pulumi:Stack", "peerpods-dev", nil, nil, nil),
		step(apitype.OpSame, "pulumi:providers:peerpods", "peerpods", nil, nil, nil),
		step(apitype.OpCreate, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rule-a", nil, map[string]any{"fromPort": 15150}, nil),
		step(apitype.OpUpdate, cm, "handoff-peer-pods-cm",
			map[string]any{"data": map[string]any{"VXLAN_PORT": "9000", "TAGS": "a=b", "OLD": "x"}},
			map[string]any{"data": map[string]any{"VXLAN_PORT": "9001", "TAGS": "a=b|c", "NEW": "y"}},
			map[string]apitype.PropertyDiff{
				"data.VXLAN_PORT": {Kind: apitype.DiffUpdate, InputDiff: true},
				"data.TAGS":       {Kind: apitype.DiffUpdate, InputDiff: true},
				"data.OLD":        {Kind: apitype.DiffDelete, InputDiff: true},
				"data.NEW":        {Kind: apitype.DiffAdd, InputDiff: true},
			}),
		step(apitype.OpUpdate, secretType, "handoff-peer-pods-secret",
			map[string]any{"stringData": "[secret]"}, map[string]any{"stringData": sig},
			map[string]apitype.PropertyDiff{"stringData": {Kind: apitype.DiffUpdate, InputDiff: true}}),
		step(apitype.OpCreateReplacement, pool, "pool", map[string]any{"path": "/a"}, map[string]any{"path": "/b"},
			map[string]apitype.PropertyDiff{"path": {Kind: apitype.DiffUpdateReplace, InputDiff: true}}),
		step(apitype.OpReplace, pool, "pool", map[string]any{"path": "/a"}, map[string]any{"path": "/b"},
			map[string]apitype.PropertyDiff{"path": {Kind: apitype.DiffUpdateReplace, InputDiff: true}}),
		step(apitype.OpDelete, "azure-native:network:Subnet", "old-subnet", map[string]any{"x": 1}, nil, nil),
		step(apitype.OpDeleteReplaced, pool, "pool", map[string]any{"path": "/a"}, nil, nil),
	}
}

func TestFromEvents(t *testing.T) {
	r := FromEvents("dev", sample())
	wantCounts := map[string]int{"same": 2, "create": 1, "update": 2, "replace": 1, "delete": 1}
	if !reflect.DeepEqual(r.Counts, wantCounts) {
		t.Errorf("counts %v, want %v", r.Counts, wantCounts)
	}
	var ops []string
	for _, c := range r.Changes {
		ops = append(ops, c.Op+" "+c.Name)
	}
	wantOps := []string{"create rule-a", "update handoff-peer-pods-cm", "update handoff-peer-pods-secret", "replace pool", "delete old-subnet"}
	if !reflect.DeepEqual(ops, wantOps) {
		t.Errorf("changes %v", ops)
	}
	cm := r.Changes[1].Properties
	want := []Property{
		{Path: "data.NEW", Kind: "add", New: "y"},
		{Path: "data.OLD", Kind: "delete", Old: "x"},
		{Path: "data.TAGS", Kind: "update", Old: "a=b", New: "a=b|c"},
		{Path: "data.VXLAN_PORT", Kind: "update", Old: "9000", New: "9001"},
	}
	if !reflect.DeepEqual(cm, want) {
		t.Errorf("ConfigMap properties %+v", cm)
	}
	if p := r.Changes[2].Properties[0]; p.Old != Secret || p.New != Secret {
		t.Errorf("secret not masked: %+v", p)
	}
	if p := r.Changes[3].Properties; len(p) != 1 || !p[0].Replaces || p[0].Old != "/a" || p[0].New != "/b" {
		t.Errorf("replace properties %+v", p)
	}
	if !r.HasChanges() || FromEvents("x", sample()[:3]).HasChanges() {
		t.Error("HasChanges")
	}
}

func TestMarkdown(t *testing.T) {
	md := FromEvents("dev", sample()).Markdown(MaxMarkdown)
	for _, want := range []string{
		"### Pulumi preview of `dev`",
		"**1 to create, 2 to update, 1 to replace, 1 to delete, 2 unchanged**",
		"| create | `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule` | `rule-a` |  |",
		"`data.VXLAN_PORT`: `9000` → `9001`",
		"`data.TAGS`: `a=b` → `a=b\\|c`",
		"`data.NEW`: added `y`",
		"`data.OLD`: removed (was `x`)",
		"`stringData`: `[secret]` → `[secret]`",
		"| **replace** | `peerpods:libvirt:StoragePool` | `pool` | `path`: `/a` → `/b` **(forces replacement)** |",
		"| **delete** | `azure-native:network:Subnet` | `old-subnet` |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, leaked) {
		t.Error("markdown shows a secret")
	}
	if got := FromEvents("dev", sample()[:3]).Markdown(MaxMarkdown); !strings.Contains(got, "No changes (2 resources unchanged).") {
		t.Errorf("no-change markdown %q", got)
	}
}

func TestMarkdownIsCutCleanly(t *testing.T) {
	var events []apitype.EngineEvent
	for i := 0; i < 3000; i++ {
		events = append(events, step(apitype.OpUpdate, "kubernetes:core/v1:ConfigMap", fmt.Sprintf("cm-%04d", i),
			map[string]any{"data": map[string]any{"K": strings.Repeat("a", 300)}},
			map[string]any{"data": map[string]any{"K": strings.Repeat("b", 300)}},
			map[string]apitype.PropertyDiff{"data.K": {Kind: apitype.DiffUpdate, InputDiff: true}}))
	}
	md := FromEvents("big", events).Markdown(MaxMarkdown)
	if len(md) >= MaxMarkdown {
		t.Fatalf("markdown is %d bytes", len(md))
	}
	lines := strings.Split(strings.TrimRight(md, "\n"), "\n")
	// The report ends with what check verifies; the note of the rows cut
	// comes before it.
	if end := lines[len(lines)-1] + "\n"; end != lastSubject {
		t.Errorf("last line %q", end)
	}
	var last string
	for _, l := range lines {
		if strings.Contains(l, "more changed resources are not shown") {
			last = l
		}
	}
	if !strings.HasPrefix(last, "_") {
		t.Errorf("no note of the rows cut: %q", last)
	}
	rows := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "| update |") {
			rows++
			if !strings.HasSuffix(l, " |") {
				t.Errorf("cut row %q", l)
			}
		}
	}
	if !strings.Contains(last, fmt.Sprintf("_%d more", 3000-rows)) || rows < 100 {
		t.Errorf("%d rows shown, footer %q", rows, last)
	}
	if strings.Contains(md, strings.Repeat("a", 121)) {
		t.Error("long value not shortened")
	}
}

func TestJSON(t *testing.T) {
	b, err := FromEvents("dev", sample()).JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), leaked) {
		t.Error("JSON shows a secret")
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Stack != "dev" || len(back.Changes) != 5 || back.Counts["update"] != 2 {
		t.Errorf("round trip: %v %+v", err, back)
	}
	b, _ = FromEvents("dev", nil).JSON()
	if !strings.Contains(string(b), `"changes": []`) {
		t.Errorf("empty report %s", b)
	}
}

func TestCode(t *testing.T) {
	if got := code("a`b"); got != "``a`b``" {
		t.Errorf("%q", got)
	}
	if got := code("`x"); got != "`` `x ``" {
		t.Errorf("%q", got)
	}
	if got := format(map[string]any{"a": 1}); got != `{"a":1}` {
		t.Errorf("%q", got)
	}
}

// TestReplacementStepsMerge: in a preview, the replace step may carry no new
// inputs; the create-replacement step has them. The report has both values.
func TestReplacementStepsMerge(t *testing.T) {
	typ := "peerpods:libvirt:StorageVolume"
	diff := map[string]apitype.PropertyDiff{"name": {Kind: apitype.DiffUpdateReplace, InputDiff: true}}
	events := []apitype.EngineEvent{
		step(apitype.OpCreateReplacement, typ, "vol", map[string]any{"name": "a"}, map[string]any{"name": "b"}, diff),
		step(apitype.OpReplace, typ, "vol", map[string]any{"name": "a"}, map[string]any{}, diff),
		step(apitype.OpDeleteReplaced, typ, "vol", map[string]any{"name": "a"}, nil, nil),
	}
	r := FromEvents("dev", events)
	want := []Property{{Path: "name", Kind: "update", Replaces: true, Old: "a", New: "b"}}
	if len(r.Changes) != 1 || !reflect.DeepEqual(r.Changes[0].Properties, want) {
		t.Errorf("changes %+v", r.Changes)
	}
}

// TestOutputDiffInPreview: a provider that diffs outputs (InputDiff false);
// in a preview the new outputs are unknown, the new inputs have the value.
func TestOutputDiffInPreview(t *testing.T) {
	typ := "peerpods:libvirt:StorageVolume"
	md := apitype.StepEventMetadata{Op: apitype.OpReplace, Type: typ, URN: urnPrefix + typ + "::vol",
		Old:          &apitype.StepEventStateMetadata{Inputs: map[string]any{"name": "a"}, Outputs: map[string]any{"name": "a", "key": "/p/a"}},
		New:          &apitype.StepEventStateMetadata{Inputs: map[string]any{"name": "b"}, Outputs: map[string]any{}},
		DetailedDiff: map[string]apitype.PropertyDiff{"name": {Kind: apitype.DiffUpdateReplace}, "key": {Kind: apitype.DiffUpdate}},
	}
	r := FromEvents("dev", []apitype.EngineEvent{{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: md}}})
	want := []Property{
		{Path: "key", Kind: "update", Old: "/p/a"},
		{Path: "name", Kind: "update", Replaces: true, Old: "a", New: "b"},
	}
	if !reflect.DeepEqual(r.Changes[0].Properties, want) {
		t.Errorf("properties %+v", r.Changes[0].Properties)
	}
}

// TestFromPreviewCountsAreTheEngines: the counts, the verdict and the
// summary line are the engine's change summary even when the events say
// less (a stream that ended early) or nothing at all.
func TestFromPreviewCountsAreTheEngines(t *testing.T) {
	summary := map[apitype.OpType]int{apitype.OpSame: 2, apitype.OpCreate: 1, apitype.OpUpdate: 2, apitype.OpReplace: 1, apitype.OpDelete: 1}

	// Every event: the rows are all there, nothing unlisted.
	r := FromPreview("dev", summary, sample())
	if r.Counts["update"] != 2 || r.Counts["same"] != 2 || r.Unlisted != 0 || len(r.Changes) != 5 || !r.HasChanges() {
		t.Errorf("full stream: counts %v, %d rows, %d unlisted", r.Counts, len(r.Changes), r.Unlisted)
	}

	// The stream ended after the first update: three rows missing.
	r = FromPreview("dev", summary, sample()[:5])
	if r.Counts["delete"] != 1 || r.Counts["replace"] != 1 || len(r.Changes) != 2 || r.Unlisted != 3 {
		t.Errorf("short stream: counts %v, %d rows, %d unlisted", r.Counts, len(r.Changes), r.Unlisted)
	}
	md := r.Markdown(MaxMarkdown)
	for _, want := range []string{
		"**1 to create, 2 to update, 1 to replace, 1 to delete, 2 unchanged**",
		"| create | `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule` | `rule-a` |",
		"_The engine counts 3 more changed resources that its event stream did not describe",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("short-stream markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "No changes") {
		t.Errorf("short-stream markdown says no changes:\n%s", md)
	}

	// No events at all (no summary event, no resource event).
	r = FromPreview("dev", map[apitype.OpType]int{apitype.OpSame: 4, apitype.OpUpdate: 1}, nil)
	md = r.Markdown(MaxMarkdown)
	if !r.HasChanges() || r.Unlisted != 1 || strings.Contains(md, "No changes") || strings.Contains(md, "| operation |") ||
		!strings.Contains(md, "**1 to update, 4 unchanged**") || !strings.Contains(md, "1 more changed resources") {
		t.Errorf("no events: %+v\n%s", r, md)
	}
	b, err := r.JSON()
	if err != nil || !strings.Contains(string(b), `"unlisted": 1`) || !strings.Contains(string(b), `"update": 1`) {
		t.Errorf("no-events JSON %s (%v)", b, err)
	}

	// The engine says nothing changes: so does the report, whatever the
	// events held (reads are no change, as for the engine).
	r = FromPreview("dev", map[apitype.OpType]int{apitype.OpSame: 7, apitype.OpRead: 1}, sample()[:3])
	if r.HasChanges() || r.Unlisted != 0 || !strings.Contains(r.Markdown(MaxMarkdown), "No changes (7 resources unchanged).") {
		t.Errorf("no changes: %+v", r)
	}
	if b, _ := r.JSON(); strings.Contains(string(b), "unlisted") {
		t.Errorf("unlisted shown when 0: %s", b)
	}
}

func TestIsChange(t *testing.T) {
	for op, want := range map[apitype.OpType]bool{
		apitype.OpSame: false, apitype.OpRead: false, apitype.OpReadReplacement: false, apitype.OpReadDiscard: false,
		apitype.OpCreate: true, apitype.OpUpdate: true, apitype.OpDelete: true, apitype.OpReplace: true,
		apitype.OpCreateReplacement: true, apitype.OpDeleteReplaced: true, apitype.OpImport: true, apitype.OpRefresh: true,
		apitype.OpRemovePendingReplace: true, apitype.OpDiscardReplaced: true,
	} {
		if IsChange(string(op)) != want {
			t.Errorf("IsChange(%s) = %v", op, !want)
		}
	}
	if n := ChangeCount(map[string]int{"same": 3, "read": 2, "create": 1, "delete": 2, "update": 0}); n != 3 {
		t.Errorf("ChangeCount %d", n)
	}
}
