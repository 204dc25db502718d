//go:build !peerpods_clouds || gcp

package stacks

import (
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/gcp"
	gcpp "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func init() { register(gcpCloud{}) }

// gcpCloud is GCP in the registry of clouds.
type gcpCloud struct{}

var _ Cloud = gcpCloud{}

// Name implements Cloud.
func (gcpCloud) Name() contract.Cloud { return contract.GCP }

// NewStack implements Cloud.
func (gcpCloud) NewStack() Stack { return &gcpStack{} }

// Credentials implements Cloud: the service account key is a
// peer-pods-secret key of the contract.
func (gcpCloud) Credentials() []string { return nil }

// Component implements Cloud: PeerPods.
func (gcpCloud) Component() infer.InferredComponent { return infer.ComponentF(gcp.NewPeerPods) }

// Examples implements Cloud.
func (gcpCloud) Examples() []string { return []string{"gcp-example"} }

// gcpStack is peerpods:gcp: the component's arguments (the provider uses its
// project and zone).
type gcpStack struct {
	gcp.Args
}

// defaults implements defaulter.
func (s *gcpStack) defaults() any { return gcp.Args{}.WithDefaults() }

// Prepare implements Stack.
func (s *gcpStack) Prepare(in Input) {
	s.Settings = in.Settings()
	s.Identity = in.Identity()
	s.Args = s.Args.WithDefaults()
	in.Check(s.Args.Validate())
}

// Deploy implements Stack: the GCP provider for the project and
// zone, and PeerPods.
func (s *gcpStack) Deploy(ctx *pulumi.Context, in DeployArgs) (values.Result, error) {
	args := s.Args
	if contract.WritesSecret(args.Identity) {
		args.Credentials = in.Secret(contract.KeyGCPCredentials)
	}
	provider, err := gcpp.NewProvider(ctx, "gcp", &gcpp.ProviderArgs{
		Project: pulumi.String(args.ProjectID),
		Zone:    pulumi.String(args.Zone),
	})
	if err != nil {
		return values.Result{}, err
	}
	return values.ResultOf(gcp.NewPeerPods(ctx, "peerpods", args, pulumi.Provider(provider)))
}

// CheckRules implements RuleChecker: the firewall rule, read as a
// resource (gcp.CheckRules).
func (gcpCloud) CheckRules(ctx *pulumi.Context, cm map[string]string, rules []values.DeclaredRule) ([]values.RuleFinding, error) {
	return gcp.CheckRules(ctx, cm, rules)
}

// Gone implements GoneReporter.
func (gcpCloud) Gone(r values.DeclaredRule) values.RuleFinding { return gcp.Gone(r) }

// Leftovers implements Sweeper.
func (gcpCloud) Leftovers(ctx *pulumi.Context, cm map[string]string) ([]leftovers.Item, error) {
	return gcp.Leftovers(ctx, cm)
}

// FromCluster implements Cloud: the project, the infrastructure name
// (which names the firewall rule), the installer's network (<infrastructure
// name>-network), the first worker's zone and the machine networks as the
// firewall's source ranges.
func (gcpCloud) FromCluster(f cluster.Facts, _ contract.Identity) []cluster.Found {
	var out []cluster.Found
	if f.InfraName != "" {
		out = append(out, cluster.Found{Setting: "gcp.infraId", Value: f.InfraName, From: cluster.FromInfrastructure + "infrastructureName"})
		out = append(out, cluster.Found{Setting: "gcp.network", Value: f.InfraName + "-network", From: cluster.FromInfrastructure + "infrastructureName, and the installer's network name <infrastructureName>-network"})
	}
	if f.GCPProject != "" {
		out = append(out, cluster.Found{Setting: "gcp.projectId", Value: f.GCPProject, From: cluster.FromInfrastructure + "platformStatus.gcp.projectID"})
	}
	if len(f.MachineNetworks) > 0 {
		out = append(out, cluster.Found{Setting: "gcp.sourceRanges", Value: f.MachineNetworks, From: cluster.FromInstallConfig})
	}
	for _, w := range f.Workers {
		if w.Zone != "" {
			out = append(out, cluster.Found{Setting: "gcp.zone", Value: w.Zone, From: cluster.FromWorker(w)})
			break
		}
	}
	return out
}
