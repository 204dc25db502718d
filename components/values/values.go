package values

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Values is what a cloud component hands on, to the ClusterHandoff and to
// the stack outputs: the data of peer-pods-cm, peer-pods-secret and, for
// clouds that need it, ssh-key-secret.
type Values struct {
	// Cloud is the cloud the values are for.
	Cloud contract.Cloud
	// Line is the operator line the values are checked for (Check); zero
	// checks them against the keys of every line, as a cloud component,
	// which knows no line, makes them.
	Line contract.Line
	// ConfigMap is the peer-pods-cm data.
	ConfigMap pulumi.StringMap
	// Secret is the peer-pods-secret data. A key whose value the stack does
	// not have is left out.
	Secret pulumi.StringMap
	// SSHKey is the ssh-key-secret data (id_rsa, id_rsa.pub); nil when the
	// cloud needs none.
	SSHKey pulumi.StringMap
	// Identity is how CAA gets its cloud credentials; empty is the
	// cloud's default (contract.DefaultIdentity). Only in static mode does
	// the stack write peer-pods-secret (contract.WritesSecret): then Secret
	// is nil.
	Identity contract.Identity
	// OperatorEnv are the operator's environment variables that start its
	// workload-identity flow (contract.OperatorEnv: ROLEARN; CLIENTID,
	// TENANTID, SUBSCRIPTIONID), set in workload mode only.
	OperatorEnv pulumi.StringMap
	// Ready are the resources that must exist before the values are of
	// use, such as the network rules: handoff.NewArgs carries them, and
	// every object of the ClusterHandoff depends on each of them.
	// (DependsOn a component only covers the children it has registered
	// so far, so they are listed one by one.)
	Ready []pulumi.Resource
}

// IdentityMode is v.Identity, or the cloud's default when empty.
func (v Values) IdentityMode() contract.Identity { return contract.IdentityOr(v.Cloud, v.Identity) }

// SecretOutput returns the peer-pods-secret data as a secret output.
func (v Values) SecretOutput() pulumi.StringMapOutput {
	return pulumi.ToSecret(v.Secret.ToStringMapOutput()).(pulumi.StringMapOutput)
}

// SSHKeyOutput returns the ssh-key-secret data as a secret output.
func (v Values) SSHKeyOutput() pulumi.StringMapOutput {
	return pulumi.ToSecret(v.SSHKey.ToStringMapOutput()).(pulumi.StringMapOutput)
}

// Check compares the values with the operator's contract for the cloud
// (package contract): no key the operator and CAA do not read, or in the
// wrong object; every key the stack always writes and that the operator or
// CAA requires present; and, when complete is true (the values are written
// to a cluster), the user's required keys (credentials) and ssh-key-secret
// too. Keys the operator owns are never required: the operator fills them.
func (v Values) Check(complete bool) error {
	set, ok := v.contract()
	if !ok {
		return fmt.Errorf("values for unknown cloud %q", v.Cloud)
	}
	all, _ := contract.For(v.Cloud)
	var p problems.List
	id := v.IdentityMode()
	if err := contract.CheckIdentity("identity", v.Cloud, id); err != nil {
		p.Add(err)
	} else if err := contract.CheckIdentityOnLine("identity", v.Cloud, id, v.Line); err != nil {
		p.Add(err)
	}
	writesSecret := contract.WritesSecret(id)
	if !writesSecret && len(v.Secret) > 0 {
		p.Add(fmt.Errorf("%s: the %s flow fills it (the operator skips that flow when the Secret exists), so the stack must write none, but it has %v", contract.SecretName, id, sortedKeys(v.Secret)))
	}
	wantEnv := contract.OperatorEnv(v.Cloud)
	if id != contract.IdentityWorkload {
		wantEnv = nil
	}
	if !slices.Equal(sortedKeys(v.OperatorEnv), slices.Sorted(slices.Values(wantEnv))) {
		p.Add(fmt.Errorf("operator environment: has %v, and the %s flow of %s needs %v", sortedKeys(v.OperatorEnv), id, v.Cloud, wantEnv))
	}
	for _, obj := range []struct {
		o    contract.Object
		name string
		data pulumi.StringMap
	}{{contract.ConfigMap, contract.ConfigMapName, v.ConfigMap}, {contract.Secret, contract.SecretName, v.Secret}} {
		for _, k := range sortedKeys(obj.data) {
			key, known := set.Key(k)
			other, elsewhere := all.Key(k)
			switch {
			case !known && elsewhere && !v.Line.IsZero():
				p.Add(fmt.Errorf("%s: operator line %s does not read the key %s for %s (lines %s read it; set by %s): remove it, or run the operator line that reads it", obj.name, v.Line, k, v.Cloud, other.Lines(), other.Setting))
			case !known:
				p.Add(fmt.Errorf("%s: the operator and cloud-api-adaptor do not read the key %s for %s", obj.name, k, v.Cloud))
			case !key.In.Has(obj.o):
				p.Add(fmt.Errorf("%s: the key %s belongs in %s for %s", obj.name, k, key.In, v.Cloud))
			}
		}
		for _, key := range set.In(obj.o) {
			if obj.o == contract.Secret && !writesSecret {
				break // the operator writes it
			}
			if _, ok := obj.data[key.Name]; ok || key.Need == contract.Optional || key.Owner == contract.OperatorOwned {
				continue
			}
			if key.Owner == contract.Stack || complete {
				p.Add(fmt.Errorf("%s: the key %s is missing for %s, and it is %s", obj.name, key.Name, v.Cloud, key.Need))
			}
		}
	}
	switch {
	case v.SSHKey != nil && set.SSHKeys == nil:
		p.Add(fmt.Errorf("%s: %s does not use it", contract.SSHKeySecretName, v.Cloud))
	case complete && set.SSHKeys != nil && v.SSHKey == nil:
		p.Add(fmt.Errorf("%s: missing; %s needs an SSH key pair", contract.SSHKeySecretName, v.Cloud))
	}
	for _, k := range sortedKeys(v.SSHKey) {
		if _, ok := set.SSHKey(k); !ok {
			p.Add(fmt.Errorf("%s: unknown key %s", contract.SSHKeySecretName, k))
		}
	}
	if v.SSHKey != nil {
		for _, key := range set.SSHKeys {
			if _, ok := v.SSHKey[key.Name]; !ok && key.Need != contract.Optional {
				p.Add(fmt.Errorf("%s: the key %s is missing for %s, and it is %s", contract.SSHKeySecretName, key.Name, v.Cloud, key.Need))
			}
		}
	}
	return p.Err()
}

