// Package docscheck checks the project's Markdown pages against what
// exists: the peerpods subcommands and their flags, the stack settings of
// the schema, the Makefile's targets, the files and headings links point
// at, and the Go version of go.mod.
package docscheck

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Facts is what the pages may name.
type Facts struct {
	// Commands maps each peerpods subcommand to its flags (without
	// dashes).
	Commands map[string][]string
	// Settings are the stack settings by full name (peerpods:aws.region),
	// objects' fields and list items' fields (name[].field) included.
	Settings map[string]bool
	// Targets are the Makefile's targets.
	Targets map[string]bool
	// GoVersion is the go line of go.mod.
	GoVersion string
	// Root is the repository, against which links are resolved.
	Root string
}

// Pages lists README.md and every Markdown page under docs/, as paths
// relative to root.
func Pages(root string) ([]string, error) {
	pages := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			pages = append(pages, filepath.ToSlash(rel))
		}
		return nil
	})
	return pages, err
}

var (
	fence      = regexp.MustCompile("(?ms)^[ \t]*```[^\n]*\n(.*?)^[ \t]*```[ \t]*$")
	span       = regexp.MustCompile("`([^`]+)`")
	textBlock  = regexp.MustCompile("(?ms)^[ \t]*```text[ \t]*\n.*?^[ \t]*```[ \t]*$")
	command    = regexp.MustCompile(`(?:^|&&|;|\||\$\(|\$ )\s*(?:\./)?peerpods\s+([a-z][a-z-]*)`)
	flagRef    = regexp.MustCompile(`(?:^|[\s\[(|])--([a-z][a-z0-9-]*)`)
	setting    = regexp.MustCompile(`(?:^|[^\w/.-])peerpods:([a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z][a-zA-Z0-9]*|\[\])*)(:?)`)
	cloudField = regexp.MustCompile(`(?:^|[^\w/.:-])(aws|azure|gcp|libvirt)\.([a-z][a-zA-Z0-9]*(?:\.[a-z][a-zA-Z0-9]*|\[\])*)`)
	makeCmd    = regexp.MustCompile(`(?:^|[^\w-])make\s+([^#;&|)\n` + "`" + `]*)`)
	goVersion  = regexp.MustCompile(`\bGo (1\.[0-9]+(?:\.[0-9]+)?)\b`)
	link       = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading    = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t]*$`)
	flagLine   = regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)
	// fileSuffix are the endings of file names that look like cloud
	// fields (libvirt.go).
	fileSuffix = []string{"go", "md", "yaml", "json", "sh", "com", "io"}
)

// code returns the page's code: each fenced block, then each inline code
// span outside them, one string each; prose is the page without the
// fenced blocks.
func code(text string) (codes []string, prose string) {
	for _, m := range fence.FindAllStringSubmatch(text, -1) {
		codes = append(codes, m[1])
	}
	prose = fence.ReplaceAllString(text, "")
	for _, m := range span.FindAllStringSubmatch(prose, -1) {
		// A span that wraps onto the next line is one line of code.
		codes = append(codes, strings.ReplaceAll(m[1], "\n", " "))
	}
	return codes, prose
}

// Check returns the problems of page (a path relative to f.Root) with
// content text: one message each, naming the page.
func Check(page, text string, f Facts) []string {
	// A text block shows output, such as an error message about a
	// misspelt setting: it is not checked.
	text = textBlock.ReplaceAllString(text, "")
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, page+": "+fmt.Sprintf(format, args...))
	}
	codes, prose := code(text)
	for _, c := range codes {
		for _, line := range strings.Split(c, "\n") {
			checkCommands(line, f, report)
			checkMake(line, f, report)
		}
		checkCloudFields(c, f, report)
	}
	for _, m := range setting.FindAllStringSubmatch(text, -1) {
		if m[2] == ":" { // a type token, peerpods:libvirt:KvmHostAccess
			continue
		}
		if name := "peerpods:" + m[1]; !f.Settings[name] {
			report("setting %s does not exist (stacks/settings.schema.json)", name)
		}
	}
	for _, m := range goVersion.FindAllStringSubmatch(text, -1) {
		if m[1] != f.GoVersion {
			report("Go %s is named, go.mod says go %s", m[1], f.GoVersion)
		}
	}
	checkLinks(page, span.ReplaceAllString(prose, ""), f, report)
	return problems
}

// checkCommands reports peerpods subcommands in line that do not exist,
// and flags after one that the subcommand does not have. A command starts
// the line (after white space, "$ " or "./") or follows &&, ;, | or $(:
// "peerpods" in a comment or a sentence is not one.
func checkCommands(line string, f Facts, report func(string, ...any)) {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	locs := command.FindAllStringSubmatchIndex(line, -1)
	for i, m := range locs {
		name := line[m[2]:m[3]]
		flags, ok := f.Commands[name]
		if !ok {
			report("peerpods %s: no such subcommand", name)
			continue
		}
		end := len(line)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		rest := line[m[3]:end]
		for _, stop := range []string{"&&", ";", "|"} {
			if j := strings.Index(rest, stop); j >= 0 {
				rest = rest[:j]
			}
		}
		for _, fm := range flagRef.FindAllStringSubmatch(rest, -1) {
			if !slices.Contains(flags, fm[1]) {
				report("peerpods %s --%s: no such flag", name, fm[1])
			}
		}
	}
}

// checkMake reports make targets in line that the Makefile lacks.
func checkMake(line string, f Facts, report func(string, ...any)) {
	for _, m := range makeCmd.FindAllStringSubmatch(line, -1) {
		for _, word := range strings.Fields(m[1]) {
			if strings.HasPrefix(word, "-") || strings.Contains(word, "=") {
				continue
			}
			if !regexp.MustCompile(`^[a-z][a-z0-9-]*$`).MatchString(word) {
				break
			}
			if !f.Targets[word] {
				report("make %s: no such target in the Makefile", word)
			}
		}
	}
}

// checkCloudFields reports <cloud>.<field> settings in code c that the
// schema lacks.
func checkCloudFields(c string, f Facts, report func(string, ...any)) {
	for _, m := range cloudField.FindAllStringSubmatch(c, -1) {
		if slices.Contains(fileSuffix, m[2]) {
			continue
		}
		if name := "peerpods:" + m[1] + "." + m[2]; !f.Settings[name] {
			report("setting %s.%s does not exist (stacks/settings.schema.json)", m[1], m[2])
		}
	}
}

// checkLinks reports relative links of prose (page's text without code)
// to files that do not exist, and anchors that name no heading.
func checkLinks(page, prose string, f Facts, report func(string, ...any)) {
	for _, m := range link.FindAllStringSubmatch(prose, -1) {
		target := m[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		path, anchor, _ := strings.Cut(target, "#")
		rel := page
		if path != "" {
			rel = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(page), path)))
		}
		data, err := os.ReadFile(filepath.Join(f.Root, rel))
		if err != nil {
			if st, serr := os.Stat(filepath.Join(f.Root, rel)); serr == nil && st.IsDir() {
				continue
			}
			report("link %s: %s does not exist", target, rel)
			continue
		}
		if anchor != "" && strings.HasSuffix(rel, ".md") && !slices.Contains(Anchors(string(data)), anchor) {
			report("link %s: %s has no heading #%s", target, rel, anchor)
		}
	}
}

// Anchors are the anchors GitHub gives the headings of a Markdown page
// (outside fenced code): lower case, punctuation but - and _ removed,
// spaces as -, a repeated one numbered.
func Anchors(text string) []string {
	_, prose := code(text)
	seen := map[string]int{}
	var anchors []string
	for _, m := range heading.FindAllStringSubmatch(prose, -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 127:
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			anchors = append(anchors, fmt.Sprintf("%s-%d", a, n))
		} else {
			anchors = append(anchors, a)
		}
		seen[a]++
	}
	return anchors
}

// Flags returns the flags a Go flag package usage (PrintDefaults) lists.
func Flags(help string) []string {
	var flags []string
	for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
		flags = append(flags, m[1])
	}
	return flags
}

// MakeTargets returns the targets of a Makefile: the names before a rule's
// colon (not :=), and .PHONY's.
func MakeTargets(makefile string) map[string]bool {
	targets := map[string]bool{}
	rule := regexp.MustCompile(`(?m)^([A-Za-z0-9_.$()/ -]+):([^=]|$)`)
	for _, m := range rule.FindAllStringSubmatch(makefile, -1) {
		for _, t := range strings.Fields(m[1]) {
			targets[t] = true
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^\.PHONY:(.*)$`).FindAllStringSubmatch(makefile, -1) {
		for _, t := range strings.Fields(m[1]) {
			targets[t] = true
		}
	}
	return targets
}

