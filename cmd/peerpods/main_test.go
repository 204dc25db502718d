package main

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

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
		{[]string{"outputs", "--stack", "s", "--manifests"}, exitUsage, "add --show-secrets"},
		{[]string{"outputs", "--stack", "s", "--manifests", "--show-secrets", "--configmap"}, exitUsage, "exclude each other"},
		{[]string{"up", "-h"}, exitOK, "-stack"},
		{[]string{"up", "--stack", "no-such-stack", "--dir", "../.."}, exitFailure, "no stack file stacks/Pulumi.no-such-stack.yaml"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, &out, &errOut)
		if code != c.code || !strings.Contains(out.String()+errOut.String(), c.want) {
			t.Errorf("%v: exit %d, output %q; want %d and %q", c.args, code, out.String()+errOut.String(), c.code, c.want)
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
	if changed(map[string]int{"same": 3}) || !changed(map[string]int{"same": 3, "update": 1}) {
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
