package gcp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/identity"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/values"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Args are the inputs of PeerPods. The json tags are the stack config names
// (under peerpods:gcp) and the names validation errors use.
type Args struct {
	// ProjectID is the cluster's project (GCP_PROJECT_ID), also the GCP
	// provider's project. Required; with peerpods:kubeconfig it is read
	// from the cluster (Infrastructure cluster
	// status.platformStatus.gcp.projectID).
	ProjectID string `json:"projectId" pulumi:"projectId"`
	// Zone is where pod VMs are created (GCP_ZONE), also the GCP
	// provider's zone. Required; with peerpods:kubeconfig it is the first
	// worker node's zone.
	Zone string `json:"zone" pulumi:"zone"`
	// Network is the cluster network's name (<infraID>-network), which
	// gets the firewall rule; GCP_NETWORK is written as
	// global/networks/<Network>. It is looked up first, so a wrong name
	// fails the preview. Required; with peerpods:kubeconfig it is
	// <infrastructureName>-network, the installer's name.
	Network string `json:"network" pulumi:"network"`
	// SourceRanges are the ranges that may reach the ports (the firewall
	// rule's sources): the workers' and pod VMs' ranges. Required; with
	// peerpods:kubeconfig they are the install-config's machine networks.
	// Together they may cover at most one /8's worth of addresses (a
	// range covering every address is refused).
	SourceRanges []string `json:"sourceRanges" pulumi:"sourceRanges"`
	// DestinationRanges are the ranges the rule lets the ports in to: where
	// the workers and pod VMs live, so that the rule never covers the
	// whole network. Default: gcp.sourceRanges (the machine network, where
	// both live). Checked as gcp.sourceRanges are: at most one /8's worth
	// of addresses, private unless peerpods:allowPublicRanges names them.
	DestinationRanges []string `json:"destinationRanges,omitzero" pulumi:"destinationRanges,optional"`
	// TargetTags is refused when set: cloud-api-adaptor creates pod VMs
	// with no network tags (openshift/cloud-api-adaptor
	// osc-release-v1.12, src/cloud-providers/gcp/provider.go,
	// CreateInstance), so a rule limited to tags would not reach them.
	// gcp.destinationRanges limits the rule instead.
	TargetTags []string `json:"targetTags,omitzero" pulumi:"targetTags,optional"`
	// InfraID is the cluster's infrastructure name (Infrastructure cluster
	// status.infrastructureName; with peerpods:kubeconfig it is read from
	// the cluster). It names the firewall rule by default, so that two
	// clusters in one project never share a rule name.
	InfraID string `json:"infraId,omitzero" pulumi:"infraId,optional"`
	// FirewallName names the firewall rule (ingress, TCP 15150 and the
	// tunnel port). Default: <infraId>-peerpods, or without infraId
	// <network>-peerpods (cut to 63 characters): a name of this cluster,
	// not the docs' project-wide allow-port-15150-restricted. Renaming it
	// replaces the rule, the new one created before the old one is
	// deleted.
	FirewallName string `json:"firewallName,omitzero" pulumi:"firewallName,optional" jsonschema:"minLength=1"`
	// AdoptFirewall is the name of an existing firewall rule (one made with
	// the docs' gcloud command, allow-port-15150-restricted, or by hand)
	// that the stack uses instead of creating its own: it is imported into
	// the stack's state as the stack's rule, which the engine accepts only
	// if the rule already is what the stack would declare (network,
	// ingress, the peer-pods ports, gcp.sourceRanges,
	// gcp.destinationRanges, no target tags; the description aside), else
	// the preview shows what differs: a rule made without destination
	// ranges (as the docs' gcloud command makes it) needs them first
	// (gcloud compute firewall-rules update NAME --destination-ranges=...). The stack
	// never changes it, and destroy leaves it. Exclusive with
	// gcp.firewallName.
	AdoptFirewall string `json:"adoptFirewall,omitzero" pulumi:"adoptFirewall,optional"`
	// MachineType is GCP_MACHINE_TYPE, the pod VMs' machine type, default
	// e2-medium.
	MachineType string `json:"machineType,omitzero" pulumi:"machineType,optional" jsonschema:"minLength=1"`
	// Subnetwork is GCP_SUBNETWORK: the subnetwork of the pod VMs, needed
	// in a custom-mode VPC such as OpenShift installs into (a name, or
	// regions/<region>/subnetworks/<name>; set it to the worker
	// subnetwork). cloud-api-adaptor reads it from OSC's osc-release-v1.12
	// on; 1.10 ignores it and lets GCP pick the subnetwork of the zone's
	// region, which works for an auto-mode network only. Default: unset.
	Subnetwork string `json:"subnetwork,omitzero" pulumi:"subnetwork,optional"`
	// ImageName is PODVM_IMAGE_NAME, the pod VM image in the project.
	// cloud-api-adaptor exits without it (entrypoint.sh gcp() test_vars),
	// so unset (the default) leaves the key to the operator, whose image
	// job builds an image and writes the key before the operator starts
	// cloud-api-adaptor. Set it empty and it is refused: leave it out
	// instead.
	ImageName string `json:"podvmImageName,omitzero" pulumi:"podvmImageName,optional" jsonschema:"minLength=1"`

	// Settings are the common peer-pods settings; what is nil or zero
	// takes the default (Settings.WithDefaults).
	Settings *common.Settings `json:"-" pulumi:"settings,optional"`
	// Credentials is the service-account JSON (GCP_CREDENTIALS); nil leaves
	// it out. It is made secret. Only with identity static.
	Credentials pulumi.StringInput `json:"-" pulumi:"credentials,optional" provider:"secret"`
	// Identity is how cloud-api-adaptor gets its credentials: cco (the
	// default: the operator's CredentialsRequest) or static (Credentials).
	// GCP has no workload-identity flow in the operator.
	Identity contract.Identity `json:"-" pulumi:"identity,optional"`
}

