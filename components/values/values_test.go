package values_test

import (
	"github.com/peerpods/provisioner/components/values"
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/peerpods/provisioner/tests/testkit/valuestest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func awsValues() values.Values { return valuestest.AWS() }

// TestValuesCheckComplete holds the values to the operator's contract:
// each problem is named by its object and key, never by a value.
func TestValuesCheckComplete(t *testing.T) {
	if err := awsValues().CheckComplete(); err != nil {
		t.Fatal(err)
	}
	missingSecret := awsValues()
	delete(missingSecret.Secret, "AWS_SECRET_ACCESS_KEY")
	unknownKey := awsValues()
	unknownKey.ConfigMap["AWS_SG_ID"] = pulumi.String("sg-1")
	wrongObject := awsValues()
	wrongObject.ConfigMap["AWS_ACCESS_KEY_ID"] = pulumi.String("AKIAEXAMPLE")
	missingCM := awsValues()
	delete(missingCM.ConfigMap, "AWS_VPC_ID")
	sshForAWS := awsValues()
	sshForAWS.SSHKey = pulumi.StringMap{"id_rsa": pulumi.String("k")}
	azureNoSSH := awsValues()
	azureNoSSH.Cloud = contract.Azure
	unknownCloud := awsValues()
	unknownCloud.Cloud = "openstack"
	ccoWithSecret := awsValues()
	ccoWithSecret.Identity = contract.IdentityCCO
	workloadNoEnv := awsValues()
	workloadNoEnv.Identity, workloadNoEnv.Secret = contract.IdentityWorkload, nil
	staticWithEnv := awsValues()
	staticWithEnv.OperatorEnv = pulumi.StringMap{"ROLEARN": pulumi.String("arn:aws:iam::1:role/r")}
	gcpWorkload := awsValues()
	gcpWorkload.Cloud, gcpWorkload.Identity = contract.GCP, contract.IdentityWorkload
	cases := []struct {
		name   string
		values values.Values
		want   string
	}{
		{"missing secret", missingSecret, "the key AWS_SECRET_ACCESS_KEY is missing for aws, and it is required (operator)"},
		{"unknown key", unknownKey, "do not read the key AWS_SG_ID"},
		{"key in the wrong object", wrongObject, "peer-pods-cm: the key AWS_ACCESS_KEY_ID belongs in"},
		{"missing ConfigMap key", missingCM, "the key AWS_VPC_ID is missing"},
		{"ssh key for aws", sshForAWS, "ssh-key-secret: aws does not use it"},
		{"azure without ssh key", azureNoSSH, "ssh-key-secret: missing"},
		{"unknown cloud", unknownCloud, `values for unknown cloud "openstack"`},
		{"cco flow with a secret", ccoWithSecret, "the cco flow fills it (the operator skips that flow when the Secret exists), so the stack must write none"},
		{"workload without the operator's env", workloadNoEnv, "the workload flow of aws needs [ROLEARN]"},
		{"static with the operator's env", staticWithEnv, "has [ROLEARN], and the static flow of aws needs []"},
		{"workload on gcp", gcpWorkload, "AWS and Azure only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.values.CheckComplete()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want error containing %q, got %v", c.want, err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error shows a secret value: %v", err)
			}
		})
	}
}

// Without peer-pods-secret, in the CCO and workload flows, the values are
// complete: the operator fills the credentials.
func TestValuesCompleteWithoutSecret(t *testing.T) {
	cco := awsValues()
	cco.Identity, cco.Secret = contract.IdentityCCO, nil
	workload := awsValues()
	workload.Identity, workload.Secret = contract.IdentityWorkload, nil
	workload.OperatorEnv = pulumi.StringMap{"ROLEARN": pulumi.String("arn:aws:iam::1:role/r")}
	for _, v := range []values.Values{cco, workload} {
		if err := v.CheckComplete(); err != nil {
			t.Errorf("%s: %v", v.Identity, err)
		}
	}
}

func TestValuesOutputsAreSecret(t *testing.T) {
	m := &pulumitest.Mocks{}
	var sec, ssh pulumi.StringMapOutput
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		v := awsValues()
		v.SSHKey = pulumi.StringMap{"id_rsa": pulumi.String("k")}
		sec, ssh = v.SecretOutput(), v.SSHKeyOutput()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]pulumi.Output{"secret": sec, "ssh": ssh} {
		if _, secret := pulumitest.Await(t, o); !secret {
			t.Errorf("%s output is not secret", name)
		}
	}
}

func TestRulesOutput(t *testing.T) {
	m := &pulumitest.Mocks{}
	var out pulumi.Array
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		out = values.RulesOutput([]values.Rule{{
			Name: "r", ID: pulumi.ID("sgr-1").ToIDOutput(), Target: "sg-1",
			Ports: common.DefaultSettings(contract.AWS).Ports()[:1],
		}})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := pulumitest.Await(t, out.ToArrayOutput())
	want := []any{map[string]any{"name": "r", "id": pulumi.ID("sgr-1"), "target": "sg-1", "ports": []string{"15150/tcp"}, "adopted": false}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rules %#v\nwant %#v", got, want)
	}
}

func TestLibvirtOfflineTokenIsOptional(t *testing.T) {
	cm := common.DefaultSettings(contract.Libvirt).ConfigMap(contract.Libvirt)
	for _, k := range []string{"LIBVIRT_POOL", "LIBVIRT_VOL_NAME", "LIBVIRT_DIR_NAME", "LIBVIRT_NET"} {
		cm[k] = "x"
	}
	v := values.Values{
		Cloud:     contract.Libvirt,
		ConfigMap: values.PlainMap(cm),
		Secret:    values.PlainMap(map[string]string{"CLOUD_PROVIDER": "libvirt", "LIBVIRT_URI": "qemu+ssh://root@h/system", "LIBVIRT_POOL": "x", "LIBVIRT_VOL_NAME": "x"}),
		SSHKey:    values.PlainMap(map[string]string{"id_rsa": "k", "id_rsa.pub": "p", "known_hosts": "h ssh-ed25519 AAA"}),
	}
	if err := v.Check(true); err != nil || len(v.MissingSecrets()) != 0 {
		t.Fatalf("without REDHAT_OFFLINE_TOKEN: %v, missing %v", err, v.MissingSecrets())
	}
	v.Secret["REDHAT_OFFLINE_TOKEN"] = pulumi.String("t")
	v.Secret["REDHAT_TOKEN"] = pulumi.String("t")
	if err := v.Check(true); err == nil || !strings.Contains(err.Error(), "do not read the key REDHAT_TOKEN") || strings.Contains(err.Error(), "REDHAT_OFFLINE_TOKEN") {
		t.Fatalf("with the token and an unknown key: %v", err)
	}
}
