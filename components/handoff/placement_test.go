package handoff

import (
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/problems"
)

func TestPlacementNodes(t *testing.T) {
	kata := map[string]string{"node-role.kubernetes.io/kata-oc": ""}
	p := Placement{
		KataNodes: []string{"worker-1", "worker-0"},
		HostedControlPlane: []NodeGroup{
			{Nodes: []string{"infra-0", "worker-0"}, Infra: true, ControlPlane: true, Zone: "us-east-1a"},
			{Nodes: []string{"infra-0"}, Cluster: "clusters-hcp1"},
		},
	}
	got, err := p.Nodes("placement", kata)
	if err != nil {
		t.Fatal(err)
	}
	cp := Taint{Key: LabelControlPlane, Value: "true", Effect: "NoSchedule"}
	want := []NodePatch{
		{Name: "infra-0", Labels: map[string]string{LabelInfra: "", LabelControlPlane: "true", LabelZone: "us-east-1a", LabelHCPCluster: "clusters-hcp1"},
			Taints: []Taint{{Key: LabelHCPCluster, Value: "clusters-hcp1", Effect: "NoSchedule"}, cp}},
		{Name: "worker-0", Labels: map[string]string{"node-role.kubernetes.io/kata-oc": "", LabelInfra: "", LabelControlPlane: "true", LabelZone: "us-east-1a"},
			Taints: []Taint{cp}},
		{Name: "worker-1", Labels: map[string]string{"node-role.kubernetes.io/kata-oc": ""}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("nodes %+v\nwant %+v", got, want)
	}
	if got, err := (Placement{}).Nodes("placement", nil); err != nil || len(got) != 0 {
		t.Errorf("empty placement: %v %v", got, err)
	}
}

func TestPlacementErrors(t *testing.T) {
	cases := []struct {
		name    string
		p       Placement
		kata    map[string]string
		setting string
	}{
		{"kata nodes without selector", Placement{KataNodes: []string{"w"}}, nil, "placement.kataNodes"},
		{"bad node name", Placement{KataNodes: []string{"Worker_0"}}, map[string]string{"k": ""}, "placement.kataNodes[0]"},
		{"two zones for one node", Placement{HostedControlPlane: []NodeGroup{{Nodes: []string{"n"}, Zone: "a"}, {Nodes: []string{"n"}, Zone: "b"}}}, nil, "placement.hostedControlPlane[1].nodes[0]"},
		{"bad cluster namespace", Placement{HostedControlPlane: []NodeGroup{{Nodes: []string{"n"}, Cluster: "Clusters/x"}}}, nil, "placement.hostedControlPlane[0].cluster"},
		{"bad zone", Placement{HostedControlPlane: []NodeGroup{{Nodes: []string{"n"}, Zone: "us east"}}}, nil, "placement.hostedControlPlane[0].zone"},
		{"no nodes", Placement{HostedControlPlane: []NodeGroup{{Infra: true}}}, nil, "placement.hostedControlPlane[0].nodes"},
		{"nothing set", Placement{HostedControlPlane: []NodeGroup{{Nodes: []string{"n"}}}}, nil, "placement.hostedControlPlane[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.p.Nodes("placement", c.kata)
			ies := problems.InputErrors(err)
			if len(ies) != 1 || ies[0].Setting != c.setting {
				t.Fatalf("want one error on %s, got %v", c.setting, err)
			}
		})
	}
}

// TestPlacementKubernetesNames checks node names, namespaces, zones and
// the pool selector against Kubernetes' own rules, boundaries included:
// each error names the full setting and carries the fix.
func TestPlacementKubernetesNames(t *testing.T) {
	rep := strings.Repeat
	node253 := rep(rep("a", 62)+".", 4) + "b" // 4*63+1 = 253
	okKata := map[string]string{"node-role.kubernetes.io/kata-oc": ""}
	group := func(g NodeGroup) Placement {
		if g.Nodes == nil {
			g.Nodes = []string{"n"}
		}
		return Placement{HostedControlPlane: []NodeGroup{g}}
	}
	cases := []struct {
		name    string
		p       Placement
		kata    map[string]string
		setting string // "" when accepted
		fix     string
	}{
		{"253-character node name", Placement{KataNodes: []string{node253}}, okKata, "", ""},
		{"254-character node name", Placement{KataNodes: []string{node253 + "c"}}, okKata, "placement.kataNodes[0]", "oc get nodes"},
		{"dotted node name", Placement{KataNodes: []string{"ip-10-0-1-2.ec2.internal"}}, okKata, "", ""},
		{"upper-case node name", Placement{KataNodes: []string{"w", "Worker-0"}}, okKata, "placement.kataNodes[1]", "oc get nodes"},
		{"node name ending in a dot", group(NodeGroup{Nodes: []string{"w."}, Infra: true}), nil, "placement.hostedControlPlane[0].nodes[0]", "oc get nodes"},
		{"63-character namespace", group(NodeGroup{Cluster: "c" + rep("x", 62)}), nil, "", ""},
		{"64-character namespace", group(NodeGroup{Cluster: "c" + rep("x", 63)}), nil, "placement.hostedControlPlane[0].cluster", "clusters-mycluster"},
		{"dotted namespace", group(NodeGroup{Cluster: "clusters.hcp"}), nil, "placement.hostedControlPlane[0].cluster", "clusters-mycluster"},
		{"63-character zone", group(NodeGroup{Zone: "z" + rep("Z_.-", 15) + "z1"}), nil, "", ""},
		{"64-character zone", group(NodeGroup{Zone: "z" + rep("z", 63)}), nil, "placement.hostedControlPlane[0].zone", "us-east-1a"},
		{"zone ending in -", group(NodeGroup{Zone: "us-east-1-"}), nil, "placement.hostedControlPlane[0].zone", "us-east-1a"},
		{"selector: prefixed key, empty value", Placement{KataNodes: []string{"w"}}, map[string]string{"example.com/kata": ""}, "", ""},
		{"selector: 63-character name, 63-character value", Placement{}, map[string]string{"k" + rep("x", 62): "v" + rep("x", 62)}, "", ""},
		{"selector: 64-character key name", Placement{KataNodes: []string{"w"}}, map[string]string{"k" + rep("x", 63): ""}, KataPoolSelectorSetting, "label key such as"},
		{"selector: bad key prefix", Placement{}, map[string]string{"Example_com/kata": ""}, KataPoolSelectorSetting, "label key such as"},
		{"selector: key with a space", Placement{}, map[string]string{"kata oc": ""}, KataPoolSelectorSetting, "label key such as"},
		{"selector: 64-character value", Placement{KataNodes: []string{"w"}}, map[string]string{"kata": rep("v", 64)}, KataPoolSelectorSetting + ".kata", "label value such as"},
		{"selector: value with a slash", Placement{}, map[string]string{"kata": "a/b"}, KataPoolSelectorSetting + ".kata", "label value such as"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.p.Nodes("placement", c.kata)
			wantOneError(t, err, c.setting, c.fix)
		})
	}
}

