package aws

import (
	"fmt"

	"github.com/peerpods/provisioner/components"
	"github.com/peerpods/provisioner/components/cloud"
	"github.com/peerpods/provisioner/components/contract"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cloud is AWS in the registry of clouds.
type Cloud struct{}

var _ cloud.Cloud = Cloud{}

// Name implements cloud.Cloud.
func (Cloud) Name() contract.Cloud { return components.AWS }

// NewStack implements cloud.Cloud.
func (Cloud) NewStack() cloud.Stack { return &Stack{} }

// Credentials implements cloud.Cloud: the AWS keys are peer-pods-secret
// keys of the contract.
func (Cloud) Credentials() []string { return nil }

// Component implements cloud.Cloud: PeerPods.
func (Cloud) Component() infer.InferredComponent { return infer.ComponentF(NewPeerPods) }

// Examples implements cloud.Cloud.
func (Cloud) Examples() []string { return []string{"aws-example"} }

// Stack is peerpods:aws: the AWS provider's settings and the component's
// arguments.
type Stack struct {
	// Region is the AWS provider's region; empty uses AWS_REGION or the
	// profile's region.
	Region string `json:"region,omitempty"`
	// Profile is the shared-credentials profile of the AWS provider.
	Profile string `json:"profile,omitempty"`
	Args
}

// Prepare implements cloud.Stack.
func (s *Stack) Prepare(in cloud.Input) {
	if s.Region != "" && !contract.AWSRegionPattern.MatchString(s.Region) {
		in.Check(components.Invalid("aws.region", fmt.Sprintf("is %q, which is not an AWS region", s.Region), `use a region name such as "us-east-2"`))
	}
	s.Settings = in.Settings()
	s.Args = s.Args.WithDefaults()
	in.Check(s.Args.Validate())
}

// Deploy implements cloud.Stack: the AWS provider and PeerPods.
func (s *Stack) Deploy(ctx *pulumi.Context, in cloud.Deploy) (components.Result, error) {
	args := s.Args
	var err error
	if args.Recorded, err = in.Recorded(); err != nil {
		return components.Result{}, err
	}
	args.AccessKeyID = in.Secret(contract.KeyAWSAccessKeyID)
	args.SecretAccessKey = in.Secret(contract.KeyAWSSecretAccessKey)
	provider, err := awsp.NewProvider(ctx, "aws", &awsp.ProviderArgs{
		Region:  components.OptionalString(s.Region),
		Profile: components.OptionalString(s.Profile),
	})
	if err != nil {
		return components.Result{}, err
	}
	return components.ResultOf(NewPeerPods(ctx, "peerpods", args, pulumi.Provider(provider)))
}

// The mocks' AWS network: one worker in subnet A of VPC A, with security
// group A.
const (
	MockSecurityGroup = "sg-0aaaaaaaaaaaaaaa0"
	MockSubnet        = "subnet-0aaaaaaaaaaaaaaa0"
	MockVPC           = "vpc-0aaaaaaaaaaaaaaa0"
	MockWorker        = "i-0aaaaaaaaaaaaaaa0"
	MockAccessKeyID   = "AKIAEXAMPLEKEYID0001"
)

// Mocks implements cloud.Cloud: discovery finds MockWorker in us-east-2.
func (Cloud) Mocks() cloud.Mocks {
	pm := resource.NewPropertyMapFromMap
	return cloud.Mocks{
		Calls: map[string]func(resource.PropertyMap) (resource.PropertyMap, error){
			"aws:index/getRegion:getRegion": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"name": "us-east-2"}), nil
			},
			"aws:ec2/getInstances:getInstances": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"ids": []string{MockWorker}}), nil
			},
			"aws:ec2/getInstance:getInstance": MockWorkerIn(MockSubnet, MockSecurityGroup),
			"aws:ec2/getSubnet:getSubnet": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"vpcId": MockVPC}), nil
			},
		},
		Secrets: map[string]string{
			"peerpods:awsAccessKeyId":     MockAccessKeyID,
			"peerpods:awsSecretAccessKey": cloud.FakeSecret,
		},
	}
}

// MockWorkerIn answers getInstance with a worker in subnet with the
// security group sg, as after the cluster's workers were replaced.
func MockWorkerIn(subnet, sg string) func(resource.PropertyMap) (resource.PropertyMap, error) {
	return func(resource.PropertyMap) (resource.PropertyMap, error) {
		return resource.NewPropertyMapFromMap(map[string]any{"subnetId": subnet, "vpcSecurityGroupIds": []string{sg}}), nil
	}
}
