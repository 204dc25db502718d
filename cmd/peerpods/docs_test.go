package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/docscheck"
)

var update = flag.Bool("update", false, "rewrite the generated flag reference of docs/commands.md")

// subcommands lists peerpods' subcommands as its usage names them, with
// the arguments that print each one's flags.
func subcommands(t *testing.T) [][]string {
	t.Helper()
	m := regexp.MustCompile(`peerpods <([a-z|]+)>`).FindStringSubmatch(usage)
	if m == nil {
		t.Fatalf("the usage lists no subcommands: %s", usage)
	}
	var cmds [][]string
	for _, name := range strings.Split(m[1], "|") {
		cmds = append(cmds, []string{name, "-h"})
	}
	return append(cmds, []string{"fleet", "render", "-h"})
}

// help is what peerpods args prints.
func help(t *testing.T, args []string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if code := run(context.Background(), args, &out, &errs); code != exitOK {
		t.Fatalf("peerpods %s: exit %d: %s", strings.Join(args, " "), code, errs.String())
	}
	return out.String()
}

// TestCommandReference fails when the flag reference of docs/commands.md
// is not what each subcommand's -h prints; -update rewrites it.
func TestCommandReference(t *testing.T) {
	const begin, end = "<!-- BEGIN generated flags -->\n", "<!-- END generated flags -->"
	var b strings.Builder
	for _, args := range subcommands(t) {
		name := strings.Join(args[:len(args)-1], " ")
		fmt.Fprintf(&b, "### `peerpods %s`\n\n```text\n%s```\n\n", name, help(t, args))
	}
	docscheck.Generated(t, filepath.Join("..", "..", "docs", "commands.md"), begin, end, b.String(), *update,
		"docs/commands.md's flag reference differs from the command: go test ./cmd/peerpods -run TestCommandReference -update")
}

// commands returns every subcommand of peerpods with its flags, as the
// command itself prints them: the list of its usage, then each
// subcommand's -h.
func commands(t *testing.T) map[string][]string {
	t.Helper()
	cmds := map[string][]string{"version": nil, "help": nil}
	for _, args := range subcommands(t) {
		flags := docscheck.Flags(help(t, args))
		if len(flags) == 0 {
			t.Fatalf("peerpods %s printed no flags", strings.Join(args, " "))
		}
		cmds[args[0]] = flags
	}
	return cmds
}

// facts are what the repository's pages may name: the command's
// subcommands and flags, the settings of stacks/settings.schema.json (the
// source of docs/settings.md), the Makefile's targets and go.mod's Go.
func facts(t *testing.T) docscheck.Facts {
	t.Helper()
	root := filepath.Join("..", "..")
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	settings, err := docscheck.Settings([]byte(read("stacks/settings.schema.json")))
	if err != nil {
		t.Fatal(err)
	}
	return docscheck.Facts{
		Commands:  commands(t),
		Settings:  settings,
		Targets:   docscheck.MakeTargets(read("Makefile")),
		GoVersion: docscheck.GoVersion(read("go.mod")),
		Root:      root,
	}
}

// TestDocs: README.md and every page under docs/ name only subcommands,
// flags, settings and make targets that exist, link only to files and
// headings that exist, and name go.mod's Go version.
func TestDocs(t *testing.T) {
	f := facts(t)
	pages, err := docscheck.Pages(f.Root)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 10 {
		t.Fatalf("only %d pages: %v", len(pages), pages)
	}
	for _, page := range pages {
		data, err := os.ReadFile(filepath.Join(f.Root, page))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range docscheck.Check(page, string(data), f) {
			t.Error(p)
		}
	}
}

// TestDocsFacts: the facts are the command's: a known flag of each kind
// of subcommand is there, and an unknown one is not.
func TestDocsFacts(t *testing.T) {
	f := facts(t)
	for cmd, flag := range map[string]string{"preview": "report-json", "up": "no-wait", "sweep": "include-running", "fleet": "clusters", "check": "smoke-timeout"} {
		if !strings.Contains(" "+strings.Join(f.Commands[cmd], " ")+" ", " "+flag+" ") {
			t.Errorf("peerpods %s: flag --%s not found in %v", cmd, flag, f.Commands[cmd])
		}
	}
	if strings.Contains(strings.Join(f.Commands["up"], " "), "report-json") {
		t.Error("peerpods up has --report-json, which is preview's")
	}
	for _, s := range []string{"peerpods:tunnelPort", "peerpods:aws.region", "peerpods:libvirt.host.knownHostKey", "peerpods:placement.hostedControlPlane[].cluster"} {
		if !f.Settings[s] {
			t.Errorf("setting %s not found", s)
		}
	}
	if !f.Targets["check"] || !f.Targets["demo-down"] || f.Targets["SHELL"] {
		t.Errorf("make targets: %v", f.Targets)
	}
	if !regexp.MustCompile(`^1\.[0-9]+`).MatchString(f.GoVersion) {
		t.Errorf("go.mod's Go version %q", f.GoVersion)
	}
}
