// Package diffreport turns a Pulumi preview into a report fit for a pull
// request: the engine's counts per operation, the network paths the
// change opens and closes (a Mermaid diagram), one row per changed
// resource with the properties that change (from the engine events), and
// what `peerpods check` verifies after the merge, as Markdown (cut cleanly
// below a size limit) and as JSON.
package diffreport

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
)

// Secret is how a secret value is shown.
const Secret = "[secret]"

// MaxMarkdown is the size limit of a GitHub pull-request comment, less a
// margin.
const MaxMarkdown = 64000

// Report is a preview's changes.
type Report struct {
	// Stack is the stack previewed.
	Stack string `json:"stack"`
	// Counts are the number of resources per operation (create, update,
	// replace, delete, ...), "same" included: the engine's own change
	// summary in a report of FromPreview.
	Counts map[string]int `json:"counts"`
	// Changes are the resources that change, in the engine's order.
	Changes []Change `json:"changes"`
	// Unlisted is how many changed resources Counts has that no engine
	// event described (the event stream ended early or lost events): they
	// are counted but have no row in Changes.
	Unlisted int `json:"unlisted,omitempty"`
	// Notes are what the reviewer must confirm before the merge, shown
	// first (the KVM host's SSH key the preview met).
	Notes []string `json:"notes,omitempty"`
	// Paths are the network paths of the stack's resources, from the
	// engine events: added, removed, replaced or kept.
	Paths []Path `json:"paths"`
}

// Change is one resource that changes.
type Change struct {
	// Op is create, update, replace, delete, read, import, ...
	Op string `json:"op"`
	// Type and Name identify the resource; URN in full.
	Type string `json:"type"`
	Name string `json:"name"`
	URN  string `json:"urn"`
	// Properties are the changed properties of an update or replace.
	Properties []Property `json:"properties,omitempty"`
}

// Property is one changed property.
type Property struct {
	// Path is the property path, such as data.VXLAN_PORT.
	Path string `json:"path"`
	// Kind is add, update or delete.
	Kind string `json:"kind"`
	// Replaces is true when the change forces the resource's replacement.
	Replaces bool `json:"replaces,omitempty"`
	// Old and New are the values, Secret for secrets; absent when added or
	// deleted.
	Old any `json:"old,omitempty"`
	New any `json:"new,omitempty"`
}

// IsChange reports whether an operation changes the stack, as the Pulumi
// engine decides whether an update has changes: every operation but same,
// read, read-replacement and discard (reads only look at existing
// resources).
func IsChange(op string) bool {
	switch apitype.OpType(op) {
	case apitype.OpSame, apitype.OpRead, apitype.OpReadReplacement, apitype.OpReadDiscard:
		return false
	}
	return true
}

// ChangeCount is the number of resources counts has for operations that
// change the stack (IsChange).
func ChangeCount[K ~string](counts map[K]int) int {
	n := 0
	for op, c := range counts {
		if IsChange(string(op)) && c > 0 {
			n += c
		}
	}
	return n
}

// HasChanges reports whether Counts has an operation that changes the
// stack; for a report of FromPreview that is the engine's own verdict.
func (r Report) HasChanges() bool { return ChangeCount(r.Counts) > 0 }

// FromPreview builds the report of a preview: the counts are the engine's
// change summary (auto.PreviewResult.ChangeSummary), never recounted from
// the events, so a report says "No changes" only when the engine does; the
// rows come from the engine events, and changed resources the summary
// counts beyond the rows are reported as Unlisted.
func FromPreview(stack string, summary map[apitype.OpType]int, events []apitype.EngineEvent) Report {
	r := FromEvents(stack, events)
	r.Counts = make(map[string]int, len(summary))
	for op, n := range summary {
		r.Counts[string(op)] = n
	}
	listed := 0
	for _, c := range r.Changes {
		if IsChange(c.Op) {
			listed++
		}
	}
	r.Unlisted = max(0, ChangeCount(r.Counts)-listed)
	return r
}

