package components

import (
	"reflect"
	"testing"
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
			ies := InputErrors(err)
			if len(ies) != 1 || ies[0].Setting != c.setting {
				t.Fatalf("want one error on %s, got %v", c.setting, err)
			}
		})
	}
}
