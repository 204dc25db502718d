package components_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components"
	"github.com/peerpods/provisioner/internal/pulumitest"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func awsValues() components.Values {
	cm := components.DefaultSettings(components.AWS).ConfigMap(components.AWS)
	for _, k := range []string{"AWS_REGION", "AWS_SUBNET_ID", "AWS_VPC_ID", "AWS_SG_IDS", "PODVM_INSTANCE_TYPE", "PODVM_INSTANCE_TYPES", "PODVM_AMI_ID"} {
		cm[k] = strings.ToLower(k)
	}
	return components.Values{
		Cloud:     components.AWS,
		ConfigMap: components.PlainMap(cm),
		Secret: pulumi.StringMap{
			"AWS_ACCESS_KEY_ID":     pulumi.String("AKIAEXAMPLE"),
			"AWS_SECRET_ACCESS_KEY": pulumi.String("s3cr3t"),
		},
	}
}

// runHandoff registers a Kubernetes provider (unless noProvider) and a
// ClusterHandoff for values.
func runHandoff(t *testing.T, values components.Values, noProvider bool) (*pulumitest.Mocks, error) {
	t.Helper()
	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		var opts []pulumi.ResourceOption
		if !noProvider {
			k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
			if err != nil {
				return err
			}
			opts = append(opts, pulumi.Providers(k8s))
		}
		_, err := components.NewClusterHandoff(ctx, "handoff", components.ClusterHandoffArgs{Values: values}, opts...)
		return err
	})
	return m, err
}

func TestClusterHandoffWritesExactObjects(t *testing.T) {
	values := awsValues()
	m, err := runHandoff(t, values, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kubernetes:core/v1:ConfigMap handoff-peer-pods-cm",
		"kubernetes:core/v1:Namespace handoff-openshift-sandboxed-containers-operator",
		"kubernetes:core/v1:Secret handoff-peer-pods-secret",
		"peerpods:components:ClusterHandoff handoff",
		"pulumi:providers:kubernetes k8s",
	}
	if got := m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("registered %v\nwant %v", got, want)
	}
	comp := m.Get(t, components.ClusterHandoffType, "handoff")
	prov := m.Get(t, "pulumi:providers:kubernetes", "k8s")

	// The namespace is created when missing, never deleted, and first.
	ns := m.Get(t, "kubernetes:core/v1:Namespace", "handoff-openshift-sandboxed-containers-operator")
	if !ns.Retain || ns.Inputs["metadata"].ObjectValue()["name"].StringValue() != "openshift-sandboxed-containers-operator" {
		t.Errorf("namespace %v retain %v", ns.Inputs, ns.Retain)
	}
	if _, labelled := ns.Inputs["metadata"].ObjectValue()["labels"]; labelled {
		t.Error("the operator's namespace gets our label")
	}
	cm := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm")
	if cm.Parent != comp.URN || cm.Provider != prov.Ref() {
		t.Errorf("ConfigMap parent %s provider %s", cm.Parent, cm.Provider)
	}
	if cm.Retain || !slices.Contains(cm.Dependencies, ns.URN) {
		t.Errorf("ConfigMap retain %v dependencies %v", cm.Retain, cm.Dependencies)
	}
	meta := cm.Inputs["metadata"].ObjectValue()
	if meta["name"].StringValue() != "peer-pods-cm" || meta["namespace"].StringValue() != "openshift-sandboxed-containers-operator" {
		t.Errorf("ConfigMap metadata %v", meta)
	}
	if l := meta["labels"].ObjectValue()["app.kubernetes.io/managed-by"]; l.StringValue() != "peerpods" {
		t.Errorf("ConfigMap label %v", l)
	}
	data := map[string]string{}
	for k, v := range cm.Inputs["data"].ObjectValue() {
		data[string(k)] = v.StringValue()
	}
	wantData := map[string]string{
		"CLOUD_PROVIDER": "aws", "VXLAN_PORT": "9000", "PROXY_TIMEOUT": "5m", "PEERPODS_LIMIT_PER_NODE": "10",
		"ROOT_VOLUME_SIZE": "6",
		"AWS_REGION":       "aws_region", "AWS_SUBNET_ID": "aws_subnet_id", "AWS_VPC_ID": "aws_vpc_id", "AWS_SG_IDS": "aws_sg_ids",
		"PODVM_INSTANCE_TYPE": "podvm_instance_type", "PODVM_INSTANCE_TYPES": "podvm_instance_types", "PODVM_AMI_ID": "podvm_ami_id",
	}
	if !reflect.DeepEqual(data, wantData) {
		t.Errorf("ConfigMap data %v\nwant %v", data, wantData)
	}

	sec := m.Get(t, "kubernetes:core/v1:Secret", "handoff-peer-pods-secret")
	if sec.Parent != comp.URN || sec.Provider != prov.Ref() {
		t.Errorf("Secret parent %s provider %s", sec.Parent, sec.Provider)
	}
	if sec.Inputs["metadata"].ObjectValue()["name"].StringValue() != "peer-pods-secret" || sec.Inputs["type"].StringValue() != "Opaque" {
		t.Errorf("Secret %v", sec.Inputs)
	}
	if _, ok := sec.Inputs["stringData"]; ok {
		t.Error("the Secret uses stringData, whose keys server-side apply cannot remove")
	}
	sd := sec.Inputs["data"]
	if !sd.IsSecret() {
		t.Fatalf("data is not secret: %v", sd)
	}
	got := sd.SecretValue().Element.ObjectValue()
	if len(got) != 2 || got["AWS_ACCESS_KEY_ID"].StringValue() != "QUtJQUVYQU1QTEU=" || got["AWS_SECRET_ACCESS_KEY"].StringValue() != "czNjcjN0" {
		t.Errorf("Secret data %v", got)
	}
}

