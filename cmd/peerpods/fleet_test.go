package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFleetRender: peerpods fleet render writes the example's manifests
// to standard output or as files into --out; a bad file or bad flags exit
// with the problem named.
func TestFleetRender(t *testing.T) {
	example := filepath.Join("fleet", "testdata", "clusters.yaml")
	want, err := os.ReadFile(filepath.Join("fleet", "testdata", "manifests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"fleet", "render", "--clusters", example}, &out, &errOut); code != exitOK || out.String() != string(want) {
		t.Errorf("render to stdout: exit %d, stderr %q; output equals testdata/manifests.yaml: %v", code, errOut.String(), out.String() == string(want))
	}

	dir := filepath.Join(t.TempDir(), "manifests")
	out.Reset()
	if code := run(context.Background(), []string{"fleet", "render", "--clusters", example, "--out", dir}, &out, &errOut); code != exitOK {
		t.Fatalf("render --out: exit %d: %s", code, errOut.String())
	}
	var joined []string
	for _, name := range []string{"fleet.yaml", "peerpods-east.yaml", "peerpods-lab.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		joined = append(joined, strings.TrimSuffix(string(data), "\n"))
	}
	if strings.Join(joined, "\n---\n")+"\n" != string(want) {
		t.Error("the files of --out together differ from the stdout rendering")
	}
	if got := out.String(); strings.Count(got, "\n") != 3 || !strings.Contains(got, filepath.Join(dir, "fleet.yaml")) {
		t.Errorf("render --out lists %q; want the three files", got)
	}

	bad := filepath.Join(t.TempDir(), "clusters.yaml")
	if err := os.WriteFile(bad, []byte("namespace: n\nplugin: {version: 1.0.0, downloadURL: https://x}\nclusters: [{name: a, cloud: kvm, kubeconfig: {secret: a, key: k}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"fleet"}, exitUsage, "fleet: the only command is render"},
		{[]string{"fleet", "apply"}, exitUsage, "fleet: the only command is render"},
		{[]string{"fleet", "render"}, exitUsage, "--clusters is required"},
		{[]string{"fleet", "render", "--clusters", example, "x"}, exitUsage, `unexpected argument "x"`},
		{[]string{"fleet", "render", "-h"}, exitOK, "-clusters string"},
		{[]string{"fleet", "render", "--clusters", bad}, exitFailure, `clusters[0].cloud: "kvm" is not a cloud`},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, &out, &errOut)
		if all := out.String() + errOut.String(); code != c.code || strings.Count(all, c.want) != 1 {
			t.Errorf("%v: exit %d, output %q; want %d and %q once", c.args, code, all, c.code, c.want)
		}
	}
}