// CheckComplete checks that the values are all the operator needs: the key
// contract (Check) and every required Secret key.
func (v Values) CheckComplete() error {
	if err := v.Check(true); err != nil {
		return err
	}
	if missing := v.MissingSecrets(); len(missing) > 0 {
		return fmt.Errorf("%s: missing %v; the operator needs them to create pod VMs", contract.SecretName, missing)
	}
	return nil
}

// MissingSecrets returns the required peer-pods-secret keys the user
// provides that v does not have, in the contract's order.
func (v Values) MissingSecrets() []string {
	var missing []string
	if !contract.WritesSecret(v.IdentityMode()) {
		return nil
	}
	set, _ := v.contract()
	for _, k := range set.In(contract.Secret) {
		if _, ok := v.Secret[k.Name]; !ok && k.Need != contract.Optional && k.Owner == contract.User {
			missing = append(missing, k.Name)
		}
	}
	return missing
}

func sortedKeys(m pulumi.StringMap) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// PlainMap turns a map of plain strings into a pulumi.StringMap.
func PlainMap(m map[string]string) pulumi.StringMap {
	out := make(pulumi.StringMap, len(m))
	for k, v := range m {
		out[k] = pulumi.String(v)
	}
	return out
}

// Result is what every cloud component hands on: the values and the
// network rules it created.
type Result struct {
	// Values are the peer-pods values for the ClusterHandoff.
	Values Values
	// Rules are the network rules created.
	Rules []Rule
	// Attachments are the links the pod VMs need that the component made
	// or adopted besides its rules, such as Azure's NAT gateway on the pod
	// VMs' subnet (Rule.AttachedTo set). The "rules" stack output lists
	// them after the rules, for peerpods check.
	Attachments []Rule
	// CloudOutputs are cloud-specific stack outputs, such as the NAT
	// gateway's public IP or the KVM host's pinned key.
	CloudOutputs pulumi.Map
	// Discovered are the values the cloud lookups decided (setting ->
	// value), for the informational "discovered" stack output.
	Discovered map[string]string
}

// HandedOn returns r, the Result a component embeds (see ResultOf).
func (r Result) HandedOn() Result { return r }

// ResultOf returns the Result component c hands on, or err: a cloud's
// Stack.Deploy returns ResultOf(NewPeerPods(...)).
func ResultOf(c interface{ HandedOn() Result }, err error) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	return c.HandedOn(), nil
}

