package main

import (
	"errors"
	"slices"
	"strings"
	"testing"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoffcheck"
	"github.com/peerpods/provisioner/components/readiness"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// TestHandoffObjects: the handoff objects from the stack's outputs, the
// Secrets marked, an absent output (no ssh-key-secret) left out.
func TestHandoffObjects(t *testing.T) {
	objs := handoffObjects(auto.OutputMap{
		stacks.OutputConfigMap: {Value: map[string]any{"A": "1", "N": 2}},
		stacks.OutputSecret:    {Value: map[string]any{"S": "x"}, Secret: true},
	})
	if len(objs) != 2 || objs[0].Name != contract.ConfigMapName || objs[0].Secret || objs[0].Data["A"] != "1" || len(objs[0].Data) != 1 ||
		objs[1].Name != contract.SecretName || !objs[1].Secret || objs[1].Data["S"] != "x" {
		t.Errorf("%+v", objs)
	}
}

// TestLibvirtFactRefuses: without a cluster, the stack's own values (the
// ConfigMap's over the Secret's); a URI that does not parse, and a
// known_hosts without the host's key (as OpenSSH would refuse it), fail
// before any connection, the key never shown.
func TestLibvirtFactRefuses(t *testing.T) {
	h := func(uri, knownHosts string) handoffcheck.Handoff {
		return handoffcheck.Handoff{Cloud: contract.Libvirt, Line: contract.Line112, Objects: []handoffcheck.Object{
			{Name: contract.SecretName, Secret: true, Data: map[string]string{contract.KeyLibvirtURI: uri, contract.KeyLibvirtPool: "from-secret"}},
			{Name: contract.ConfigMapName, Data: map[string]string{contract.KeyLibvirtPool: "pp", contract.KeyLibvirtVolName: "vol"}},
			{Name: contract.SSHKeySecretName, Secret: true, Data: map[string]string{contract.KeySSHPrivateKey: "PRIVATE-KEY-TEXT", contract.KeySSHKnownHosts: knownHosts}},
		}}
	}
	for _, c := range []struct {
		h    handoffcheck.Handoff
		want string
	}{
		{h("http://nope", ""), "LIBVIRT_URI: "},
		{h("qemu+ssh://root@kvm.example:2222/system", "other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"),
			"ssh-key-secret: known_hosts has no key for [kvm.example]:2222"},
	} {
		f, a, err := libvirtFact(t.Context(), cluster.Clients{}, false, c.h)
		if err != nil || a != nil || f.State != readiness.Failed || !strings.Contains(f.Detail, c.want) {
			t.Errorf("%v %v %+v", err, a, f)
		}
		if f.Field != "pool pp, volume vol" || strings.Contains(f.Line(), "PRIVATE-KEY-TEXT") {
			t.Errorf("the ConfigMap does not win, or the key is shown: %s", f.Line())
		}
	}
}

// TestRuleFactAttachment: a NAT gateway's link to its subnet is an
// attachment fact, ok while attached, failed with the cloud's problem.
func TestRuleFactAttachment(t *testing.T) {
	r := values.DeclaredRule{Name: "NAT gateway gw", ID: "/gw", Target: "subnet s", AttachedTo: "/s"}
	f := ruleFact(values.RuleFinding{Rule: r})
	if f.Name != "attachment" || f.Line() != "ok      NAT gateway gw (/gw) on subnet s: still attached as the stack declared it" {
		t.Errorf("%s %q", f.Name, f.Line())
	}
	if got := ruleFact(values.RuleFinding{Rule: r, Problem: "is no longer attached", Fix: "up"}).Line(); got != "failed  NAT gateway gw (/gw) on subnet s: is no longer attached; fix: up" {
		t.Errorf("%q", got)
	}
}

// TestEngineErrorKeepsTheGoneRule: the short message of a failed
// read-only program drops the engine's output, but values.GoneRule still
// finds there the rule a resource read found gone (so check reports it
// as a finding, not as its own failure).
func TestEngineErrorKeepsTheGoneRule(t *testing.T) {
	rules := []values.DeclaredRule{{ID: "projects/p/global/firewalls/a"}, {ID: "projects/p/global/firewalls/b"}}
	err := error(engineError{msg: "reading the stack's rules of s: failed to run preview: exit status 255",
		detail: "stdout: ...\nerror: preview failed: resource 'projects/p/global/firewalls/b' does not exist\n"})
	if strings.Contains(err.Error(), "does not exist") || values.GoneRule(err, rules) != 1 {
		t.Errorf("%q: gone rule %d", err, values.GoneRule(err, rules))
	}
	if values.GoneRule(engineError{msg: "m", detail: "error: 403"}, rules) != -1 {
		t.Error("another failure taken for a gone rule")
	}
}

// TestClassify: virsh's failure over qemu+ssh named by what OpenSSH said
// last (its warning of a changed host key does not reach libvirt whole),
// then by virsh's words.
func TestClassify(t *testing.T) {
	for _, c := range []struct{ stderr, ssh, kind, has string }{
		{"error: failed to connect to the hypervisor\nerror: Cannot recv data: Value too large for defined data type", "Host key verification failed.", failHostKey,
			"error: failed to connect to the hypervisor error: Cannot recv data: Value too large for defined data type; ssh: Host key verification failed."},
		{"error: Cannot recv data: u@h: Permission denied (publickey).: Connection reset by peer", "", failKey, "Permission denied (publickey)"},
		{"error: failed to get pool 'pp'\nerror: Storage pool not found: no storage pool with matching name 'pp'", "", failPool, "no storage pool"},
		{"error: Cannot recv data: Connection refused", "ssh: connect to host h port 22: Connection refused", failConnect, "; ssh: ssh: connect"},
		{"", "", failConnect, "exit status 1"},
	} {
		e := classify(c.stderr, c.ssh, errors.New("exit status 1"))
		if e.kind != c.kind || !strings.Contains(e.output, c.has) {
			t.Errorf("classify(%q, %q) = %s %q", c.stderr, c.ssh, e.kind, e.output)
		}
	}
	if got := lastLine("@@@ WARNING\nHost key for h has changed\r\nHost key verification failed.\r\n"); got != "Host key verification failed." {
		t.Errorf("lastLine: %q", got)
	}
}

// TestCheckReportsWhatTheReportAnnounces: the cluster facts check reports
// are, in order, the subjects the preview report says it verifies
// (readiness.ClusterSubjects), on an empty cluster as on any.
func TestCheckReportsWhatTheReportAnnounces(t *testing.T) {
	kube := kubefake.NewClientset()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(), map[schema.GroupVersionResource]string{
		readiness.KataConfigs: "KataConfigList", readiness.MachineConfigPools: "MachineConfigPoolList"})
	c := cluster.Clients{Kube: kube, Dynamic: dyn, Discovery: kube.Discovery()}
	h := handoffcheck.Handoff{Cloud: contract.Libvirt, Line: contract.Lines[0],
		Objects: []handoffcheck.Object{{Name: contract.ConfigMapName, Data: map[string]string{"CLOUD_PROVIDER": "libvirt"}}}}
	facts, err := clusterFacts(t.Context(), c, h, auto.OutputMap{})
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, f := range facts {
		if len(got) == 0 || got[len(got)-1] != f.Name {
			got = append(got, f.Name)
		}
	}
	for _, s := range readiness.ClusterSubjects {
		want = append(want, s.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("check reports %v, the preview report announces %v", got, want)
	}
}
