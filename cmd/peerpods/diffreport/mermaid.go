package diffreport

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/peerpods/provisioner/components/readiness"
)

// MaxDiagram is the largest diagram section the Markdown report holds (a
// third of its limit at most); a larger one is replaced by a note (the
// JSON report has every path). MaxChecks is the same for the list of what
// check verifies (a quarter at most): past it, the lines that do not fit
// are counted.
const (
	MaxDiagram = 20000
	MaxChecks  = 4000
)

// marks are the signs that tell a path's state without colour.
var marks = map[string]string{Added: "+ ", Removed: "− ", Replaced: "~ ", Kept: ""}

// arrows draw a path of each state: thick added, dotted removed.
var arrows = map[string]string{Added: "==>", Removed: "-.->", Replaced: "-->", Kept: "-->"}

// styles are the node classes and link colours of each changed state.
var styles = map[string]struct{ class, link string }{
	Added:    {"fill:#dafbe1,stroke:#1a7f37,stroke-width:3px,color:#000", "stroke:#1a7f37,stroke-width:3px"},
	Removed:  {"fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5,color:#000", "stroke:#cf222e,stroke-width:2px"},
	Replaced: {"fill:#fff8c5,stroke:#9a6700,stroke-width:2px,color:#000", "stroke:#9a6700,stroke-width:2px"},
}

// Legend explains the diagram's marks, below it.
const Legend = "**+** thick green arrow or box: added · **−** dotted red: removed · " +
	"**~** yellow: kept, its resource recreated · plain: unchanged."

