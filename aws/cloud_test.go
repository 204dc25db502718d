package aws_test

import (
	"testing"

	"github.com/peerpods/provisioner/aws"
	cloudapi "github.com/peerpods/provisioner/components/cloud"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/pins"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// input is the program's side of Prepare: the checked identity mode, the
// default settings, and the problems Prepare records.
type input struct {
	identity contract.Identity
	problems []error
}

func (in *input) Settings() *common.Settings        { return common.NewSettings(contract.AWS) }
func (in *input) Handoff() handoff.Mode             { return handoff.ModeOff }
func (in *input) Identity() contract.Identity       { return in.identity }
func (in *input) Raw() (string, bool)               { return "", false }
func (in *input) Has(string) bool                   { return false }
func (in *input) Credential(string) cloudapi.Secret { return cloudapi.Secret{} }
func (in *input) Check(err error) {
	if err != nil {
		in.problems = append(in.problems, err)
	}
}

// deployStack prepares and deploys the stack in mode id with the stack's
// AWS keys set, on aws.Cloud's mocks.
func deployStack(t *testing.T, id contract.Identity) values.Result {
	t.Helper()
	in := &input{identity: id}
	s := aws.Cloud{}.NewStack().(*aws.Stack)
	s.SecurityGroupIDs, s.SubnetID, s.VPCID = []string{aws.MockSecurityGroup}, aws.MockSubnet, aws.MockVPC
	if id == contract.IdentityWorkload { // which requires an AMI
		s.OIDCIssuer, s.PodVMAMIID = aws.MockIssuer, "ami-0123456789abcdef0"
	}
	s.Prepare(in)
	if len(in.problems) > 0 {
		t.Fatalf("prepare: %v", in.problems)
	}
	if s.Identity != id {
		t.Fatalf("identity %s, want %s", s.Identity, id)
	}
	cm := aws.Cloud{}.Mocks()
	m := &pulumitest.Mocks{Calls: map[string]pulumitest.CallFunc{}, Fakes: map[string]pulumitest.FakeFunc{}}
	for k, f := range cm.Calls {
		m.Calls[k] = f
	}
	for k, f := range cm.Resources {
		m.Fakes[k] = f
	}
	var res values.Result
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		var err error
		res, err = s.Deploy(ctx, cloudapi.Deploy{
			Secret: func(key string) pulumi.StringInput {
				return pulumi.String(map[string]string{contract.KeyAWSAccessKeyID: aws.MockAccessKeyID, contract.KeyAWSSecretAccessKey: "s3cr3t"}[key])
			},
			Recorded: func() (pins.Recorded, error) { return nil, nil },
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
			res := deployStack(t, id)
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
