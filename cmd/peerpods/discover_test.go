package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
)

// peerpods discover --stack S on a stack file the cluster no longer agrees
// with prints the difference and changes nothing (exit 7); with --write it
// updates the file, keeping its comments and secrets; then the file
// agrees (exit 0).
func TestDiscoverCommand(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "stacks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: peerpods\nruntime: go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "stacks", "Pulumi.dev.yaml")
	before := "config:\n  peerpods:cloud: aws\n  # Mine.\n  peerpods:aws:\n    region: us-west-2\n  peerpods:kubeconfig:\n    secure: v1:ciphertext\n"
	if err := os.WriteFile(file, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, []byte("clusters: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := readFacts
	t.Cleanup(func() { readFacts = old })
	var read [][]byte
	readFacts = func(ctx context.Context, kubeconfig []byte, _ string) (cluster.Facts, error) {
		read = append(read, kubeconfig)
		return cluster.Read(ctx, clustertest.For(contract.AWS).Fake())
	}
	discover := func(code int, more ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args := append([]string{"discover", "--stack", "dev", "--dir", dir, "--kubeconfig", kc}, more...)
		if got := run(t.Context(), args, &out, &errb); got != code {
			t.Fatalf("%v: exit %d, want %d\n%s%s", more, got, code, out.String(), errb.String())
		}
		return out.String()
	}

	out := discover(exitChanges)
	for _, part := range []string{`~ peerpods:aws.region: "us-west-2" -> "us-east-2"`, `+ peerpods:aws.infraId: "mycluster-x7k2p"`, "peerpods discover --stack dev --write"} {
		if !strings.Contains(out, part) {
			t.Errorf("output lacks %q:\n%s", part, out)
		}
	}
	if got, _ := os.ReadFile(file); string(got) != before {
		t.Errorf("the file changed without --write:\n%s", got)
	}

	discover(exitOK, "--write")
	got, _ := os.ReadFile(file)
	for _, part := range []string{"region: us-east-2", "# From Infrastructure cluster status.infrastructureName.\n    infraId: mycluster-x7k2p", "# Mine.", "secure: v1:ciphertext"} {
		if !strings.Contains(string(got), part) {
			t.Errorf("written file lacks %q:\n%s", part, got)
		}
	}
	if info, _ := os.Stat(file); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", info.Mode())
	}
	if out := discover(exitOK); !strings.Contains(out, "agrees with the cluster") {
		t.Errorf("after --write: %s", out)
	}
	if len(read) != 3 || string(read[0]) != "clusters: []\n" {
		t.Errorf("kubeconfigs read %q", read)
	}
}