// Defaults. DocsFirewallName is the product documentation's rule name,
// the default of this project's earlier versions: one per project.
const (
	DocsFirewallName   = "allow-port-15150-restricted"
	DefaultMachineType = "e2-medium"
)

// DefaultFirewallName is the rule name of a cluster: <infraID>-peerpods,
// or <network>-peerpods without an infrastructure name, cut to GCP's 63
// characters (and to end in a letter or digit).
func DefaultFirewallName(infraID, network string) string {
	base := infraID
	if base == "" {
		base = network
	}
	name := base + "-peerpods"
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	return name
}

// whatName describes a valid GCP name (RFC 1035, GCP's naming convention).
func whatName(what string) string {
	return what + " (1-63 characters: a lower-case letter, then lower-case letters, digits or '-', not ending in '-')"
}

// fixSourceRanges is what gcp.sourceRanges should list.
const fixSourceRanges = "list only the ranges the workers and pod VMs use, such as the cluster's machine network (10.0.0.0/16)"

// fixDestinationRanges is what gcp.destinationRanges should list.
const fixDestinationRanges = "list only the ranges where the workers and pod VMs live, such as the cluster's machine network (10.0.0.0/16), or leave gcp.destinationRanges out to use gcp.sourceRanges"

// Destinations are the rule's destination ranges: DestinationRanges, else
// SourceRanges (the machine network holds the workers and the pod VMs).
func (a Args) Destinations() []string {
	if len(a.DestinationRanges) > 0 {
		return a.DestinationRanges
	}
	return a.SourceRanges
}

// WithDefaults returns a copy of a with the defaults filled in.
func (a Args) WithDefaults() Args {
	a.Settings = a.Settings.WithDefaults(contract.GCP)
	a.Identity = contract.IdentityOr(contract.GCP, a.Identity)
	if a.FirewallName == "" {
		a.FirewallName = DefaultFirewallName(a.InfraID, a.Network)
	}
	if a.MachineType == "" {
		a.MachineType = DefaultMachineType
	}
	return a
}

