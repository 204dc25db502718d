package handoff_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// lookup is a handoff.Lookup of a fixed set of objects.
type lookup struct {
	exists map[string]bool
	err    error
}

func (l lookup) Exists(_ context.Context, r handoff.Ref) (bool, error) {
	return l.exists[r.String()], l.err
}

var (
	nsRef  = "Namespace/" + contract.Namespace
	cmRef  = "ConfigMap/" + contract.Namespace + "/" + contract.ConfigMapName
	secRef = "Secret/" + contract.Namespace + "/" + contract.SecretName
	kcRef  = "KataConfig/" + handoff.DefaultKataConfigName
)

// TestClusterHandoffOwnershipGraph: the namespace and the adopted objects
// that exist are imported (by their pulumi-kubernetes IDs) and retained;
// every other object is created as usual. (The before-create hooks that
// guard them with a lookup cannot be registered on the SDK's mocks, whose
// monitor does not implement resource hooks: the engine tests
// TestEngineHandoffRefusesThenAdopts and TestEngineClusterHandoff prove
// them.)
func TestClusterHandoffOwnershipGraph(t *testing.T) {
	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, withProvider(func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		a := handoff.NewArgs(awsValues(), handoff.Options{
			KataConfig: &handoff.KataConfigOptions{}, Nodes: placementNodes(t),
			Adopt:    []string{cmRef, kcRef},
			Existing: []string{nsRef, cmRef, secRef}, // the KataConfig does not exist
		})
		pp, err := withPeerpods(ctx)
		if err != nil {
			return err
		}
		_, err = handoff.NewClusterHandoff(ctx, "handoff", a, k8s, pp)
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		importID string
		retain   bool
		hook     string
	}
	for _, c := range []struct {
		typ, name string
		want      want
	}{
		{"kubernetes:core/v1:Namespace", "handoff-" + contract.Namespace, want{importID: contract.Namespace, retain: true}},
		{"kubernetes:core/v1:ConfigMap", "handoff-" + contract.ConfigMapName, want{importID: contract.Namespace + "/" + contract.ConfigMapName, retain: true}},
		// Exists, not adopted: not imported (the guard refuses it unless
		// the stack created it: then the engine does not create it).
		{"kubernetes:core/v1:Secret", "handoff-" + contract.SecretName, want{}},
		// Adopted, absent: created.
		{"kubernetes:kataconfiguration.openshift.io/v1:KataConfig", "handoff-" + handoff.DefaultKataConfigName, want{}},
		{"kubernetes:core/v1:NodePatch", "handoff-worker-1", want{}},
	} {
		r := m.Get(t, c.typ, c.name)
		got := want{importID: r.ImportID, retain: r.Retain}
		if len(r.BeforeCreate) > 1 {
			t.Errorf("%s: hooks %v", c.name, r.BeforeCreate)
		} else if len(r.BeforeCreate) == 1 {
			got.hook = r.BeforeCreate[0]
		}
		if got != c.want {
			t.Errorf("%s: import %q retain %t hook %q, want %+v", c.name, got.importID, got.retain, got.hook, c.want)
		}
	}
}

// TestGuard: what the hook decides before a create.
func TestGuard(t *testing.T) {
	cm := handoff.Ref{APIVersion: "v1", Kind: "ConfigMap", Namespace: contract.Namespace, Name: contract.ConfigMapName}
	owned := []handoff.Ref{cm}
	none, _ := handoff.ParseAdopt("adopt", nil, owned)
	adopted, _ := handoff.ParseAdopt("adopt", []string{cm.String()}, owned)
	all, _ := handoff.ParseAdopt("adopt", []string{"all"}, owned)
	ctx := context.Background()
	if err := handoff.Guard(ctx, lookup{}, cm, none); err != nil {
		t.Errorf("absent: %v", err)
	}
	err := handoff.Guard(ctx, lookup{exists: map[string]bool{cmRef: true}}, cm, none)
	ies := problems.InputErrors(err)
	if len(ies) != 1 || ies[0].Setting != handoff.AdoptSetting || !strings.Contains(ies[0].Problem, cmRef) || !strings.Contains(ies[0].Fix, cmRef) {
		t.Errorf("existing, not adopted: %v", err)
	}
	for _, a := range []handoff.Adoption{adopted, all} {
		if err := handoff.Guard(ctx, lookup{exists: map[string]bool{cmRef: true}}, cm, a); err == nil || !strings.Contains(err.Error(), "run again") {
			t.Errorf("existing, adopted, yet created: %v", err)
		}
	}
	if err := handoff.Guard(ctx, lookup{err: errors.New("forbidden")}, cm, none); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("unreadable cluster: %v", err)
	}
}

// TestParseAdopt: all alone, or names of the objects the handoff creates.
func TestParseAdopt(t *testing.T) {
	objs := handoff.Objects(handoff.NewArgs(awsValues(), handoff.Options{KataConfig: &handoff.KataConfigOptions{}, Nodes: placementNodes(t)}))
	owned := handoff.Owned(objs)
	var names []string
	for _, r := range owned {
		names = append(names, r.String())
	}
	if want := cmRef + " " + secRef + " " + kcRef; strings.Join(names, " ") != want {
		t.Errorf("owned %v, want %s (no namespace, no node patches)", names, want)
	}
	for _, c := range []struct {
		adopt   []string
		setting string // "" when accepted
	}{
		{nil, ""},
		{[]string{"all"}, ""},
		{[]string{cmRef, kcRef}, ""},
		{[]string{"ConfigMap/peer-pods-cm"}, "adopt[0]"},
		{[]string{nsRef}, "adopt[0]"},
		{[]string{cmRef, "all"}, "adopt[1]"},
	} {
		_, err := handoff.ParseAdopt("adopt", c.adopt, owned)
		ies := problems.InputErrors(err)
		switch {
		case c.setting == "" && err != nil:
			t.Errorf("%v: %v", c.adopt, err)
		case c.setting != "" && (len(ies) != 1 || ies[0].Setting != c.setting):
			t.Errorf("%v: %v, want one error on %s", c.adopt, err, c.setting)
		}
	}
}