// Diagram renders paths as a Mermaid flowchart (left to right): one node
// per end, one arrow per path labelled with its ports or role, the state
// marked by a sign in the label, the arrow's line and a class. A node is
// marked when every path at it has that state. Nodes are named n0, n1, ...
// in the order of their keys; labels are escaped for Mermaid. "" when
// there are no paths.
func Diagram(paths []Path) string {
	if len(paths) == 0 {
		return ""
	}
	ends := map[string]End{}
	states := map[string]map[string]bool{}
	for _, p := range paths {
		for _, e := range []End{p.From, p.To} {
			if _, ok := ends[e.Key]; !ok {
				ends[e.Key] = e
				states[e.Key] = map[string]bool{}
			}
			states[e.Key][p.State] = true
		}
	}
	keys := make([]string, 0, len(ends))
	for k := range ends {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	id := map[string]string{}
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	classes := map[string][]string{}
	for i, k := range keys {
		id[k] = fmt.Sprintf("n%d", i)
		state := Kept
		if len(states[k]) == 1 {
			for s := range states[k] {
				state = s
			}
		}
		if state != Kept {
			classes[state] = append(classes[state], id[k])
		}
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", id[k], escape(marks[state]+ends[k].Label))
	}
	links := map[string][]string{}
	for i, p := range paths {
		fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", id[p.From.Key], arrows[p.State], escape(marks[p.State]+strings.Join(p.Via, ", ")), id[p.To.Key])
		if _, ok := styles[p.State]; ok {
			links[p.State] = append(links[p.State], fmt.Sprint(i))
		}
	}
	for _, s := range []string{Added, Removed, Replaced} {
		if len(classes[s]) > 0 {
			fmt.Fprintf(&b, "  classDef %s %s\n  class %s %s\n", s, styles[s].class, strings.Join(classes[s], ","), s)
		}
		if len(links[s]) > 0 {
			fmt.Fprintf(&b, "  linkStyle %s %s\n", strings.Join(links[s], ","), styles[s].link)
		}
	}
	return b.String()
}

// escape makes text safe inside a quoted Mermaid label: the characters
// Mermaid or the HTML label would read (quotes, #, &, <, >, backticks) as
// entity codes, line breaks as <br/>, each line at most 80 characters.
func escape(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r", ""), "\n")
	for i, l := range lines {
		if utf8.RuneCountInString(l) > 80 {
			l = string([]rune(l)[:79]) + "…"
		}
		lines[i] = labelEscaper.Replace(l)
	}
	return strings.Join(lines, "<br/>")
}

var labelEscaper = strings.NewReplacer("#", "#35;", `"`, "#quot;", "&", "#amp;", "<", "#lt;", ">", "#gt;", "`", "#96;")

// diagramSection is the Markdown of the paths: the diagram in a mermaid
// fence and the legend, or a note when it would pass max bytes.
func diagramSection(paths []Path, max int) string {
	if len(paths) == 0 {
		return ""
	}
	n := map[string]int{}
	for _, p := range paths {
		n[p.State]++
	}
	head := fmt.Sprintf("#### Network paths: %d added, %d removed, %d replaced, %d unchanged\n\n",
		n[Added], n[Removed], n[Replaced], n[Kept])
	s := head + "```mermaid\n" + Diagram(paths) + "```\n\n" + Legend + "\n\n"
	if len(s) > max {
		return head + fmt.Sprintf("_The diagram of %d paths is too large for this comment; the JSON report lists them (`paths`)._\n\n", len(paths))
	}
	return s
}

// checksSection says what `peerpods check` verifies after the merge of
// the paths that remain: per target its ports and sources (its rule
// facts), the NAT gateways' attachments, the KVM host, then the cluster's
// subjects (readiness.ClusterSubjects, the facts check reports); the
// peerings, which check does not read back, are named as such; at most
// max bytes.
func checksSection(stack string, paths []Path, max int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#### After the merge\n\nThe workflow runs `up`, then %s, which verifies (exit 0 when all holds):\n\n",
		code("peerpods check --stack "+stack))
	type group struct {
		to      End
		via     []string
		sources []string
	}
	var order []string
	groups := map[string]*group{}
	var lines, unread []string
	for _, p := range paths {
		if p.State == Removed {
			continue
		}
		switch p.Kind {
		case kindRule:
			g, ok := groups[p.To.Key]
			if !ok {
				g = &group{to: p.To}
				groups[p.To.Key] = g
				order = append(order, p.To.Key)
			}
			g.via = append(g.via, p.Via...)
			g.sources = append(g.sources, code(oneLine(p.From.Label)))
		case kindNAT:
			if p.To.Key != internet.Key {
				lines = append(lines, fmt.Sprintf("%s is still attached to %s", code(oneLine(p.To.Label)), code(oneLine(p.From.Label))))
			}
		case kindPeering:
			unread = append(unread, fmt.Sprintf("the peering %s → %s", code(oneLine(p.From.Label)), code(oneLine(p.To.Label))))
		case kindKVM:
			if p.From.Key == cluster.Key {
				lines = append(lines, fmt.Sprintf("%s answers over OpenSSH with the handoff's key and known_hosts (`ssh-key-secret`), as cloud-api-adaptor connects", code(oneLine(p.To.Label))))
			} else {
				lines = append(lines, fmt.Sprintf("%s exists on %s", code(oneLine(p.To.Label)), code(oneLine(p.From.Label))))
			}
		}
	}
	for _, k := range order {
		g := groups[k]
		sort.Strings(g.sources)
		lines = append(lines, fmt.Sprintf("the rules of %s exist and allow %s from %s", code(oneLine(g.to.Label)),
			strings.Join(sortVia(g.via), ", "), strings.Join(compactStrings(g.sources), ", ")))
	}
	sort.Strings(lines)
	lines = compactStrings(lines)
	var tail strings.Builder
	for _, s := range readiness.ClusterSubjects {
		tail.WriteString("- " + s.Verifies + "\n")
	}
	if unread = compactStrings(unread); len(unread) > 0 {
		sort.Strings(unread)
		fmt.Fprintf(&tail, "\nNot read back by `check` (%s finds their drift): %s.\n",
			code("peerpods refresh --stack "+stack+" --expect-no-changes"), strings.Join(unread, ", "))
	}
	for i, l := range lines {
		if b.Len()+len(l)+tail.Len()+200 > max {
			fmt.Fprintf(&b, "- %d more paths as the JSON report lists them (`paths`)\n", len(lines)-i)
			break
		}
		b.WriteString("- " + l + "\n")
	}
	b.WriteString(tail.String())
	return b.String()
}

func oneLine(label string) string { return strings.ReplaceAll(label, "\n", " ") }

func compactStrings(s []string) []string {
	out := s[:0:0]
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}