// TestKataConfigOptionsValidate checks the KataConfig's name and pool
// selector; a selector problem found by Placement.Nodes and by Validate is
// reported once.
func TestKataConfigOptionsValidate(t *testing.T) {
	name253 := strings.Repeat(strings.Repeat("k", 62)+".", 4) + "c"
	cases := []struct {
		name    string
		k       *KataConfigOptions
		setting string // "" when accepted
		fix     string
	}{
		{"nil", nil, "", ""},
		{"defaults", &KataConfigOptions{}, "", ""},
		{"253-character name", &KataConfigOptions{Name: name253}, "", ""},
		{"254-character name", &KataConfigOptions{Name: name253 + "x"}, "kataConfig.name", DefaultKataConfigName},
		{"upper-case name", &KataConfigOptions{Name: "Cluster-KataConfig"}, "kataConfig.name", DefaultKataConfigName},
		{"name with underscore", &KataConfigOptions{Name: "cluster_kataconfig"}, "kataConfig.name", DefaultKataConfigName},
		{"selector", &KataConfigOptions{PoolSelector: map[string]string{"node-role.kubernetes.io/kata-oc": ""}}, "", ""},
		{"bad selector key", &KataConfigOptions{PoolSelector: map[string]string{"/kata": ""}}, "kataConfig.poolSelector", "label key such as"},
		{"bad selector value", &KataConfigOptions{PoolSelector: map[string]string{"kata": "yes please"}}, "kataConfig.poolSelector.kata", "label value such as"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantOneError(t, c.k.Validate("kataConfig"), c.setting, c.fix)
		})
	}
	// The stack checks the selector through both: one error.
	k := &KataConfigOptions{PoolSelector: map[string]string{"kata": "a b"}}
	var p problems.List
	p.Add(k.Validate("kataConfig"))
	_, err := Placement{KataNodes: []string{"w"}}.Nodes("placement", k.PoolSelector)
	p.Add(err)
	if ies := problems.InputErrors(p.Err()); len(ies) != 1 || ies[0].Setting != "kataConfig.poolSelector.kata" {
		t.Errorf("got %v", p.Err())
	}
}

// wantOneError fails unless err is exactly one input error on setting
// whose fix contains fix; an empty setting wants no error.
func wantOneError(t *testing.T, err error, setting, fix string) {
	t.Helper()
	if setting == "" {
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	ies := problems.InputErrors(err)
	if len(ies) != 1 || ies[0].Setting != setting || !strings.Contains(ies[0].Fix, fix) {
		t.Fatalf("want one error on %s with fix %q, got %v", setting, fix, err)
	}
}

// TestNodePatchValidate checks node patches given as arguments (from
// another language, not through Placement.Nodes): each error names the
// patch's field and carries the fix.
func TestNodePatchValidate(t *testing.T) {
	cp := Taint{Key: LabelControlPlane, Value: "true", Effect: TaintNoSchedule}
	cases := []struct {
		name    string
		n       NodePatch
		setting string // "" when accepted
		fix     string
	}{
		{"labels and taints", NodePatch{Name: "worker-0", Labels: map[string]string{"kata": ""}, Taints: []Taint{cp, {Key: "k", Effect: "NoExecute"}}}, "", ""},
		{"bad name", NodePatch{Name: "Worker_0"}, "nodes[0].name", "oc get nodes"},
		{"bad label key", NodePatch{Name: "w", Labels: map[string]string{"/kata": ""}}, "nodes[0].labels", "label key such as"},
		{"bad label value", NodePatch{Name: "w", Labels: map[string]string{"kata": "a b"}}, "nodes[0].labels.kata", "label value such as"},
		{"bad taint key", NodePatch{Name: "w", Taints: []Taint{{Key: "a b", Effect: TaintNoSchedule}}}, "nodes[0].taints[0]", "label key such as"},
		{"bad taint effect", NodePatch{Name: "w", Taints: []Taint{{Key: "k", Effect: "NoRun"}}}, "nodes[0].taints[0].effect", "PreferNoSchedule"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantOneError(t, c.n.Validate("nodes[0]"), c.setting, c.fix)
		})
	}
}
