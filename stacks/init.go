package stacks

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"gopkg.in/yaml.v3"
)

// NewStack is what peerpods init writes a stack file from.
type NewStack struct {
	// Facts are the cluster's, read through the kubeconfig.
	Facts cluster.Facts
	// Identity is peerpods:identity; empty is the cloud's default.
	Identity contract.Identity
	// KubeContext is peerpods:kubeContext; empty is the current one.
	KubeContext string
	// Secure are the stack file's top-level keys of its secrets provider
	// (encryptionsalt, secretsprovider, encryptedkey) and Secrets the
	// config keys already encrypted (peerpods:kubeconfig -> ciphertext),
	// as Pulumi wrote them.
	Secure  map[string]string
	Secrets map[string]string
}

// Mode is the cloud of the stack file (libvirt on platform None: pod VMs
// on a KVM host) and its identity mode (the cloud's default when unset).
func (n NewStack) Mode() (contract.Cloud, contract.Identity) {
	c := n.Facts.Cloud
	if c == "" {
		c = contract.Libvirt
	}
	return c, contract.IdentityOr(c, n.Identity)
}

// StackFile renders a commented stack file for the cluster: the cloud,
// the identity mode, the handoff, and every setting the cloud takes from
// the cluster with where it was read, plus the encrypted secrets. The
// program reads the same values from the cluster on every run; written
// down, they are what a review of the stack file sees.
func StackFile(n NewStack) ([]byte, error) {
	c, id := n.Mode()
	if _, ok := CloudNamed(c); !ok {
		return nil, fmt.Errorf("peerpods:cloud %s: %s", c, notBuilt(string(c)))
	}
	if err := contract.CheckIdentity("--identity", c, id); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	// Editors with the YAML language server check the file against the
	// schema next to it (stacks/).
	line("# yaml-language-server: $schema=%s", SchemaFile)
	for _, k := range slices.Sorted(mapsKeys(n.Secure)) {
		line("%s: %s", k, scalar(n.Secure[k]))
	}
	line("# Written by peerpods init from the cluster %s (platform %s).", n.Facts.InfraName, n.Facts.PlatformType)
	line("# Each value below was read from the cluster: this file is the record.")
	line("# Every run compares the cluster with it and warns when they differ (the")
	line("# run plans with this file); peerpods discover --stack <stack> --write")
	line("# updates it.")
	line("config:")
	line("  # From Infrastructure cluster status.platformStatus.type (%s).", n.Facts.PlatformType)
	line("  peerpods:cloud: %s", c)
	line("  # How cloud-api-adaptor gets its cloud credentials: %s.", identityDoc(c))
	line("  peerpods:identity: %s", id)
	line("  # cluster: write peer-pods-cm (and the credentials in static mode) into")
	line("  # the cluster of peerpods:kubeconfig; manifests or off: outputs only.")
	line("  peerpods:handoff: cluster")
	if n.KubeContext != "" {
		line("  peerpods:kubeContext: %s", scalar(n.KubeContext))
	}
	var found []cluster.Found
	for _, f := range ClusterSettings(n.Facts, c, id) {
		switch {
		case f.Setting == "operatorSubscription":
			line("  # From %s.", f.From)
			line("  peerpods:%s: %s", f.Setting, scalar(f.Text()))
		case strings.HasPrefix(f.Setting, string(c)+"."):
			found = append(found, f)
		}
	}
	if len(found) > 0 {
		line("  peerpods:%s:", c)
		for _, f := range found {
			line("    # From %s.", f.From)
			v, err := yaml.Marshal(f.Value)
			if err != nil {
				return nil, err
			}
			val := strings.TrimSpace(string(v))
			if l, isList := f.Value.([]string); isList {
				val = "[" + strings.Join(quoted(l), ", ") + "]"
			}
			line("    %s: %s", strings.TrimPrefix(f.Setting, string(c)+"."), val)
		}
	}
	if c == contract.AWS && id == contract.IdentityWorkload {
		line("    # Required with workload identity: the pod VM AMI (the operator's")
		line("    # image job cannot build one with a least-privilege role).")
		line("    # podvmAmiId: ami-0123456789abcdef0")
	}
	if c == contract.Libvirt {
		line("  # The KVM host is not known to the cluster: set peerpods:libvirt.host")
		line("  # (see stacks/Pulumi.libvirt-example.yaml) before the first preview.")
	}
	if contract.WritesSecret(id) && c != contract.Libvirt {
		line("  # Static credentials: pulumi config set --secret <key> for each key")
		line("  # docs/settings.md lists for %s: a credential for cloud-api-adaptor", c)
		line("  # alone, with only the rights it needs.")
	}
	for _, k := range slices.Sorted(mapsKeys(n.Secrets)) {
		line("  %s:", k)
		line("    secure: %s", scalar(n.Secrets[k]))
	}
	return b.Bytes(), nil
}

func identityDoc(c contract.Cloud) string {
	var out []string
	for _, m := range contract.IdentitiesOf(c) {
		switch m {
		case contract.IdentityCCO:
			out = append(out, "cco (the operator asks the Cloud Credential Operator)")
		case contract.IdentityStatic:
			out = append(out, "static (keys from the stack's secrets)")
		case contract.IdentityWorkload:
			out = append(out, "workload (a cloud identity trusted by the cluster's OIDC issuer)")
		}
	}
	return strings.Join(out, ", ")
}

// scalar is s as a YAML scalar, quoted when YAML needs it.
func scalar(s string) string {
	v, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSpace(string(v))
}

func quoted(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = scalar(s)
	}
	return out
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
