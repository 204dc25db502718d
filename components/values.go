package components

import (
	"fmt"
	"slices"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Values is what a cloud component hands on, to the ClusterHandoff and to
// the stack outputs: the data of peer-pods-cm, peer-pods-secret and, for
// clouds that need it, ssh-key-secret.
type Values struct {
	// Cloud is the cloud the values are for.
	Cloud Cloud
	// ConfigMap is the peer-pods-cm data.
	ConfigMap pulumi.StringMap
	// Secret is the peer-pods-secret data. A key whose value the stack does
	// not have is left out.
	Secret pulumi.StringMap
	// SSHKey is the ssh-key-secret data (id_rsa, id_rsa.pub); nil when the
	// cloud needs none.
	SSHKey pulumi.StringMap
	// Ready are the resources that must exist before the values are of
	// use, such as the network rules: the handoff depends on each of them.
	// (DependsOn a component only covers the children it has registered
	// so far, so they are listed one by one.)
	Ready []pulumi.Resource
}

// SecretOutput returns the peer-pods-secret data as a secret output.
func (v Values) SecretOutput() pulumi.StringMapOutput {
	return pulumi.ToSecret(v.Secret.ToStringMapOutput()).(pulumi.StringMapOutput)
}

// SSHKeyOutput returns the ssh-key-secret data as a secret output.
func (v Values) SSHKeyOutput() pulumi.StringMapOutput {
	return pulumi.ToSecret(v.SSHKey.ToStringMapOutput()).(pulumi.StringMapOutput)
}

// Check compares the key names with the operator's contract for the cloud:
// no key the operator does not read, every required ConfigMap key present,
// and, when complete is true (the values are written to a cluster), every
// Secret key and the SSH key too.
func (v Values) Check(complete bool) error {
	keys, ok := Keys[v.Cloud]
	if !ok {
		return fmt.Errorf("values for unknown cloud %q", v.Cloud)
	}
	var p Problems
	allowedCM := append(slices.Clone(keys.ConfigMap), keys.OptionalConfigMap...)
	for _, k := range sortedKeys(v.ConfigMap) {
		if !slices.Contains(allowedCM, k) {
			p.Add(fmt.Errorf("%s: the operator does not read the key %s for %s", ConfigMapName, k, v.Cloud))
		}
	}
	for _, k := range keys.ConfigMap {
		if _, ok := v.ConfigMap[k]; !ok {
			p.Add(fmt.Errorf("%s: the key %s is missing for %s", ConfigMapName, k, v.Cloud))
		}
	}
	allowedSecret := append(slices.Clone(keys.Secret), keys.OptionalSecret...)
	for _, k := range sortedKeys(v.Secret) {
		if !slices.Contains(allowedSecret, k) {
			p.Add(fmt.Errorf("%s: the operator does not read the key %s for %s", SecretName, k, v.Cloud))
		}
	}
	if v.SSHKey != nil && !keys.SSHKey {
		p.Add(fmt.Errorf("%s: %s does not use it", SSHKeySecretName, v.Cloud))
	}
	if complete && keys.SSHKey && v.SSHKey == nil {
		p.Add(fmt.Errorf("%s: missing; %s needs an SSH key pair", SSHKeySecretName, v.Cloud))
	}
	for _, k := range sortedKeys(v.SSHKey) {
		if k != KeySSHPrivateKey && k != KeySSHPublicKey {
			p.Add(fmt.Errorf("%s: unknown key %s", SSHKeySecretName, k))
		}
	}
	return p.Err()
}

// CheckComplete checks that the values are all the operator needs: the key
// contract (Check) and every Secret key.
func (v Values) CheckComplete() error {
	if err := v.Check(true); err != nil {
		return err
	}
	if missing := v.MissingSecrets(); len(missing) > 0 {
		return fmt.Errorf("%s: missing %v; the operator needs them to create pod VMs", SecretName, missing)
	}
	return nil
}

// MissingSecrets returns the peer-pods-secret keys the cloud needs that v
// does not have, in the order of the key reference.
func (v Values) MissingSecrets() []string {
	var missing []string
	for _, k := range Keys[v.Cloud].Secret {
		if _, ok := v.Secret[k]; !ok {
			missing = append(missing, k)
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
	// CloudOutputs are cloud-specific stack outputs, such as the NAT
	// gateway's public IP or the KVM host's pinned key.
	CloudOutputs pulumi.Map
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
	Ports []Port
}

// Output renders the rule for the "rules" stack output.
func (r Rule) Output() pulumi.Map {
	ports := make(pulumi.StringArray, len(r.Ports))
	for i, p := range r.Ports {
		ports[i] = pulumi.String(p.String())
	}
	return pulumi.Map{
		"name":   pulumi.String(r.Name),
		"id":     r.ID,
		"target": pulumi.String(r.Target),
		"ports":  ports,
	}
}

// RulesOutput renders rules for the "rules" stack output.
func RulesOutput(rules []Rule) pulumi.Array {
	out := make(pulumi.Array, len(rules))
	for i, r := range rules {
		out[i] = r.Output()
	}
	return out
}
