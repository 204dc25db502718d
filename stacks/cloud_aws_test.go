//go:build !peerpods_clouds || aws

package stacks

import (
	"github.com/peerpods/provisioner/tests/testkit/mocks/awsmock"
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// awsInput is the program's side of Prepare: the checked identity mode, the
// default settings, and the problems Prepare records.
type awsInput struct {
	identity contract.Identity
	problems []error
}

func (in *awsInput) Settings() *common.Settings  { return common.NewSettings(contract.AWS) }
func (in *awsInput) Handoff() handoff.Mode       { return handoff.ModeOff }
func (in *awsInput) Identity() contract.Identity { return in.identity }
func (in *awsInput) Raw() (string, bool)         { return "", false }
func (in *awsInput) Has(string) bool             { return false }
func (in *awsInput) Credential(string) Secret    { return Secret{} }
func (in *awsInput) Check(err error) {
	if err != nil {
		in.problems = append(in.problems, err)
	}
}

// deployAWSStack prepares and deploys the stack in mode id with the stack's
// AWS keys set, on awsCloud's mocks.
func deployAWSStack(t *testing.T, id contract.Identity) values.Result {
	t.Helper()
	in := &awsInput{identity: id}
	s := awsCloud{}.NewStack().(*awsStack)
	s.SecurityGroupIDs, s.SubnetID, s.VPCID = []string{awsmock.SecurityGroup}, awsmock.Subnet, awsmock.VPC
	if id == contract.IdentityWorkload { // which requires an AMI and the infra ID
		s.OIDCIssuer, s.PodVMAMIID, s.InfraID = awsmock.Issuer, "ami-0123456789abcdef0", "mycluster-x7k2p"
	}
	s.Prepare(in)
	if len(in.problems) > 0 {
		t.Fatalf("prepare: %v", in.problems)
	}
	if s.Identity != id {
		t.Fatalf("identity %s, want %s", s.Identity, id)
	}
	m := awsmock.Mocks().Recording()
	var res values.Result
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		var err error
		res, err = s.Deploy(ctx, DeployArgs{
			Secret: func(key string) pulumi.StringInput {
				return pulumi.String(map[string]string{contract.KeyAWSAccessKeyID: awsmock.AccessKeyID, contract.KeyAWSSecretAccessKey: "s3cr3t"}[key])
			},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The stack hands the stack's AWS keys to the component in static mode
// only: in the other modes the operator writes peer-pods-secret.
func TestStackPassesKeysInStaticModeOnly(t *testing.T) {
	for _, id := range contract.IdentitiesOf(contract.AWS) {
		t.Run(string(id), func(t *testing.T) {
			res := deployAWSStack(t, id)
			v := res.Values
			if v.Identity != id {
				t.Errorf("values identity %s", v.Identity)
			}
			if got, want := len(v.Secret), map[bool]int{true: 2, false: 0}[id == contract.IdentityStatic]; got != want {
				t.Errorf("%d secret keys, want %d", got, want)
			}
			if err := v.CheckComplete(); err != nil {
				t.Error(err)
			}
			// No AMI in static mode: the stack provides the image job's
			// bucket.
			if (id == contract.IdentityWorkload) != (res.CloudOutputs["roleArn"] != nil) || (id == contract.IdentityStatic) != (res.CloudOutputs["bucketName"] != nil) {
				t.Errorf("cloud outputs %v", res.CloudOutputs)
			}
		})
	}
}
