package handoff

import (
	"fmt"
	"slices"
	"sort"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/problems"
)

// Node labels and taints of the placement.
const (
	// LabelInfra marks infra nodes.
	LabelInfra = "node-role.kubernetes.io/infra"
	// LabelControlPlane labels and taints the nodes of hosted control
	// planes.
	LabelControlPlane = "hypershift.openshift.io/control-plane"
	// LabelHCPCluster labels and taints the nodes of one hosted cluster.
	LabelHCPCluster = "hypershift.openshift.io/cluster"
	// LabelZone is a node's zone.
	LabelZone = "topology.kubernetes.io/zone"
	// TaintNoSchedule is the effect of the placement's taints.
	TaintNoSchedule = "NoSchedule"
)

// Placement is where peer pods and hosted control planes go (the
// peerpods:placement setting): the nodes that get the kata pool label, and
// the node groups of a hosted-control-plane management cluster.
type Placement struct {
	// KataNodes are node names that get the labels of
	// KataConfigOptions.PoolSelector (peerpods:kataConfig.poolSelector),
	// so that the KataConfig selects them; they require that pool
	// selector.
	KataNodes []string `json:"kataNodes,omitzero"`
	// HostedControlPlane are node groups of a hosted-control-plane
	// management cluster, each labelled (and tainted) for its role.
	HostedControlPlane []NodeGroup `json:"hostedControlPlane,omitzero"`
}

// NodeGroup is a group of management-cluster nodes with one role.
type NodeGroup struct {
	// Nodes are the node names, at least one.
	Nodes []string `json:"nodes"`
	// Infra labels them node-role.kubernetes.io/infra.
	Infra bool `json:"infra,omitzero"`
	// ControlPlane labels and taints (NoSchedule) them
	// hypershift.openshift.io/control-plane=true.
	ControlPlane bool `json:"controlPlane,omitzero"`
	// Cluster, a hosted cluster's namespace, labels and taints
	// (NoSchedule) them hypershift.openshift.io/cluster=<Cluster>.
	Cluster string `json:"cluster,omitzero"`
	// Zone labels them topology.kubernetes.io/zone=<Zone>.
	Zone string `json:"zone,omitzero"`
}

// Taint is a node taint.
type Taint struct {
	// Key is the taint's key, a label key.
	Key string `pulumi:"key"`
	// Value is the taint's value, a label value; may be empty.
	Value string `pulumi:"value,optional"`
	// Effect is NoSchedule, PreferNoSchedule or NoExecute.
	Effect string `pulumi:"effect"`
}

// NodePatch is what the placement sets on one node.
type NodePatch struct {
	// Name is the node's name.
	Name string `pulumi:"name"`
	// Labels are set on the node.
	Labels map[string]string `pulumi:"labels,optional"`
	// Taints are added to the node's taints, next to those others set, and
	// only they are removed (a NodeTaints, served by the plugin).
	Taints []Taint `pulumi:"taints,optional"`
}

// Validate checks what Kubernetes would refuse of a node patch given as
// an argument (Placement.Nodes checks what it returns already): the node
// name, the labels, the taints' keys, values and effects, and two taints
// of one key and effect. setting names
// the patch in errors, such as "nodes[0]".
func (n NodePatch) Validate(setting string) error {
	var p problems.List
	p.Add(check.DNSSubdomain(setting+".name", n.Name, "a node name", "use the names of oc get nodes"))
	p.Add(check.Labels(setting+".labels", n.Labels))
	p.Add(CheckTaints(setting+".taints", n.Taints))
	return p.Err()
}

// Nodes turns the placement into one patch per node, merging what several
// rules set on the same node, sorted by node name; kata are the labels of
// the KataConfig pool selector. A label that two rules set to different
// values is an error, as are names and labels Kubernetes would refuse.
// setting names the placement in errors (such as "placement"); problems of
// kata name the KataConfig's selector, kataConfig.poolSelector.
func (p Placement) Nodes(setting string, kata map[string]string) ([]NodePatch, error) {
	var probs problems.List
	byName := map[string]*NodePatch{}
	add := func(where, node string, labels map[string]string, taints []Taint) {
		if err := check.DNSSubdomain(where, node, "a node name", "use the names of oc get nodes"); err != nil {
			probs.Add(err)
			return
		}
		n := byName[node]
		if n == nil {
			n = &NodePatch{Name: node, Labels: map[string]string{}}
			byName[node] = n
		}
		for k, v := range labels {
			if old, ok := n.Labels[k]; ok && old != v {
				probs.Add(problems.Invalid(where, fmt.Sprintf("sets %s=%s on node %s, which another rule sets to %q", k, v, node, old), "give each node one value per label"))
				continue
			}
			n.Labels[k] = v
		}
		for _, t := range taints {
			if !slices.Contains(n.Taints, t) {
				n.Taints = append(n.Taints, t)
			}
		}
	}
	kataErr := check.Labels(KataPoolSelectorSetting, kata)
	probs.Add(kataErr)
	if kataErr != nil {
		kata = nil // reported once, not again for every node
	}
	if len(p.KataNodes) > 0 && len(kata) == 0 && kataErr == nil {
		probs.Add(problems.Invalid(setting+".kataNodes", "is set, but kataConfig.poolSelector is not", "set peerpods:kataConfig.poolSelector: the labels these nodes get"))
	}
	for i, node := range p.KataNodes {
		add(fmt.Sprintf("%s.kataNodes[%d]", setting, i), node, kata, nil)
	}
	for i, g := range p.HostedControlPlane {
		where := fmt.Sprintf("%s.hostedControlPlane[%d]", setting, i)
		labels := map[string]string{}
		var taints []Taint
		if g.Infra {
			labels[LabelInfra] = ""
		}
		if g.ControlPlane {
			labels[LabelControlPlane] = "true"
			taints = append(taints, Taint{Key: LabelControlPlane, Value: "true", Effect: TaintNoSchedule})
		}
		if g.Cluster != "" {
			probs.Add(check.DNSLabel(where+".cluster", g.Cluster, "a namespace name", "use the hosted cluster's namespace, such as clusters-mycluster"))
			labels[LabelHCPCluster] = g.Cluster
			taints = append(taints, Taint{Key: LabelHCPCluster, Value: g.Cluster, Effect: TaintNoSchedule})
		}
		if g.Zone != "" {
			probs.Add(check.LabelValue(where+".zone", g.Zone, "use the zone's name, such as us-east-1a"))
			labels[LabelZone] = g.Zone
		}
		if len(g.Nodes) == 0 {
			probs.Add(problems.Invalid(where+".nodes", "is empty", "list the group's node names"))
		}
		if len(labels) == 0 {
			probs.Add(problems.Invalid(where, "sets nothing", "set infra, controlPlane, cluster or zone"))
		}
		for j, node := range g.Nodes {
			add(fmt.Sprintf("%s.nodes[%d]", where, j), node, labels, taints)
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	out := make([]NodePatch, 0, len(byName))
	for _, n := range byName {
		sort.Slice(n.Taints, func(i, j int) bool { return n.Taints[i].Key < n.Taints[j].Key })
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