// Rule describes one network rule a cloud component created, as the
// "rules" stack output lists it.
type Rule struct {
	// Name is the rule's Pulumi resource name.
	Name string
	// ID is the rule's cloud ID.
	ID pulumi.IDOutput
	// Target is what the rule is attached to: a security group, an NSG, a
	// network.
	Target string
	// Ports are the ports and protocols the rule opens.
	Ports []netrules.Port
	// Adopted is true for a rule that already existed (made by the
	// installer, an admin or the docs' commands) and that the stack uses
	// as it is: ID is then the existing rule's, and nothing is created or
	// deleted for it.
	Adopted bool
	// Sources and Destinations are the address ranges the rule must let
	// the ports in from and to (empty: the cloud's check knows them, as
	// AWS's group-to-itself rules).
	Sources, Destinations []string
	// AttachedTo, when set, makes this an attachment, not a rule: the
	// object of ID (a NAT gateway) must stay attached to the object of
	// this ID (the pod VMs' subnet); Target names that object for reports.
	AttachedTo pulumi.StringInput
}

// Output renders the rule for the "rules" stack output.
func (r Rule) Output() pulumi.Map {
	ports := make(pulumi.StringArray, len(r.Ports))
	for i, p := range r.Ports {
		ports[i] = pulumi.String(p.String())
	}
	out := pulumi.Map{
		"name":    pulumi.String(r.Name),
		"id":      r.ID,
		"target":  pulumi.String(r.Target),
		"ports":   ports,
		"adopted": pulumi.Bool(r.Adopted),
	}
	if len(r.Sources) > 0 {
		out["sources"] = pulumi.ToStringArray(r.Sources)
	}
	if len(r.Destinations) > 0 {
		out["destinations"] = pulumi.ToStringArray(r.Destinations)
	}
	if r.AttachedTo != nil {
		out["attachedTo"] = r.AttachedTo
	}
	return out
}

// RulesOutput renders rules for the "rules" stack output.
func RulesOutput(rules []Rule) pulumi.Array {
	out := make(pulumi.Array, len(rules))
	for i, r := range rules {
		out[i] = r.Output()
	}
	return out
}

// Outputs are the outputs every cloud component registers, for the stack
// and for a ClusterHandoff in any language: the values, each resolved only
// once the resources of Values.Ready exist (an output carries its
// dependencies to whatever reads it). Each component declares the four
// fields itself, with these tags: the Go SDK's construct result (sdk
// v3.250.0 go/pulumi/provider.go, newConstructResult) reads only a
// component's own fields, not those of an embedded struct.
type Outputs struct {
	// Cloud is CLOUD_PROVIDER.
	Cloud pulumi.StringOutput `pulumi:"cloud"`
	// ConfigMap is the peer-pods-cm data.
	ConfigMap pulumi.StringMapOutput `pulumi:"configMap"`
	// Secret is the peer-pods-secret data, a secret.
	Secret pulumi.StringMapOutput `pulumi:"secret" provider:"secret"`
	// SSHKeySecret is the ssh-key-secret data, a secret; empty for a
	// cloud that uses none.
	SSHKeySecret pulumi.StringMapOutput `pulumi:"sshKeySecret" provider:"secret"`
}

// Outputs returns the values as component outputs that resolve once the
// resources of Ready exist.
func (v Values) Outputs() Outputs {
	deps := make([]any, len(v.Ready))
	for i, r := range v.Ready {
		deps[i] = r.URN()
	}
	after := func(m pulumi.StringMapOutput) pulumi.StringMapOutput {
		return pulumi.All(append([]any{m}, deps...)...).ApplyT(func(all []any) map[string]string {
			return all[0].(map[string]string)
		}).(pulumi.StringMapOutput)
	}
	ssh := pulumi.ToSecret(pulumi.StringMap{}).(pulumi.StringMapOutput)
	if v.SSHKey != nil {
		ssh = v.SSHKeyOutput()
	}
	return Outputs{
		Cloud:        pulumi.String(string(v.Cloud)).ToStringOutput(),
		ConfigMap:    after(v.ConfigMap.ToStringMapOutput()),
		Secret:       after(v.SecretOutput()),
		SSHKeySecret: after(ssh),
	}
}

// With is o and a component's own outputs, as it registers them.
func (o Outputs) With(own pulumi.Map) pulumi.Map {
	out := pulumi.Map{"cloud": o.Cloud, "configMap": o.ConfigMap, "secret": o.Secret, "sshKeySecret": o.SSHKeySecret}
	for k, v := range own {
		out[k] = v
	}
	return out
}

// contract is the contract the values are checked against: of their
// line, or of every line.
func (v Values) contract() (contract.Set, bool) {
	if v.Line.IsZero() {
		return contract.For(v.Cloud)
	}
	return contract.ForLine(v.Line, v.Cloud)
}