// Validate checks the arguments (after WithDefaults) and reports every
// problem in one error, settings named "gcp.<name>".
func (a Args) Validate() error {
	var p problems.List
	p.Add(identity.CheckIdentity(contract.GCP, a.Identity, identity.Credential{Setting: "gcpCredentials", Given: a.Credentials != nil}))
	p.Add(a.Settings.ValidateFor(contract.GCP))
	p.Add(check.Pattern("gcp.projectId", a.ProjectID, contract.GCPProjectPattern, "a project ID (6-30 lower-case letters, digits, '-')"))
	p.Add(check.Pattern("gcp.zone", a.Zone, contract.GCPZonePattern, "a zone such as us-central1-a"))
	p.Add(check.Pattern("gcp.network", a.Network, contract.GCPNamePattern, whatName("the cluster network's name, such as mycluster-x7k2p-network")))
	if a.InfraID != "" {
		p.Add(check.Pattern("gcp.infraId", a.InfraID, contract.OpenShiftInfraIDPattern, "the cluster's infrastructure name (oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}')"))
	}
	// A default name made of a bad infraId or network is not a second
	// problem.
	derivedFromBad := a.FirewallName == DefaultFirewallName(a.InfraID, a.Network) &&
		(a.InfraID != "" && !contract.OpenShiftInfraIDPattern.MatchString(a.InfraID) || a.InfraID == "" && !contract.GCPNamePattern.MatchString(a.Network))
	if !derivedFromBad {
		p.Add(check.Pattern("gcp.firewallName", a.FirewallName, contract.GCPNamePattern, whatName("a firewall rule name")))
	}
	if a.AdoptFirewall != "" {
		p.Add(check.Pattern("gcp.adoptFirewall", a.AdoptFirewall, contract.GCPNamePattern, whatName("a firewall rule name")))
		if a.FirewallName != DefaultFirewallName(a.InfraID, a.Network) {
			p.Add(problems.Invalid("gcp.adoptFirewall", "and gcp.firewallName are both set", "set only one: the stack either adopts a rule or names its own"))
		}
	}
	p.Add(check.Pattern("gcp.machineType", a.MachineType, contract.GCPMachineTypePattern, "a machine type such as e2-medium"))
	if a.ImageName != "" {
		p.Add(check.Pattern("gcp.podvmImageName", a.ImageName, contract.GCPNamePattern, whatName("a GCP image name")))
	}
	if a.Subnetwork != "" {
		p.Add(check.Contract("gcp.subnetwork", contract.GCP, contract.KeyGCPSubnetwork, a.Subnetwork))
	}
	if len(a.SourceRanges) == 0 {
		p.Add(problems.Invalid("gcp.sourceRanges", "is empty", fixSourceRanges))
	}
	p.Add(a.checkRanges("gcp.sourceRanges", a.SourceRanges, fixSourceRanges))
	if a.DestinationRanges != nil { // else gcp.sourceRanges, checked above
		if len(a.DestinationRanges) == 0 {
			p.Add(problems.Invalid("gcp.destinationRanges", "is empty", fixDestinationRanges))
		}
		p.Add(a.checkRanges("gcp.destinationRanges", a.DestinationRanges, fixDestinationRanges))
	}
	if len(a.TargetTags) > 0 {
		p.Add(problems.Invalid("gcp.targetTags", fmt.Sprintf("is %v, but cloud-api-adaptor creates pod VMs with no network tags (openshift/cloud-api-adaptor osc-release-v1.12, src/cloud-providers/gcp/provider.go, CreateInstance; its TAGS are Resource Manager tags, which firewall rules do not match), so a rule limited to these tags would not let the workers reach the pod VMs on port %d", a.TargetTags, netrules.KataAgentPort),
			"remove gcp.targetTags: the rule is limited to gcp.destinationRanges (default: gcp.sourceRanges, the machine network); set gcp.destinationRanges to narrow it"))
	}
	return p.Err()
}

// checkRanges checks the ranges of setting as the rule's addresses: CIDR
// prefixes, at most one /8's worth together, private unless
// peerpods:allowPublicRanges names them (netrules.CheckSources).
func (a Args) checkRanges(setting string, values []string, fix string) error {
	ranges, err := netrules.ParsePrefixes(setting, values)
	if err != nil {
		return err
	}
	named := make([]netrules.NamedPrefix, len(ranges))
	for i, r := range ranges {
		named[i] = netrules.NamedPrefix{Name: fmt.Sprintf("%s[%d]", setting, i), Prefix: r}
	}
	return netrules.CheckSources(setting, named, fix, a.Settings.PublicAllowed())
}

// PeerPodsType is the type token of PeerPods.
const PeerPodsType = "peerpods:gcp:PeerPods"

// PeerPods is the GCP side of peer pods: a firewall rule for the kata agent
// and tunnel ports, and the GCP peer-pods values.
type PeerPods struct {
	pulumi.ResourceState
	// Result holds the values and the rules created (AWS: one ingress
	// rule per group, port and protocol; Azure: the NSG rules; GCP: the
	// firewall rule).
	values.Result

	// Cloud, ConfigMap, Secret and SSHKeySecret are the values as
	// outputs (values.Outputs).
	Cloud        pulumi.StringOutput    `pulumi:"cloud"`
	ConfigMap    pulumi.StringMapOutput `pulumi:"configMap"`
	Secret       pulumi.StringMapOutput `pulumi:"secret" provider:"secret"`
	SSHKeySecret pulumi.StringMapOutput `pulumi:"sshKeySecret" provider:"secret"`
	// FirewallID is the firewall rule's ID.
	FirewallID pulumi.StringOutput `pulumi:"firewallId"`
}

