//go:build !peerpods_clouds || aws

package stacks

import (
	"fmt"
	"github.com/peerpods/provisioner/aws"
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/values"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func init() { register(awsCloud{}) }

// awsCloud is AWS in the registry of clouds.
type awsCloud struct{}

var _ Cloud = awsCloud{}

// Name implements Cloud.
func (awsCloud) Name() contract.Cloud { return contract.AWS }

// NewStack implements Cloud.
func (awsCloud) NewStack() Stack { return &awsStack{} }

// Credentials implements Cloud: the AWS keys are peer-pods-secret
// keys of the contract.
func (awsCloud) Credentials() []string { return nil }

// Component implements Cloud: PeerPods.
func (awsCloud) Component() infer.InferredComponent { return infer.ComponentF(aws.NewPeerPods) }

// Examples implements Cloud.
func (awsCloud) Examples() []string { return []string{"aws-example"} }

// awsStack is peerpods:aws: the AWS provider's settings and the component's
// arguments.
type awsStack struct {
	// Region is the AWS provider's region, such as us-east-2, which is
	// written as AWS_REGION of peer-pods-cm. With peerpods:kubeconfig it
	// is read from the cluster (Infrastructure cluster
	// status.platformStatus.aws.region); empty uses the provider's own
	// default: the AWS_REGION environment variable, else the profile's
	// region.
	Region string `json:"region,omitzero"`
	// Profile is the shared-credentials profile of the AWS provider
	// (default: the provider's usual credentials: environment, default
	// profile, role).
	Profile string `json:"profile,omitzero"`
	aws.Args
}

// defaults implements defaulter.
func (s *awsStack) defaults() any { return aws.Args{}.WithDefaults() }

// Prepare implements Stack.
func (s *awsStack) Prepare(in Input) {
	if s.Region != "" && !contract.AWSRegionPattern.MatchString(s.Region) {
		in.Check(problems.Invalid("aws.region", fmt.Sprintf("is %q, which is not an AWS region", s.Region), `use a region name such as "us-east-2"`))
	}
	s.Settings = in.Settings()
	s.Identity = in.Identity()
	s.Args = s.Args.WithDefaults()
	in.Check(s.Args.Validate())
}

// Deploy implements Stack: the AWS provider and PeerPods.
func (s *awsStack) Deploy(ctx *pulumi.Context, in DeployArgs) (values.Result, error) {
	args := s.Args
	if contract.WritesSecret(args.Identity) { // else the operator writes peer-pods-secret
		args.AccessKeyID = in.Secret(contract.KeyAWSAccessKeyID)
		args.SecretAccessKey = in.Secret(contract.KeyAWSSecretAccessKey)
	}
	provider, err := awsp.NewProvider(ctx, "aws", &awsp.ProviderArgs{
		Region:  providers.OptionalString(s.Region),
		Profile: providers.OptionalString(s.Profile),
	})
	if err != nil {
		return values.Result{}, err
	}
	return values.ResultOf(aws.NewPeerPods(ctx, "peerpods", args, pulumi.Provider(provider)))
}

// Leftovers implements Sweeper.
func (awsCloud) Leftovers(ctx *pulumi.Context, cm map[string]string) ([]leftovers.Item, error) {
	return aws.Leftovers(ctx, cm)
}

// CheckRules implements RuleChecker: the ingress rules in their security
// groups.
func (awsCloud) CheckRules(ctx *pulumi.Context, cm map[string]string, rules []values.DeclaredRule) ([]values.RuleFinding, error) {
	return aws.CheckRules(ctx, cm, rules)
}

// FromCluster implements Cloud: the region and the infrastructure
// name (which finds the workers by the installer's tags, and stays when
// workers are replaced), and the OIDC issuer for workload identity.
func (awsCloud) FromCluster(f cluster.Facts, id contract.Identity) []cluster.Found {
	var out []cluster.Found
	if f.InfraName != "" {
		out = append(out, cluster.Found{Setting: "aws.infraId", Value: f.InfraName, From: cluster.FromInfrastructure + "infrastructureName",
			Unless: []string{"aws.instanceId"}})
	}
	if id == contract.IdentityWorkload && f.ServiceAccountIssuer != "" {
		out = append(out, cluster.Found{Setting: "aws.oidcIssuer", Value: f.ServiceAccountIssuer, From: cluster.FromIssuer})
	}
	if f.AWSRegion != "" {
		out = append(out, cluster.Found{Setting: "aws.region", Value: f.AWSRegion, From: cluster.FromInfrastructure + "platformStatus.aws.region"})
	}
	return out
}