// FromEvents builds the report from a preview's engine events alone,
// counting the operations of the events. The three steps of a replacement
// (create-replacement, replace, delete-replaced) become one "replace"
// change.
func FromEvents(stack string, events []apitype.EngineEvent) Report {
	r := Report{Stack: stack, Counts: map[string]int{}}
	index := map[string]int{}
	for _, e := range events {
		if e.ResourcePreEvent == nil {
			continue
		}
		md := e.ResourcePreEvent.Metadata
		op := string(md.Op)
		switch md.Op {
		case apitype.OpSame:
			r.Counts[op]++
			continue
		case apitype.OpCreateReplacement, apitype.OpDeleteReplaced, apitype.OpReplace, apitype.OpDiscardReplaced:
			op = string(apitype.OpReplace)
		}
		i, seen := index[md.URN]
		if !seen {
			i = len(r.Changes)
			index[md.URN] = i
			r.Changes = append(r.Changes, Change{Op: op, Type: md.Type, Name: resource.URN(md.URN).Name(), URN: md.URN})
			r.Counts[op]++
		}
		r.Changes[i].Properties = merge(r.Changes[i].Properties, properties(md))
	}
	r.Paths = paths(events)
	return r
}

// merge adds the properties of another step of the same resource: the
// steps of a replacement each know part of the values (in a preview the
// replace step's new state may have no inputs).
func merge(have, more []Property) []Property {
	for _, m := range more {
		i := slices.IndexFunc(have, func(p Property) bool { return p.Path == m.Path })
		if i < 0 {
			have = append(have, m)
			continue
		}
		if have[i].Old == nil {
			have[i].Old = m.Old
		}
		if have[i].New == nil {
			have[i].New = m.New
		}
		have[i].Replaces = have[i].Replaces || m.Replaces
	}
	sort.Slice(have, func(i, j int) bool { return have[i].Path < have[j].Path })
	return have
}

