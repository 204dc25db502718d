package docscheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// facts is a small world: one page beside the tested one, two
// subcommands, three settings, two make targets.
func facts(t *testing.T) Facts {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "docs", "aws.md"), []byte("# AWS\n\n## Bad input\n\n```sh\n# not a heading\n```\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return Facts{
		Commands:  map[string][]string{"up": {"stack", "yes"}, "preview": {"stack", "json"}},
		Settings:  map[string]bool{"peerpods:tunnelPort": true, "peerpods:aws": true, "peerpods:aws.region": true},
		Targets:   map[string]bool{"check": true, "demo": true},
		GoVersion: "1.26.8",
		Root:      root,
	}
}

// TestCheck: each kind of mistake is reported, and only the mistakes.
func TestCheck(t *testing.T) {
	f := facts(t)
	for _, tc := range []struct {
		name, text string
		want       []string // substrings of the problems, in order; none: clean
	}{
		{"clean", "Run `peerpods up --stack S --yes`, `make check` and see [AWS](aws.md#bad-input),\n" +
			"[home](https://example.com/x). Set `peerpods:aws.region` or `aws.region`,\n" +
			"a type `peerpods:aws:PeerPods`, in `libvirt.go`. Go 1.26.8.\n\n" +
			"```sh\npeerpods preview --stack S --json   # --not-a-flag in a comment\nmake -j3 demo CLOUDS=aws\n" +
			"# the peerpods kubeconfig, prose in a comment\n```\n\n```text\npeerpods:tunelPort is not a setting\n```\n", nil},
		{"unknown subcommand", "`peerpods upp --stack S`", []string{"peerpods upp: no such subcommand"}},
		{"unknown flag", "```sh\npeerpods up --stack S --no-wiat\n```\n", []string{"peerpods up --no-wiat: no such flag"}},
		{"a flag of another subcommand", "`peerpods up --json`", []string{"peerpods up --json: no such flag"}},
		{"two commands on a line", "```sh\npeerpods up --stack S && peerpods preview --yes\n```\n", []string{"peerpods preview --yes: no such flag"}},
		{"unknown setting", "Set peerpods:tunelPort.", []string{"setting peerpods:tunelPort does not exist"}},
		{"unknown field", "Set `peerpods:aws.regoin`.", []string{"setting peerpods:aws.regoin does not exist"}},
		{"unknown cloud field", "Set `aws.regoin`.", []string{"setting aws.regoin does not exist"}},
		{"unknown make target", "Run `make chekc`.", []string{"make chekc: no such target"}},
		{"broken link", "See [x](gcp.md).", []string{"link gcp.md: docs/gcp.md does not exist"}},
		{"broken anchor", "See [x](aws.md#bad-inputs).", []string{"aws.md has no heading #bad-inputs"}},
		{"anchor of a comment in code", "See [x](aws.md#not-a-heading).", []string{"has no heading #not-a-heading"}},
		{"another Go", "Needs Go 1.22.", []string{"Go 1.22 is named, go.mod says go 1.26.8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Check("docs/page.md", tc.text, f)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d: %q", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], "docs/page.md: ") || !strings.Contains(got[i], w) {
					t.Errorf("problem %d is %q, want one with %q", i, got[i], w)
				}
			}
		})
	}
}

// TestReaders: the facts read from a Makefile, go.mod, a schema and a
// command's usage.
func TestReaders(t *testing.T) {
	targets := MakeTargets("X := 1\n.PHONY: a b\na: b\n\t@echo\nb:\nc d: a\n$(CACHE)/bin/x: y\n")
	for _, w := range []string{"a", "b", "c", "d"} {
		if !targets[w] {
			t.Errorf("target %s missing: %v", w, targets)
		}
	}
	if targets["X"] {
		t.Error("a variable taken for a target")
	}
	if v := GoVersion("module m\n\ngo 1.26.8\n\nrequire x v1\n"); v != "1.26.8" {
		t.Errorf("GoVersion = %q", v)
	}
	s, err := Settings([]byte(`{"properties": {"config": {"properties": {
		"peerpods:a": {"type": "string"},
		"peerpods:b": {"properties": {"c": {"properties": {"d": {}}}}},
		"peerpods:e": {"items": {"properties": {"f": {}}}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"peerpods:a", "peerpods:b.c", "peerpods:b.c.d", "peerpods:e[].f"} {
		if !s[w] {
			t.Errorf("setting %s missing: %v", w, s)
		}
	}
	if _, err := Settings([]byte(`{}`)); err == nil {
		t.Error("a schema without settings accepted")
	}
	flags := Flags("usage: peerpods up --stack STACK [flags]\n  -json\n    \tprint JSON\n  -stack string\n    \tthe stack\n")
	if !slices.Equal(flags, []string{"json", "stack"}) {
		t.Errorf("Flags = %v", flags)
	}
	if a := Anchors("# A `b`: c?\n## A `b`: c?\n```\n# x\n```\n"); !slices.Equal(a, []string{"a-b-c", "a-b-c-1"}) {
		t.Errorf("Anchors = %v", a)
	}
}

// TestPages: README.md and the pages under docs/, nested ones included.
func TestPages(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"README.md", "docs/a.md", "docs/upstream/b.md", "docs/c.txt"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pages, err := Pages(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"README.md", "docs/a.md", "docs/upstream/b.md"}; !slices.Equal(pages, want) {
		t.Errorf("Pages = %v, want %v", pages, want)
	}
}