// GoVersion returns the version of go.mod's go line.
func GoVersion(gomod string) string {
	m := regexp.MustCompile(`(?m)^go\s+(\S+)\s*$`).FindStringSubmatch(gomod)
	if m == nil {
		return ""
	}
	return m[1]
}

// Settings returns every setting the stack files' JSON Schema
// (stacks/settings.schema.json) describes, by full name: the settings,
// their fields, and the fields of list items (name[].field), as
// docs/settings.md lists them.
func Settings(schema []byte) (map[string]bool, error) {
	var doc map[string]any
	if err := json.Unmarshal(schema, &doc); err != nil {
		return nil, err
	}
	top, _ := doc["properties"].(map[string]any)
	config, _ := top["config"].(map[string]any)
	props, ok := config["properties"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the schema has no config properties")
	}
	names := map[string]bool{}
	var walk func(name string, s map[string]any)
	walk = func(name string, s map[string]any) {
		names[name] = true
		if sub, ok := s["properties"].(map[string]any); ok {
			for _, k := range slices.Sorted(maps.Keys(sub)) {
				walk(name+"."+k, sub[k].(map[string]any))
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			if sub, ok := items["properties"].(map[string]any); ok {
				names[name+"[]"] = true
				for _, k := range slices.Sorted(maps.Keys(sub)) {
					walk(name+"[]."+k, sub[k].(map[string]any))
				}
			}
		}
	}
	for name, s := range props {
		walk(name, s.(map[string]any))
	}
	return names, nil
}
