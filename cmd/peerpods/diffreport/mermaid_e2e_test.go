//go:build e2e

package diffreport

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
)

// parsed is what tests/mermaid/parse.mjs says of one file.
type parsed struct {
	File  string `json:"file"`
	OK    bool   `json:"ok"`
	Type  string `json:"type"`
	Error string `json:"error"`
}

// parseMermaid parses each diagram with Mermaid's own parser (mermaid
// from npm under node, installed by make mermaid into
// $PEERPODS_CACHE/mermaid); node or the install missing fails the test.
func parseMermaid(t *testing.T, diagrams map[string]string) map[string]parsed {
	t.Helper()
	dir := filepath.Join(e2eenv.Require(t, "PEERPODS_CACHE"), "mermaid")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "mermaid", "package.json")); err != nil {
		t.Fatalf("Mermaid's parser is not installed (run make mermaid): %v", err)
	}
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "..", "..", "..", "tests", "mermaid", "parse.mjs")
	tmp := t.TempDir()
	args := []string{script, dir}
	for name, d := range diagrams {
		f := filepath.Join(tmp, name+".mmd")
		if err := os.WriteFile(f, []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	cmd := exec.Command("node", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v", script, err)
	}
	var results []parsed
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("parse.mjs printed %q: %v", out, err)
	}
	byName := map[string]parsed{}
	for _, r := range results {
		byName[strings.TrimSuffix(filepath.Base(r.File), ".mmd")] = r
	}
	if len(byName) != len(diagrams) {
		t.Fatalf("%d results for %d diagrams: %s", len(byName), len(diagrams), out)
	}
	return byName
}

// mermaidBlock is the one mermaid fence of a report.
func mermaidBlock(t *testing.T, md string) string {
	t.Helper()
	parts := strings.Split(md, "```mermaid\n")
	if len(parts) != 2 {
		t.Fatalf("%d mermaid blocks in:\n%s", len(parts)-1, md)
	}
	block, _, ok := strings.Cut(parts[1], "\n```\n")
	if !ok {
		t.Fatalf("unclosed mermaid block:\n%s", md)
	}
	return block + "\n"
}

// TestDiagramsParse: the diagram of every representative preview (AWS
// created, an AWS port removed and moved, Azure peer-vnet with NAT and
// peerings, Azure worker-subnet with its gateway replaced, GCP, a remote
// KVM host, names with Mermaid's and HTML's special characters), as the
// Markdown report holds it, is a flowchart to Mermaid's parser; diagrams
// broken as escaping or quoting mistakes would break them are refused
// (so a parse that passes means something).
func TestDiagramsParse(t *testing.T) {
	diagrams := map[string]string{}
	for _, p := range previews {
		diagrams[p.name] = mermaidBlock(t, FromEvents("dev", p.events()).Markdown(MaxMarkdown))
	}
	good := diagrams["aws-created"]
	broken := map[string]string{
		// A label's closing quote lost.
		"broken-unclosed-label": strings.Replace(good, `"+ 9000/tcp, 9000/udp, 15150/tcp"|`, `"+ 9000/tcp, 9000/udp, 15150/tcp|`, 1),
		// The hostile name with its quotes unescaped.
		"broken-raw-quote": strings.ReplaceAll(diagrams["hostile"], "#quot;", `"`),
		// An arrow cut in half.
		"broken-arrow": strings.Replace(good, "==>", "==", 1),
	}
	for name, d := range broken {
		if d == good || d == diagrams["hostile"] {
			t.Fatalf("%s: the diagram was not broken", name)
		}
		diagrams[name] = d
	}
	results := parseMermaid(t, diagrams)
	for _, p := range previews {
		r := results[p.name]
		if !r.OK || r.Type != "flowchart-v2" {
			t.Errorf("%s: Mermaid refuses the diagram (%s):\n%s", p.name, r.Error, diagrams[p.name])
		}
	}
	for name := range broken {
		if r := results[name]; r.OK || !strings.Contains(r.Error, "Parse error") {
			t.Errorf("%s: Mermaid accepts a broken diagram (%+v):\n%s", name, r, diagrams[name])
		}
	}
}