// NewPeerPods validates args, checks that the network exists (through the
// GCP provider from opts) and creates the firewall rule. Nothing is
// registered when args are invalid.
func NewPeerPods(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*PeerPods, error) {
	args = args.WithDefaults()
	if err := args.Validate(); err != nil {
		return nil, err
	}
	provider, err := providers.RequireProvider("gcp", "GCP", opts)
	if err != nil {
		return nil, err
	}
	net, err := compute.LookupNetwork(ctx, &compute.LookupNetworkArgs{Name: args.Network, Project: &args.ProjectID}, pulumi.Provider(provider))
	if err != nil {
		return nil, problems.LookupFailed("gcp.network", "network "+args.Network+" of project "+args.ProjectID, err, "check gcp.network and gcp.projectId (gcloud compute networks list)")
	}

	c := &PeerPods{}
	if err := ctx.RegisterComponentResource(PeerPodsType, name, c, opts...); err != nil {
		return nil, err
	}
	ports := args.Settings.Ports()
	protocols, byProtocol := netrules.PortsByProtocol(ports)
	allows := compute.FirewallAllowArray{}
	for _, proto := range protocols {
		var nums pulumi.StringArray
		for _, n := range byProtocol[proto] {
			nums = append(nums, pulumi.String(strconv.Itoa(n)))
		}
		allows = append(allows, &compute.FirewallAllowArgs{Protocol: pulumi.String(string(proto)), Ports: nums})
	}
	// One resource name whatever the rule's name (a renamed rule is
	// replaced, created before the old one goes); the earlier versions
	// named the resource after the rule: those names are aliases.
	aliases := []pulumi.Alias{{Name: pulumi.String(name + "-" + args.FirewallName)}}
	if args.FirewallName != DocsFirewallName {
		aliases = append(aliases, pulumi.Alias{Name: pulumi.String(name + "-" + DocsFirewallName)})
	}
	fwName := args.FirewallName
	fwOpts := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(provider), pulumi.Aliases(aliases)}
	if args.AdoptFirewall != "" {
		// Adopted: imported as it is (an import whose inputs differ
		// fails, showing the difference: pulumi/pkg/v3
		// resource/deploy/step.go, ImportStep.Apply), its description
		// never rewritten, kept on destroy.
		fwName = args.AdoptFirewall
		fwOpts = append(fwOpts, pulumi.Import(pulumi.ID(fmt.Sprintf("projects/%s/global/firewalls/%s", args.ProjectID, fwName))),
			pulumi.RetainOnDelete(true), pulumi.IgnoreChanges([]string{"description"}))
	}
	fw, err := compute.NewFirewall(ctx, name+"-firewall", &compute.FirewallArgs{
		Name:         pulumi.String(fwName),
		Project:      pulumi.String(args.ProjectID),
		Network:      pulumi.String(net.SelfLink),
		Direction:    pulumi.String("INGRESS"),
		Allows:       allows,
		SourceRanges: pulumi.ToStringArray(args.SourceRanges),
		// Not target tags: pod VMs have none (Args.TargetTags).
		DestinationRanges: pulumi.ToStringArray(args.Destinations()),
		Description:       pulumi.String("peer pods: kata agent and tunnel, managed by peerpods"),
	}, fwOpts...)
	if err != nil {
		return nil, err
	}
	c.Rules = []values.Rule{{Name: fwName, ID: fw.ID(), Target: args.Network, Ports: ports, Adopted: args.AdoptFirewall != "",
		Sources: args.SourceRanges, Destinations: args.Destinations()}}

	cm := args.Settings.ConfigMap(contract.GCP)
	cm[contract.KeyGCPProjectID] = args.ProjectID
	cm[contract.KeyGCPZone] = args.Zone
	cm[contract.KeyGCPNetwork] = "global/networks/" + args.Network
	cm[contract.KeyGCPMachineType] = args.MachineType
	if args.ImageName != "" { // else the operator's image job owns the key
		cm[contract.KeyPodVMImageName] = args.ImageName
	}
	if args.Subnetwork != "" {
		cm[contract.KeyGCPSubnetwork] = args.Subnetwork
	}
	var secret pulumi.StringMap
	if contract.WritesSecret(args.Identity) {
		secret = pulumi.StringMap{}
		if args.Credentials != nil {
			secret[contract.KeyGCPCredentials] = pulumi.ToSecret(args.Credentials).(pulumi.StringOutput)
		}
	}
	c.Values = values.Values{Cloud: contract.GCP, Identity: args.Identity, ConfigMap: values.PlainMap(cm), Secret: secret, Ready: []pulumi.Resource{fw}}
	o := c.Values.Outputs()
	c.Cloud, c.ConfigMap, c.Secret, c.SSHKeySecret = o.Cloud, o.ConfigMap, o.Secret, o.SSHKeySecret
	c.FirewallID = fw.ID().ToStringOutput()
	if err := ctx.RegisterResourceOutputs(c, o.With(pulumi.Map{
		"firewallId": c.FirewallID})); err != nil {
		return nil, err
	}
	return c, nil
}
