package contract

import (
	"fmt"
	"strings"
)

// Markdown renders the contract as the key tables of docs/handoff.md: per cloud, one
// row per key of peer-pods-cm, peer-pods-secret and ssh-key-secret any
// line reads, with the operator lines that read it.
func Markdown() string {
	var b strings.Builder
	b.WriteString("### Operator lines\n\n")
	fmt.Fprintf(&b, "The stack writes for the line the cluster runs (peerpods:operatorVersion where no cluster is read; the newest, %s, otherwise). What each line changes for the stack; *inferred*: taken from the nearest source that could be read, not the line's own.\n\n", NewestLine)
	b.WriteString("| line | change | source |\n|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, ch := range Changes() {
		src := cell(ch.Source)
		if ch.Inferred {
			src = "*inferred*: " + src
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", ch.Line, cell(ch.Change), src)
	}
	b.WriteString("\n### Keys per cloud\n\n")
	fmt.Fprintf(&b, "Read from %s and %s; what later lines changed from %s and %s (the lines column; every line's sources: components/contract/testdata/lines/SOURCES.md).\n", Operator, CAA, CAA111, CAA112)
	for _, c := range Clouds {
		s := MustFor(c)
		fmt.Fprintf(&b, "\n#### %s\n\n", c)
		b.WriteString("| key | object | lines | needed | owner | format | set by | source |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|\n")
		for _, k := range s.Keys {
			row(&b, k, k.In.String())
		}
		for _, k := range s.SSHKeys {
			row(&b, k, SSHKeySecretName)
		}
	}
	return b.String()
}

func row(b *strings.Builder, k Key, object string) {
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n",
		k.Name, object, k.Lines(), k.Need, k.Owner, cell(k.Format.Describe), cell(setting(k)), cell(k.Source))
}

func setting(k Key) string {
	if strings.HasPrefix(k.Setting, "peerpods:") {
		name, rest, _ := strings.Cut(k.Setting, " ")
		if rest != "" {
			return "`" + name + "` " + rest
		}
		return "`" + name + "`"
	}
	return k.Setting
}
