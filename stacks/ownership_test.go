package stacks_test

import (
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestProgramLooksUpTheHandoff: in cluster mode the program reads which
// of the handoff's objects exist (here the operator's namespace and a
// hand-made peer-pods-cm): the namespace is imported; peer-pods-cm is
// imported and retained when peerpods:adopt lists it, else created as
// usual (guarded by the before-create hook on the engine, which the SDK's
// mocks cannot register: TestEngineHandoffRefusesThenAdopts).
func TestProgramLooksUpTheHandoff(t *testing.T) {
	c := clustertest.For(contract.AWS)
	c.Core = append(c.Core,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: contract.Namespace}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.ConfigMapName}, Data: map[string]string{"ADMIN": "keep-me"}})
	cm := "ConfigMap/" + contract.Namespace + "/" + contract.ConfigMapName
	for _, adopt := range []string{"", `["` + cm + `"]`, "all"} {
		t.Run("adopt="+adopt, func(t *testing.T) {
			cfg := stacktest.WithSecrets(stacktest.StackConfig(t, "aws-example"))
			if adopt != "" {
				cfg.Values["peerpods:adopt"] = adopt
			}
			m, d, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), cfg, c)
			if err != nil {
				t.Fatal(err)
			}
			if d.Handoff == nil {
				t.Fatal("no cluster handoff")
			}
			ns := m.Get(t, "kubernetes:core/v1:Namespace", "handoff-"+contract.Namespace)
			if ns.ImportID != contract.Namespace || !ns.Retain {
				t.Errorf("namespace: import %q retain %t", ns.ImportID, ns.Retain)
			}
			r := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-"+contract.ConfigMapName)
			if adopt == "" {
				if r.ImportID != "" || r.Retain {
					t.Errorf("peer-pods-cm not adopted: import %q retain %t hooks %v", r.ImportID, r.Retain, r.BeforeCreate)
				}
				return
			}
			if r.ImportID != contract.Namespace+"/"+contract.ConfigMapName || !r.Retain || len(r.BeforeCreate) != 0 {
				t.Errorf("peer-pods-cm adopted: import %q retain %t hooks %v", r.ImportID, r.Retain, r.BeforeCreate)
			}
		})
	}
}

// TestAdoptSetting: peerpods:adopt names objects the handoff writes.
func TestAdoptSetting(t *testing.T) {
	cfg := stacktest.WithSecrets(stacktest.StackConfig(t, "aws-example"))
	cfg.Values["peerpods:adopt"] = `["ConfigMap/default/peer-pods-cm"]`
	_, _, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), cfg, clustertest.For(contract.AWS))
	ies := problems.InputErrors(err)
	if len(ies) != 1 || ies[0].Setting != "peerpods:adopt[0]" || !strings.Contains(ies[0].Fix, "ConfigMap/"+contract.Namespace+"/"+contract.ConfigMapName) {
		t.Errorf("a wrong adopt entry: %v", err)
	}
	cfg.Values["peerpods:adopt"] = `"everything"`
	_, _, err = stacktest.DeployOnCluster(t, stacktest.CloudMocks(), cfg, clustertest.For(contract.AWS))
	if ies := problems.InputErrors(err); len(ies) != 1 || ies[0].Setting != "peerpods:adopt" {
		t.Errorf("adopt neither all nor a list: %v", err)
	}
	_ = handoff.AdoptAll
}