func TestClusterHandoffSSHKeySecret(t *testing.T) {
	values := awsValues()
	values.Cloud = components.Libvirt
	cm := components.DefaultSettings(components.Libvirt).ConfigMap(components.Libvirt)
	for _, k := range []string{"LIBVIRT_POOL", "LIBVIRT_VOL_NAME", "LIBVIRT_DIR_NAME", "LIBVIRT_NET"} {
		cm[k] = "x"
	}
	values.ConfigMap = components.PlainMap(cm)
	values.Secret = components.PlainMap(map[string]string{"CLOUD_PROVIDER": "libvirt", "LIBVIRT_URI": "qemu+ssh://root@h/system", "REDHAT_OFFLINE_TOKEN": "t"})
	values.SSHKey = components.PlainMap(map[string]string{"id_rsa": "PRIVATE", "id_rsa.pub": "ssh-rsa AAA", "known_hosts": "h ssh-ed25519 AAA"})
	m, err := runHandoff(t, values, false)
	if err != nil {
		t.Fatal(err)
	}
	ssh := m.Get(t, "kubernetes:core/v1:Secret", "handoff-ssh-key-secret")
	if ssh.Inputs["metadata"].ObjectValue()["name"].StringValue() != "ssh-key-secret" {
		t.Errorf("name %v", ssh.Inputs["metadata"])
	}
	if sd := ssh.Inputs["data"]; !sd.IsSecret() || sd.SecretValue().Element.ObjectValue()["id_rsa"].StringValue() != "UFJJVkFURQ==" {
		t.Errorf("ssh-key-secret data not secret or wrong: %v", sd)
	}
}

func TestClusterHandoffRefusesBadInputAndRegistersNothing(t *testing.T) {
	missingSecret := awsValues()
	delete(missingSecret.Secret, "AWS_SECRET_ACCESS_KEY")
	unknownKey := awsValues()
	unknownKey.ConfigMap["AWS_SG_ID"] = pulumi.String("sg-1")
	missingCM := awsValues()
	delete(missingCM.ConfigMap, "AWS_VPC_ID")
	sshForAWS := awsValues()
	sshForAWS.SSHKey = pulumi.StringMap{"id_rsa": pulumi.String("k")}
	azureNoSSH := awsValues()
	azureNoSSH.Cloud = components.Azure

	cases := []struct {
		name       string
		values     components.Values
		noProvider bool
		want       string
	}{
		{"missing secret", missingSecret, false, "the key AWS_SECRET_ACCESS_KEY is missing for aws, and it is required (operator)"},
		{"unknown key", unknownKey, false, "do not read the key AWS_SG_ID"},
		{"missing ConfigMap key", missingCM, false, "the key AWS_VPC_ID is missing"},
		{"ssh key for aws", sshForAWS, false, "ssh-key-secret: aws does not use it"},
		{"azure without ssh key", azureNoSSH, false, "ssh-key-secret: missing"},
		{"no provider", awsValues(), true, "provider for Kubernetes is not given"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := runHandoff(t, c.values, c.noProvider)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want error containing %q, got %v", c.want, err)
			}
			for _, r := range m.Resources() {
				if r.Type != "pulumi:providers:kubernetes" {
					t.Errorf("registered %s %s on bad input", r.Type, r.Name)
				}
			}
		})
	}
}

// TestClusterHandoffRefusesBadKataConfig checks the KataConfig against
// Kubernetes' rules before anything is registered.
func TestClusterHandoffRefusesBadKataConfig(t *testing.T) {
	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = components.NewClusterHandoff(ctx, "handoff", components.ClusterHandoffArgs{Values: awsValues(),
			Options: components.HandoffOptions{KataConfig: &components.KataConfigOptions{Name: "Cluster_KataConfig"}}}, pulumi.Provider(k8s))
		return err
	})
	pulumitest.RequireInputError(t, err, "kataConfig.name", "such as cluster-kataconfig")
	for _, r := range m.Resources() {
		if r.Type != "pulumi:providers:kubernetes" {
			t.Errorf("registered %s %s on bad input", r.Type, r.Name)
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
		out = components.RulesOutput([]components.Rule{{
			Name: "r", ID: pulumi.ID("sgr-1").ToIDOutput(), Target: "sg-1",
			Ports: components.DefaultSettings(components.AWS).Ports()[:1],
		}})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := pulumitest.Await(t, out.ToArrayOutput())
	want := []any{map[string]any{"name": "r", "id": pulumi.ID("sgr-1"), "target": "sg-1", "ports": []string{"15150/tcp"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rules %#v\nwant %#v", got, want)
	}
}

func TestLibvirtOfflineTokenIsOptional(t *testing.T) {
	cm := components.DefaultSettings(components.Libvirt).ConfigMap(components.Libvirt)
	for _, k := range []string{"LIBVIRT_POOL", "LIBVIRT_VOL_NAME", "LIBVIRT_DIR_NAME", "LIBVIRT_NET"} {
		cm[k] = "x"
	}
	v := components.Values{
		Cloud:     components.Libvirt,
		ConfigMap: components.PlainMap(cm),
		Secret:    components.PlainMap(map[string]string{"CLOUD_PROVIDER": "libvirt", "LIBVIRT_URI": "qemu+ssh://root@h/system"}),
		SSHKey:    components.PlainMap(map[string]string{"id_rsa": "k", "id_rsa.pub": "p", "known_hosts": "h ssh-ed25519 AAA"}),
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
