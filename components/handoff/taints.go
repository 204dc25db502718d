package handoff

import (
	"fmt"
	"slices"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/problems"
)

// The type token of the NodeTaints resource the plugin serves, with
// which the handoff adds the nodes' taints, and its parts.
const (
	NodeTaintsModule = "kubernetes"
	NodeTaintsName   = "NodeTaints"
	TypeNodeTaints   = "peerpods:" + NodeTaintsModule + ":" + NodeTaintsName
)

// Effects are the taint effects Kubernetes knows.
var Effects = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}

// String is the taint as oc adm taint writes it: key=value:effect, or
// key:effect without a value.
func (t Taint) String() string {
	if t.Value == "" {
		return t.Key + ":" + t.Effect
	}
	return t.Key + "=" + t.Value + ":" + t.Effect
}

// Check checks what Kubernetes would refuse of a taint: its key and
// value (those of a label) and its effect. setting names the taint in
// errors, such as "taints[0]".
func (t Taint) Check(setting string) error {
	var p problems.List
	p.Add(check.Labels(setting, map[string]string{t.Key: t.Value}))
	if !slices.Contains(Effects, t.Effect) {
		p.Add(problems.Invalid(setting+".effect", fmt.Sprintf("is %q, which is not a taint effect", t.Effect), "use NoSchedule, PreferNoSchedule or NoExecute"))
	}
	return p.Err()
}

// CheckTaints checks each taint (CheckTaint) and that no two have the
// same key and effect, which a node cannot hold. setting names the list.
func CheckTaints(setting string, taints []Taint) error {
	var p problems.List
	for i, t := range taints {
		where := fmt.Sprintf("%s[%d]", setting, i)
		p.Add(t.Check(where))
		for j, o := range taints[:i] {
			if o.Key == t.Key && o.Effect == t.Effect {
				p.Add(problems.Invalid(where, fmt.Sprintf("has the key and effect of %s[%d] (%s:%s); a node has one taint of each key and effect", setting, j, t.Key, t.Effect),
					"give each key and effect one value"))
			}
		}
	}
	return p.Err()
}
