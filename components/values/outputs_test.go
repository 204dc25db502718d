package values_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestSettingsWithDefaults: what a component input leaves out (zero)
// becomes the cloud's default; what it sets stays.
func TestSettingsWithDefaults(t *testing.T) {
	if got, want := (*common.Settings)(nil).WithDefaults(contract.Libvirt), common.NewSettings(contract.Libvirt); !reflect.DeepEqual(got, want) {
		t.Errorf("empty settings with defaults: %+v, want %+v", got, want)
	}
	set := &common.Settings{TunnelPort: pulumi.IntRef(4789), TunnelProtocols: []string{"udp"}, ProxyTimeout: pulumi.StringRef("7m"), LimitPerNode: pulumi.IntRef(3), RootVolumeSize: pulumi.IntRef(20), InitData: "x"}
	if got := set.WithDefaults(contract.AWS); !reflect.DeepEqual(got, set) {
		t.Errorf("set settings changed: %+v", got)
	}
}

// TestValuesOutputs: the outputs resolve to the values, the secrets
// secret, ssh-key-secret empty for a cloud without one, and each output
// depends on the resources of Ready.
func TestValuesOutputs(t *testing.T) {
	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		var rule pulumi.CustomResourceState
		if err := ctx.RegisterResource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rule", nil, &rule); err != nil {
			return err
		}
		v := awsValues()
		v.Ready = []pulumi.Resource{&rule}
		o := v.Outputs()
		cloud, _ := pulumitest.Await(t, o.Cloud)
		cm, cmSecret := pulumitest.Await(t, o.ConfigMap)
		sec, secSecret := pulumitest.Await(t, o.Secret)
		ssh, sshSecret := pulumitest.Await(t, o.SSHKeySecret)
		if cloud != "aws" || cm.(map[string]string)["AWS_REGION"] != "aws_region" || cmSecret {
			t.Errorf("cloud %v, configMap %v (secret %t)", cloud, cm, cmSecret)
		}
		if sec.(map[string]string)["AWS_SECRET_ACCESS_KEY"] != "s3cr3t" || !secSecret {
			t.Errorf("secret %v (secret %t)", sec, secSecret)
		}
		if len(ssh.(map[string]string)) != 0 || !sshSecret {
			t.Errorf("sshKeySecret %v (secret %t)", ssh, sshSecret)
		}
		// A resource registered with the output as input depends on the
		// rule.
		var user pulumi.CustomResourceState
		if err := ctx.RegisterResource("test:index:User", "user", pulumi.Map{"cm": o.ConfigMap}, &user); err != nil {
			return err
		}
		if got := o.With(pulumi.Map{"ruleIds": pulumi.StringArray{}}); len(got) != 5 {
			t.Errorf("With: %v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	user := m.Get(t, "test:index:User", "user")
	rule := m.Get(t, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rule")
	if !slices.Contains(user.Dependencies, rule.URN) {
		t.Errorf("a resource given the configMap output does not depend on the rule: %v", user.Dependencies)
	}
}
