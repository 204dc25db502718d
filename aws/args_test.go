package aws

import (
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The default identity is the operator's CCO flow.
func TestDefaultIdentity(t *testing.T) {
	if id := (Args{}).WithDefaults().Identity; id != contract.IdentityCCO {
		t.Errorf("default identity %s", id)
	}
	if id := (Args{Identity: contract.IdentityStatic}).WithDefaults().Identity; id != contract.IdentityStatic {
		t.Errorf("identity %s", id)
	}
}

func TestValidate(t *testing.T) {
	const sg, sub, vpc, ami = "sg-0123456789abcdef0", "subnet-01234567", "vpc-0123456789abcdef0", "ami-0123456789abcdef0"
	key := pulumi.String("AKIAEXAMPLEKEYID0001")
	cases := []struct {
		name    string
		args    Args
		setting string // "" for valid
		fix     string
	}{
		{"instance", Args{InstanceID: "i-0123456789abcdef0"}, "", ""},
		{"infra id", Args{InfraID: "mycluster-x7k2p"}, "", ""},
		{"explicit", Args{SecurityGroupIDs: []string{sg}, SubnetID: sub, VPCID: vpc}, "", ""},
		{"nothing to find", Args{}, "aws", "aws.instanceId"},
		{"groups and subnet", Args{SecurityGroupIDs: []string{sg}, SubnetID: sub}, "", ""},
		{"groups without subnet", Args{SecurityGroupIDs: []string{sg}, VPCID: vpc}, "aws", "aws.subnetId"},
		{"both ways", Args{InstanceID: "i-0123456789abcdef0", InfraID: "c-x7k2p"}, "aws.instanceId", "only one"},
		{"malformed instance", Args{InstanceID: "i-xyz"}, "aws.instanceId", "i- and 8 or 17 hex digits"},
		{"instance with spaces", Args{InstanceID: " i-0123456789abcdef0"}, "aws.instanceId", "worker instance ID"},
		{"malformed infra id", Args{InfraID: "My_Cluster"}, "aws.infraId", "infrastructureName"},
		{"empty group list", Args{InstanceID: "i-01234567", SecurityGroupIDs: []string{}}, "aws.securityGroupIds", "remove the setting"},
		{"empty group", Args{InstanceID: "i-01234567", SecurityGroupIDs: []string{""}}, "aws.securityGroupIds[0]", "security group ID"},
		{"malformed group", Args{InstanceID: "i-01234567", SecurityGroupIDs: []string{sg, "sg-12"}}, "aws.securityGroupIds[1]", "security group ID"},
		{"duplicate groups", Args{InstanceID: "i-01234567", SecurityGroupIDs: []string{sg, sg}}, "aws.securityGroupIds", "once"},
		{"malformed subnet", Args{InstanceID: "i-01234567", SubnetID: "sn-1"}, "aws.subnetId", "subnet ID"},
		{"malformed vpc", Args{InstanceID: "i-01234567", VPCID: "vpc-XYZ"}, "aws.vpcId", "VPC ID"},
		{"malformed ami", Args{InstanceID: "i-01234567", PodVMAMIID: "ami-1"}, "aws.podvmAmiId", "AMI ID"},
		{"malformed instance type", Args{InstanceID: "i-01234567", PodVMInstanceType: "large"}, "aws.podvmInstanceType", "t3.medium"},
		{"duplicate instance types", Args{InstanceID: "i-01234567", PodVMInstanceTypes: []string{"t3.large", "t3.large"}}, "aws.podvmInstanceTypes", "once"},
		{"static keys", Args{InstanceID: "i-01234567", Identity: contract.IdentityStatic, AccessKeyID: key}, "", ""},
		{"keys in cco mode", Args{InstanceID: "i-01234567", AccessKeyID: key}, "awsAccessKeyId", "set peerpods:identity to static"},
		{"workload", Args{InstanceID: "i-01234567", Identity: contract.IdentityWorkload, OIDCIssuer: "https://oidc.example.com/c1", PodVMAMIID: ami}, "", ""},
		{"workload without ami", Args{InstanceID: "i-01234567", Identity: contract.IdentityWorkload, OIDCIssuer: "https://oidc.example.com/c1"},
			"aws.podvmAmiId", "build it once with peerpods:identity static or cco"},
		{"workload without issuer", Args{InstanceID: "i-01234567", Identity: contract.IdentityWorkload, PodVMAMIID: ami}, "aws.oidcIssuer", "serviceAccountIssuer"},
		{"workload with the default issuer", Args{InstanceID: "i-01234567", Identity: contract.IdentityWorkload, OIDCIssuer: "https://kubernetes.default.svc", PodVMAMIID: ami},
			"aws.oidcIssuer", "use peerpods:identity cco or static"},
		{"issuer ignored outside workload", Args{InstanceID: "i-01234567", OIDCIssuer: "https://kubernetes.default.svc"}, "", ""},
		{"unknown identity", Args{InstanceID: "i-01234567", Identity: "sts"}, "identity", "cco, static, workload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.args.Settings = common.NewSettings(contract.AWS)
			err := c.args.WithDefaults().Validate()
			pulumitest.RequireInputError(t, err, c.setting, c.fix)
		})
	}
}

// TestValidateIncludesSettings: the common settings are validated with
// the AWS ones; a zero one is unset, its default (Settings.WithDefaults).
func TestValidateIncludesSettings(t *testing.T) {
	unset := Args{InstanceID: "i-01234567", Settings: &common.Settings{}}
	if err := unset.WithDefaults().Validate(); err != nil {
		t.Errorf("zero settings: %v", err)
	}
	a := Args{InstanceID: "i-01234567", Settings: common.NewSettings(contract.AWS)}
	a.Settings.LimitPerNode = pulumi.IntRef(-1)
	if ies := problems.InputErrors(a.WithDefaults().Validate()); len(ies) != 1 || ies[0].Setting != "limitPerNode" {
		t.Fatalf("got %v", ies)
	}
}
