package nodetaints

import (
	"reflect"
	"testing"

	"github.com/peerpods/provisioner/libvirt/provider"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
)

// A NodeTaints of an earlier version: its kubeconfig (and context) were
// inputs, kept in its state; its provider had no configuration.

// oldInputs and oldState are such a resource's inputs and state
// on node w, which it added cp to.
func oldInputs() property.Map {
	return inputs("w", cp).Set("kubeconfig", property.New(kubeconfig).WithSecret(true)).Set("context", property.New("ctx"))
}

func oldState() property.Map { return oldInputs().Set("added", taintList(cp)) }

// rotatedKubeconfig is the kubeconfig of the new provider: another one
// than the state's, to tell which one a connection used.
var rotatedKubeconfig = testKubeconfig("https://127.0.0.1:1") + "# the provider's\n"

// TestLegacyStateUpdatesThroughTheEngine drives the upgrade as the engine
// does, in gRPC messages (p.RawServer, as the plugin serves them, with
// old inputs: the engine sends them): the resource now served by a
// provider with a kubeconfig (the stack's new provider; DiffConfig of it
// against the old one is an update, TestServedConfigDiff) passes its
// check, its diff is an update that drops kubeconfig and context, never
// a replacement (which would remove and add the taints), and the update
// writes a state without them, connecting with the provider's
// kubeconfig, the taints untouched; the next diff finds nothing.
func TestLegacyStateUpdatesThroughTheEngine(t *testing.T) {
	c := fakeNode("w", admin, kube(cp))
	conns := &connections{}
	prov, err := provider.NewWith([]infer.InferredResource{ResourceWith(conns.connector(t, c))})
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.RawServer(provider.Name, provider.Version, prov)(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	chkCfg, err := s.CheckConfig(ctx, &rpc.CheckRequest{Urn: string(providerURN), News: marshal(t, config(rotatedKubeconfig))})
	if err != nil || len(chkCfg.GetFailures()) > 0 {
		t.Fatalf("CheckConfig: %v %v", chkCfg.GetFailures(), err)
	}
	if _, err := s.Configure(ctx, &rpc.ConfigureRequest{Args: chkCfg.GetInputs(), AcceptSecrets: true, AcceptResources: true,
		SendsOldInputs: true, SendsOldInputsToDelete: true}); err != nil {
		t.Fatal(err)
	}

	wasIn, was := marshal(t, oldInputs()), marshal(t, oldState())
	chk, err := s.Check(ctx, &rpc.CheckRequest{Urn: string(urn), Olds: wasIn, News: marshal(t, inputs("w", cp))})
	if err != nil || len(chk.GetFailures()) > 0 {
		t.Fatalf("Check: %v %v", chk.GetFailures(), err)
	}
	d, err := s.Diff(ctx, &rpc.DiffRequest{Id: "w", Urn: string(urn), Olds: was, OldInputs: wasIn, News: chk.GetInputs()})
	if err != nil {
		t.Fatal(err)
	}
	if d.GetChanges() != rpc.DiffResponse_DIFF_SOME || len(d.GetReplaces()) > 0 || d.GetDeleteBeforeReplace() {
		t.Fatalf("diff %v, want an update", d)
	}
	detail := map[string]rpc.PropertyDiff_Kind{}
	for k, v := range d.GetDetailedDiff() {
		detail[k] = v.GetKind()
	}
	if want := map[string]rpc.PropertyDiff_Kind{"kubeconfig": rpc.PropertyDiff_DELETE, "context": rpc.PropertyDiff_DELETE}; !reflect.DeepEqual(detail, want) {
		t.Errorf("detailed diff %v, want %v", detail, want)
	}

	up, err := s.Update(ctx, &rpc.UpdateRequest{Id: "w", Urn: string(urn), Olds: was, OldInputs: wasIn, News: chk.GetInputs()})
	if err != nil {
		t.Fatal(err)
	}
	state := unmarshal(t, up.GetProperties())
	for _, k := range []string{"kubeconfig", "context"} {
		if _, ok := state.GetOk(k); ok {
			t.Errorf("the updated state holds %s", k)
		}
	}
	if got := addedOf(t, state); !reflect.DeepEqual(got, []Taint{cp}) {
		t.Errorf("added %v, want cp still owned", got)
	}
	if !reflect.DeepEqual(conns.kubeconfigs, []string{rotatedKubeconfig}) {
		t.Errorf("connected %d times, not once with the provider's kubeconfig", len(conns.kubeconfigs))
	}
	if got := taintsOf(t, c, "w"); !reflect.DeepEqual(got, []corev1.Taint{admin, kube(cp)}) {
		t.Errorf("taints %v", got)
	}

	again, err := s.Diff(ctx, &rpc.DiffRequest{Id: "w", Urn: string(urn), Olds: up.GetProperties(), OldInputs: chk.GetInputs(), News: chk.GetInputs()})
	if err != nil || again.GetChanges() != rpc.DiffResponse_DIFF_NONE {
		t.Errorf("diff after the update %v %v, want none", again, err)
	}
}

// TestLegacyStateReadAndDelete: the resource's earlier provider, which
// has no kubeconfig, still reads and deletes it, with the kubeconfig and
// context of its state (a destroy, or a placement dropped, before any
// update); a read through a provider with a kubeconfig connects with
// that one and drops them from the state.
func TestLegacyStateReadAndDelete(t *testing.T) {
	c := fakeNode("w", admin, kube(cp))
	old, conns := serveWith(t, c, config(""))
	read, err := old.Read(p.ReadRequest{ID: "w", Urn: urn, Properties: oldState(), Inputs: inputs("w", cp)})
	if err != nil {
		t.Fatal(err)
	}
	if kc := read.Properties.Get("kubeconfig"); !kc.Secret() || kc.AsString() != kubeconfig || read.Properties.Get("context").AsString() != "ctx" {
		t.Error("a read through the earlier provider lost the state's kubeconfig or context, or its secrecy")
	}
	if conns.last() != kubeconfig {
		t.Errorf("read through %q, want the state's kubeconfig", conns.last())
	}

	current, conns := serveWith(t, c, config(rotatedKubeconfig))
	read, err = current.Read(p.ReadRequest{ID: "w", Urn: urn, Properties: oldState(), Inputs: inputs("w", cp)})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"kubeconfig", "context"} {
		if _, ok := read.Properties.GetOk(k); ok {
			t.Errorf("a read through a provider with a kubeconfig kept %s", k)
		}
	}
	if conns.last() != rotatedKubeconfig {
		t.Errorf("read through %q, want the provider's kubeconfig", conns.last())
	}

	old, conns = serveWith(t, c, config(""))
	if err := old.Delete(p.DeleteRequest{ID: "w", Urn: urn, Properties: oldState(), OldInputs: oldInputs()}); err != nil {
		t.Fatal(err)
	}
	if conns.last() != kubeconfig {
		t.Errorf("deleted through %q, want the state's kubeconfig", conns.last())
	}
	if got := taintsOf(t, c, "w"); !reflect.DeepEqual(got, []corev1.Taint{admin}) {
		t.Errorf("taints after delete %v", got)
	}
}

func marshal(t *testing.T, m property.Map) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(presource.ToResourcePropertyValue(property.New(m)).ObjectValue(),
		plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func unmarshal(t *testing.T, s *structpb.Struct) property.Map {
	t.Helper()
	m, err := plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true})
	if err != nil {
		t.Fatal(err)
	}
	return presource.FromResourcePropertyValue(presource.NewProperty(m)).AsMap()
}