// properties lists the changed properties of a step, sorted by path.
func properties(md apitype.StepEventMetadata) []Property {
	if md.Op != apitype.OpUpdate && md.Op != apitype.OpReplace && md.Op != apitype.OpCreateReplacement {
		return nil
	}
	var out []Property
	if len(md.DetailedDiff) > 0 {
		for path, d := range md.DetailedDiff {
			kind := string(d.Kind)
			replaces := strings.HasSuffix(kind, "-replace")
			p := Property{Path: path, Kind: strings.TrimSuffix(kind, "-replace"), Replaces: replaces}
			if p.Kind != string(apitype.DiffAdd) {
				p.Old = lookup(md.Old, path, d.InputDiff)
			}
			if p.Kind != string(apitype.DiffDelete) {
				p.New = lookup(md.New, path, d.InputDiff)
			}
			out = append(out, p)
		}
	} else {
		for _, k := range md.Diffs {
			replaces := false
			for _, rk := range md.Keys {
				replaces = replaces || rk == k
			}
			out = append(out, Property{Path: k, Kind: string(apitype.DiffUpdate), Replaces: replaces,
				Old: lookup(md.Old, k, true), New: lookup(md.New, k, true)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// lookup finds the value at a property path of a step's state, in the
// inputs or outputs first as the diff says, then in the other (for an
// output diff the new outputs are unknown in a preview, while the new
// inputs hold the value). Secrets are masked.
func lookup(state *apitype.StepEventStateMetadata, path string, inputsFirst bool) any {
	if state == nil {
		return nil
	}
	pp, err := resource.ParsePropertyPath(path)
	if err != nil {
		return nil
	}
	roots := []map[string]any{state.Inputs, state.Outputs}
	if !inputsFirst { // an output diff: outputs are the truth where known
		roots = []map[string]any{state.Outputs, state.Inputs}
	}
	for _, root := range roots {
		if v := walk(root, pp); v != nil {
			return v
		}
	}
	return nil
}

// walk follows a property path through decoded JSON, masking secrets.
func walk(root map[string]any, pp resource.PropertyPath) any {
	var v any = root
	if root == nil {
		return nil
	}
	for _, elem := range pp {
		if isSecret(v) {
			return Secret
		}
		switch key := elem.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[key]
		case int:
			a, ok := v.([]any)
			if !ok || key < 0 || key >= len(a) {
				return nil
			}
			v = a[key]
		}
	}
	return mask(v)
}

// Mask replaces every secret inside v (a value of an engine event) with
// Secret.
func Mask(v any) any { return mask(v) }

// mask replaces every secret inside v with Secret.
func mask(v any) any {
	if isSecret(v) {
		return Secret
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = mask(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = mask(x)
		}
		return out
	}
	return v
}

func isSecret(v any) bool {
	if s, ok := v.(string); ok {
		return s == Secret
	}
	m, ok := v.(map[string]any)
	return ok && m[sig.Key] == sig.Secret
}

// JSON renders the report as indented JSON.
func (r Report) JSON() ([]byte, error) {
	if r.Changes == nil {
		r.Changes = []Change{}
	}
	if r.Paths == nil {
		r.Paths = []Path{}
	}
	return json.MarshalIndent(r, "", "  ")
}

// opOrder is the order operations are counted in.
var opOrder = []string{"create", "update", "replace", "delete", "read", "import", "refresh", "same"}

// Markdown renders the report as a pull-request comment of at most limit
// bytes: the summary, the network paths' diagram, the rows (whole rows
// only, with a note of how many were left out), and what `peerpods check`
// verifies after the merge.
func (r Report) Markdown(limit int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Pulumi preview of `%s`\n\n", r.Stack)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "> **Confirm before merging:** %s\n\n", n)
	}
	if !r.HasChanges() {
		fmt.Fprintf(&b, "No changes (%d resources unchanged).\n", r.Counts["same"])
		return b.String()
	}
	b.WriteString(r.summary() + "\n\n")
	b.WriteString(diagramSection(r.Paths, min(MaxDiagram, limit/3)))
	checks := "\n" + checksSection(r.Stack, r.Paths, min(MaxChecks, limit/4))
	unlisted := ""
	if r.Unlisted > 0 {
		unlisted = fmt.Sprintf("\n_The engine counts %d more changed resources that its event stream did not describe; they have no row here nor in the JSON report._\n", r.Unlisted)
	}
	if len(r.Changes) == 0 {
		b.WriteString(strings.TrimPrefix(unlisted, "\n"))
		b.WriteString(checks)
		return b.String()
	}
	b.WriteString("| operation | type | name | changes |\n|---|---|---|---|\n")
	footerRoom := 200 + len(unlisted) + len(checks)
	for i, c := range r.Changes {
		row := c.row()
		if b.Len()+len(row)+footerRoom > limit {
			fmt.Fprintf(&b, "\n_%d more changed resources are not shown; the JSON report has them all._\n", len(r.Changes)-i)
			b.WriteString(unlisted)
			b.WriteString(checks)
			return b.String()
		}
		b.WriteString(row)
	}
	b.WriteString(unlisted)
	b.WriteString(checks)
	return b.String()
}

// summary is "2 to create, 1 to replace, 5 unchanged" in opOrder.
func (r Report) summary() string {
	var parts []string
	seen := map[string]bool{}
	add := func(op string) {
		n := r.Counts[op]
		seen[op] = true
		if n == 0 {
			return
		}
		if op == "same" {
			parts = append(parts, fmt.Sprintf("%d unchanged", n))
		} else {
			parts = append(parts, fmt.Sprintf("%d to %s", n, op))
		}
	}
	for _, op := range opOrder[:len(opOrder)-1] {
		add(op)
	}
	var others []string
	for op := range r.Counts {
		if !seen[op] && op != "same" {
			others = append(others, op)
		}
	}
	sort.Strings(others)
	for _, op := range others {
		add(op)
	}
	add("same")
	return "**" + strings.Join(parts, ", ") + "**"
}

func (c Change) row() string {
	op := c.Op
	if op == "replace" || op == "delete" {
		op = "**" + op + "**"
	}
	var changes []string
	for _, p := range c.Properties {
		s := code(p.Path) + ": "
		switch p.Kind {
		case string(apitype.DiffAdd):
			s += "added " + code(format(p.New))
		case string(apitype.DiffDelete):
			s += "removed (was " + code(format(p.Old)) + ")"
		default:
			s += code(format(p.Old)) + " → " + code(format(p.New))
		}
		if p.Replaces {
			s += " **(forces replacement)**"
		}
		changes = append(changes, s)
	}
	return fmt.Sprintf("| %s | %s | %s | %s |\n", op, code(c.Type), code(c.Name), strings.Join(changes, "<br>"))
}

// format renders a value compactly, at most 120 characters.
func format(v any) string {
	var s string
	switch t := v.(type) {
	case nil:
		s = "null"
	case string:
		s = t
	default:
		b, err := json.Marshal(t)
		if err != nil {
			s = fmt.Sprint(t)
		} else {
			s = string(b)
		}
	}
	if utf8.RuneCountInString(s) > 120 {
		s = string([]rune(s)[:119]) + "…"
	}
	return s
}

// code renders s as inline code inside a table cell.
func code(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "|", "\\|").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
