package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// TestUsage: command-line mistakes exit 2 (the Pulumi CLI's code for
// invalid arguments) with the message printed once; an invalid stack name
// exits 64 (TestBadStackName has more); a stack without a stack file exits
// 6 (Pulumi: stack not found).
func TestUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "no command"},
		{[]string{"apply"}, exitUsage, `unknown command "apply"`},
		{[]string{"up"}, exitUsage, "--stack is required"},
		{[]string{"preview", "--stack", "s", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"outputs", "--stack", "s", "--json", "x"}, exitUsage, "flag provided but not defined: -json"},
		{[]string{"help"}, exitOK, "usage: peerpods"},
		{[]string{"version"}, exitOK, "peerpods dev\n"},
		{[]string{"--version"}, exitOK, "peerpods dev\n"},
		{[]string{"outputs", "--stack", "s", "--manifests"}, exitUsage, "add --show-secrets"},
		{[]string{"outputs", "--stack", "s", "--manifests", "--show-secrets", "--configmap"}, exitUsage, "exclude each other"},
		{[]string{"up", "-h"}, exitOK, "  -stack string"},
		{[]string{"up", "--stack", "no-such-stack", "--dir", "../.."}, exitNoStack, "no stack file stacks/Pulumi.no-such-stack.yaml"},
		{[]string{"up", "--stack", "organization/peerpods/no-such-stack", "--dir", "../.."}, exitNoStack, "no stack file stacks/Pulumi.no-such-stack.yaml"},
		{[]string{"preview", "--stack", "../../etc/passwd"}, exitBadStackName, `--stack "../../etc/passwd" is not a valid stack name: 4 parts`},
		{[]string{"up", "--stack", "org/peerpods/dev/x"}, exitBadStackName, "at most three (org/project/stack)"},
		{[]string{"preview", "--nope"}, exitUsage, "flag provided but not defined: -nope"},
		{[]string{"refresh", "--stack"}, exitUsage, "flag needs an argument: -stack"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, &out, &errOut)
		all := out.String() + errOut.String()
		if code != c.code || strings.Count(all, c.want) != 1 {
			t.Errorf("%v: exit %d, output %q; want %d and %q once", c.args, code, all, c.code, c.want)
		}
		if c.code == exitUsage && strings.Count(all, "usage: peerpods") != 1 {
			t.Errorf("%v: usage printed %d times: %q", c.args, strings.Count(all, "usage: peerpods"), all)
		}
	}
}

// TestStackFile: a stack name, plain or fully qualified as the Pulumi CLI
// takes it, names stacks/Pulumi.<last part>.yaml; path tricks and names
// Pulumi refuses are refused with a stackNameError.
func TestStackFile(t *testing.T) {
	for name, want := range map[string]string{
		"aws-example":                         "stacks/Pulumi.aws-example.yaml",
		"acme/aws-example":                    "stacks/Pulumi.aws-example.yaml",
		"organization/peerpods/aws-example":   "stacks/Pulumi.aws-example.yaml",
		"acme-corp/peerpods/libvirt_local.v2": "stacks/Pulumi.libvirt_local.v2.yaml",
		"-._":                                 "stacks/Pulumi.-._.yaml",
		strings.Repeat("s", 100):              "stacks/Pulumi." + strings.Repeat("s", 100) + ".yaml",
	} {
		got, err := stackFile(name)
		if err != nil || got != want {
			t.Errorf("stackFile(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join("..", "..", "stacks", "Pulumi.aws-example.yaml")); err != nil {
		t.Errorf("the example stack file: %v", err)
	}
	for _, name := range []string{
		"", "..", ".", "../x", "x/..", "org/../x", "a..b", "org//x", "/x", "x/", "/", "o/p/s/x",
		`..\x`, `a\b`, "a b", "x\x00", "dev\n", "stacks/../../etc", "~root", "$HOME", "dé", strings.Repeat("s", 101),
		"org/pro ject/dev", "o:rg/dev", "o/" + strings.Repeat("p", 101) + "/s", "x\ty", "a\xffb",
	} {
		var sn stackNameError
		if f, err := stackFile(name); !errors.As(err, &sn) {
			t.Errorf("stackFile(%q) = %q, %v; want a stackNameError", name, f, err)
		}
	}
}

func TestRenderOutputs(t *testing.T) {
	outs := auto.OutputMap{
		"cloud":  {Value: "libvirt"},
		"secret": {Value: map[string]any{"LIBVIRT_URI": "qemu+ssh://root@h/system"}, Secret: true},
	}
	masked := renderOutputs(outs, false)
	if !reflect.DeepEqual(masked, map[string]any{"cloud": "libvirt", "secret": "[secret]"}) {
		t.Errorf("masked %v", masked)
	}
	shown := renderOutputs(outs, true)
	if shown["secret"].(map[string]any)["LIBVIRT_URI"] != "qemu+ssh://root@h/system" {
		t.Errorf("shown %v", shown)
	}
}

func TestCounts(t *testing.T) {
	if got := counts(map[string]int{"same": 5, "create": 2}); got != "2 create, 5 same" {
		t.Errorf("%q", got)
	}
	if got := counts(map[string]int(nil)); got != "no resources" {
		t.Errorf("%q", got)
	}
	if changed(map[string]int{"same": 3}) || changed(map[string]int{"same": 3, "read": 1}) || !changed(map[string]int{"same": 3, "update": 1}) {
		t.Error("changed")
	}
	m := map[string]int{"a": 1}
	if deref(&m)["a"] != 1 || deref(nil) != nil {
		t.Error("deref")
	}
}

func TestConfigMapManifest(t *testing.T) {
	b, err := configMapManifest(map[string]any{"configMap": map[string]any{"LIBVIRT_POOL": "p", "VXLAN_PORT": "9000"}, "secret": "[secret]"})
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: v1
data:
  LIBVIRT_POOL: p
  VXLAN_PORT: "9000"
kind: ConfigMap
metadata:
  labels:
    app.kubernetes.io/managed-by: peerpods
  name: peer-pods-cm
  namespace: openshift-sandboxed-containers-operator
`
	if string(b) != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", b, want)
	}
	if _, err := configMapManifest(map[string]any{}); err == nil {
		t.Error("no error without a configMap output")
	}
}

func TestEngineMessage(t *testing.T) {
	for in, want := range map[string]string{
		"failed to run up: exit status 1\ncode: 1\nstdout: a\nstderr: b\n": "failed to run up: exit status 1",
		"plain":                  "plain",
		"two\nlines\ncode: none": "two\nlines\ncode: none",
	} {
		if got := engineMessage(errors.New(in)); got != want {
			t.Errorf("engineMessage(%q) = %q", in, got)
		}
	}
}