// OnLine returns v as operator line l reads it: checked for that line, and
// without ssh-key-secret where the line's cloud-api-adaptor reads none
// (Azure's makes its key in memory from 1.11).
func (v Values) OnLine(l contract.Line) Values {
	v.Line = l
	all, _ := contract.For(v.Cloud)
	if set, ok := contract.ForLine(l, v.Cloud); ok && set.SSHKeys == nil && all.SSHKeys != nil {
		v.SSHKey = nil // a key of the cloud's older lines; else refused
	}
	return v
}

// DeclaredRule is a rule of the "rules" stack output (Rule.Output), read
// back: what the stack declared.
type DeclaredRule struct {
	Name, ID, Target string
	Ports            []netrules.Port
	Adopted          bool
	// Sources, Destinations and AttachedTo are Rule's.
	Sources, Destinations []string
	AttachedTo            string
}

// String names the rule (or the attachment) for reports.
func (r DeclaredRule) String() string {
	if r.AttachedTo != "" {
		return fmt.Sprintf("%s (%s) on %s", r.Name, r.ID, r.Target)
	}
	return fmt.Sprintf("rule %s (%s) of %s", r.Name, r.ID, r.Target)
}

// Prefixes parses ranges (a DeclaredRule's Sources or Destinations, which
// the stack validated); an entry that does not parse is an error naming
// the rule.
func (r DeclaredRule) Prefixes(ranges []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ranges))
	for _, s := range ranges {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("the rules output: %s has the range %q, not a CIDR prefix", r.Name, s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// GoneRule returns the index in rules of the rule whose ID the engine's
// error says does not exist, or -1. A cloud whose provider has no invoke
// reading a rule reads it as a resource (a resource Get); the engine then
// fails the whole program when the rule is gone, with
// "resource '<id>' does not exist" (pulumi/pulumi pkg/v3 v3.250.0
// resource/deploy/step.go, ReadStep.Apply).
//
// An error with a Detail method (the engine's whole output, which an
// error message may leave out) is searched there too.
func GoneRule(err error, rules []DeclaredRule) int {
	if err == nil {
		return -1
	}
	text := err.Error()
	var d interface{ Detail() string }
	if errors.As(err, &d) {
		text += "\n" + d.Detail()
	}
	return slices.IndexFunc(rules, func(r DeclaredRule) bool {
		return r.ID != "" && strings.Contains(text, "resource '"+r.ID+"' does not exist")
	})
}

// ParseRules reads the "rules" stack output as the Automation API gives it
// (a list of maps); a port that does not parse is an error.
func ParseRules(out any) ([]DeclaredRule, error) {
	list, _ := out.([]any)
	rules := make([]DeclaredRule, 0, len(list))
	for _, item := range list {
		m, _ := item.(map[string]any)
		str := func(k string) string { s, _ := m[k].(string); return s }
		strs := func(k string) []string {
			list, _ := m[k].([]any)
			var out []string
			for _, v := range list {
				if s, ok := v.(string); ok {
					out = append(out, s)
				}
			}
			return out
		}
		r := DeclaredRule{Name: str("name"), ID: str("id"), Target: str("target"), AttachedTo: str("attachedTo"),
			Sources: strs("sources"), Destinations: strs("destinations")}
		r.Adopted, _ = m["adopted"].(bool)
		ports, _ := m["ports"].([]any)
		for _, p := range ports {
			text, _ := p.(string)
			num, proto, ok := strings.Cut(text, "/")
			n, err := strconv.Atoi(num)
			if !ok || err != nil {
				return nil, fmt.Errorf("the rules output: %s has the port %q, not number/protocol", r.Name, text)
			}
			r.Ports = append(r.Ports, netrules.Port{Number: n, Protocol: netrules.Protocol(proto)})
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// The fixes of a finding of the stack's own rule (not an adopted one):
// peerpods up alone does not see the cloud's drift, a refresh first
// records it.
const (
	// FixGone is the fix of a rule the cloud no longer has.
	FixGone = "peerpods refresh --stack S (the rule leaves the state), then peerpods up --stack S creates it again"
	// FixChanged is the fix of a rule (or attachment) changed in the
	// cloud.
	FixChanged = "peerpods refresh --stack S (it shows the drift), then peerpods up --stack S puts it back as the stack declared it"
)

// RuleFinding is what the cloud shows of a declared rule: Problem is
// empty when the rule exists and still allows its ports from the right
// source; Fix says what to do otherwise.
type RuleFinding struct {
	Rule         DeclaredRule
	Problem, Fix string
}
