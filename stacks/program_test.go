package stacks_test

import (
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/stacks"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// Shared with the contract tests, in tests/testkit/stacktest.
const (
	sgA     = stacktest.SGA
	subnetA = stacktest.SubnetA
	vpcA    = stacktest.VPCA
	keyID   = stacktest.KeyID
	secret  = stacktest.Secret
)

var (
	stackConfig = stacktest.StackConfig
	withSecrets = stacktest.WithSecrets
	deploy      = stacktest.Deploy
)

func TestAWSExampleStackWithHandoff(t *testing.T) {
	m, d, err := deploy(t, withSecrets(stackConfig(t, "aws-example")))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		// Static credentials and no AMI: the bucket and vmimport role the
		// operator's image job needs.
		"aws:iam/role:Role peerpods-vmimport",
		"aws:iam/rolePolicy:RolePolicy peerpods-vmimport",
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock peerpods-podvm",
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2 peerpods-podvm",
		"aws:s3/bucketV2:BucketV2 peerpods-podvm",
		"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule peerpods-" + sgA + "-kata-agent-tcp",
		"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule peerpods-" + sgA + "-tunnel-tcp",
		"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule peerpods-" + sgA + "-tunnel-udp",
		"kubernetes:core/v1:ConfigMap handoff-peer-pods-cm",
		"kubernetes:core/v1:Namespace handoff-openshift-sandboxed-containers-operator",
		"kubernetes:core/v1:Secret handoff-peer-pods-secret",
		"peerpods:aws:PeerPods peerpods",
		"peerpods:components:ClusterHandoff handoff",
		"pulumi:providers:aws aws",
		"pulumi:providers:kubernetes cluster",
	}
	if got := m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("graph %v\nwant %v", got, want)
	}

	awsProv := m.Get(t, "pulumi:providers:aws", "aws")
	if awsProv.Inputs["region"].StringValue() != "us-east-2" {
		t.Errorf("aws provider %v", awsProv.Inputs)
	}
	k8s := m.Get(t, "pulumi:providers:kubernetes", "cluster")
	if kc := k8s.Inputs["kubeconfig"]; !kc.IsSecret() {
		t.Errorf("kubeconfig is not secret: %v", kc)
	}
	for _, k := range []string{"enableConfigMapMutable", "enableSecretMutable"} {
		if v := k8s.Inputs[resource.PropertyKey(k)]; !v.IsString() && !v.IsBool() {
			t.Errorf("kubernetes provider %s = %v", k, v)
		}
	}
	comp := m.Get(t, "peerpods:aws:PeerPods", "peerpods")
	handoff := m.Get(t, "peerpods:components:ClusterHandoff", "handoff")
	// DependsOn the component waits for all of its children: every rule
	// exists before the operator is told to use the network.
	// So do the bucket and role of the image job.
	var ruleURNs []string
	for _, r := range m.Resources() {
		if r.Parent != comp.URN || !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		ruleURNs = append(ruleURNs, r.URN)
	}
	sort.Strings(ruleURNs)
	if deps := slices.Sorted(slices.Values(handoff.Dependencies)); !reflect.DeepEqual(deps, ruleURNs) {
		t.Errorf("handoff depends on %v\nwant the rules %v", deps, ruleURNs)
	}
	if !contains(handoff.Providers, k8s.Ref()) {
		t.Errorf("handoff providers %v", handoff.Providers)
	}
	for _, r := range m.Resources() {
		// Providers and the stack's reference to itself are the
		// program's own, at the top (the engine parents them to the stack).
		if r.Type != "pulumi:providers:aws" && r.Type != "pulumi:providers:kubernetes" && r.Parent == "" {
			t.Errorf("%s %s has no parent", r.Type, r.Name)
		}
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") && r.Provider == "" {
			t.Errorf("%s %s uses a default provider", r.Type, r.Name)
		}
	}

	cm := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm").Inputs["data"].Mappable()
	wantCM := map[string]any{
		"CLOUD_PROVIDER": "aws", "VXLAN_PORT": "9000", "PROXY_TIMEOUT": "5m", "PEERPODS_LIMIT_PER_NODE": "10",
		"ROOT_VOLUME_SIZE": "6", "TAGS": "team=platform",
		"AWS_REGION": "us-east-2", "AWS_SUBNET_ID": subnetA, "AWS_VPC_ID": vpcA, "AWS_SG_IDS": sgA,
		"PODVM_INSTANCE_TYPE": "t3.medium", "PODVM_INSTANCE_TYPES": "t2.small,t2.medium,t3.medium,t3.large",
	}
	// The bucket's name, as AWS gives it (the mocks' ID of the bucket).
	if b, _ := cm.(map[string]any)["BUCKET_NAME"].(string); strings.HasPrefix(b, "peerpods-podvm") {
		wantCM["BUCKET_NAME"] = b
	}
	if !reflect.DeepEqual(cm, wantCM) {
		t.Errorf("peer-pods-cm %v\nwant %v", cm, wantCM)
	}
	sd := m.Get(t, "kubernetes:core/v1:Secret", "handoff-peer-pods-secret").Inputs["data"]
	if !sd.IsSecret() || !reflect.DeepEqual(sd.SecretValue().Element.Mappable(), map[string]any{"AWS_ACCESS_KEY_ID": b64(keyID), "AWS_SECRET_ACCESS_KEY": b64(secret)}) {
		t.Errorf("peer-pods-secret %v", sd)
	}

	outs := await(t, d.Outputs)
	if got := keys(outs); !reflect.DeepEqual(got, []string{"bucketName", "cloud", "cluster", "configMap", "discovered", "handoff", "operatorLine", "rules", "secret"}) {
		t.Errorf("outputs %v", got)
	}
	if outs["cloud"].value != "aws" || !reflect.DeepEqual(toAny(outs["configMap"].value), wantCM) {
		t.Errorf("cloud/configMap outputs %v %v", outs["cloud"].value, outs["configMap"].value)
	}
	if !outs["secret"].secret || outs["configMap"].secret || outs["rules"].secret {
		t.Errorf("secretness: secret %v configMap %v rules %v", outs["secret"].secret, outs["configMap"].secret, outs["rules"].secret)
	}
	rules := outs["rules"].value.([]any)
	if len(rules) != 3 || rules[0].(map[string]any)["target"] != sgA || rules[0].(map[string]any)["id"] == "" {
		t.Errorf("rules output %v", rules)
	}
	wantHandoff := map[string]any{"mode": "cluster", "namespace": "openshift-sandboxed-containers-operator", "objects": []string{"Namespace/openshift-sandboxed-containers-operator", "ConfigMap/peer-pods-cm", "Secret/peer-pods-secret"}}
	if !reflect.DeepEqual(outs["handoff"].value, wantHandoff) {
		t.Errorf("handoff output %v", outs["handoff"].value)
	}
}

// TestPlacementTaintsGraph: a placement with taints on an AWS stack adds,
// next to the node's NodePatch, its NodeTaints, served by a peerpods
// provider of the program ("cluster", no libvirt settings) configured
// with peerpods:kubeconfig as a secret; the NodeTaints' inputs are the
// node and its taints only, it is the handoff's child, and the handoff
// gets both providers. (Without taints there is no such provider:
// TestAWSExampleStackWithHandoff.)
func TestPlacementTaintsGraph(t *testing.T) {
	cfg := withSecrets(stackConfig(t, "aws-example"))
	cfg.Values["peerpods:kubeContext"] = "c"
	cfg.Values["peerpods:kubeconfig"] = stacktest.Kubeconfig + "contexts:\n- name: c\n  context: {cluster: c}\ncurrent-context: c\n"
	cfg.Values["peerpods:placement"] = `{"hostedControlPlane":[{"nodes":["infra-0"],"controlPlane":true,"cluster":"clusters-hcp1"}]}`
	m, _, err := deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var handoffGraph []string
	for _, s := range m.Summary() {
		if strings.Contains(s, "handoff") || strings.HasPrefix(s, "pulumi:providers:") {
			handoffGraph = append(handoffGraph, s)
		}
	}
	want := []string{
		"kubernetes:core/v1:ConfigMap handoff-peer-pods-cm",
		"kubernetes:core/v1:Namespace handoff-openshift-sandboxed-containers-operator",
		"kubernetes:core/v1:NodePatch handoff-infra-0",
		"kubernetes:core/v1:Secret handoff-peer-pods-secret",
		"peerpods:components:ClusterHandoff handoff",
		"peerpods:kubernetes:NodeTaints handoff-infra-0",
		"pulumi:providers:aws aws",
		"pulumi:providers:kubernetes cluster",
		"pulumi:providers:peerpods cluster",
	}
	if !reflect.DeepEqual(handoffGraph, want) {
		t.Fatalf("graph %v\nwant %v", handoffGraph, want)
	}
	pp := m.Get(t, "pulumi:providers:peerpods", "cluster")
	if kc := pp.Inputs["kubeconfig"]; !kc.IsSecret() || kc.SecretValue().Element.StringValue() != cfg.Values["peerpods:kubeconfig"] {
		t.Errorf("the peerpods provider's kubeconfig is not peerpods:kubeconfig as a secret")
	}
	if c := pp.Inputs["kubeContext"]; !c.IsString() || c.StringValue() != "c" {
		t.Errorf("the peerpods provider's kubeContext %v", c)
	}
	for _, k := range []resource.PropertyKey{"uri", "privateKey", "hostKey"} {
		if v, ok := pp.Inputs[k]; ok {
			t.Errorf("the peerpods provider has the libvirt setting %s = %v", k, v)
		}
	}
	h := m.Get(t, "peerpods:components:ClusterHandoff", "handoff")
	k8s := m.Get(t, "pulumi:providers:kubernetes", "cluster")
	if pp.Parent != k8s.Parent {
		t.Errorf("the peerpods provider has parent %s, want the program's (%s), as the Kubernetes provider", pp.Parent, k8s.Parent)
	}
	if !contains(h.Providers, k8s.Ref()) || !contains(h.Providers, pp.Ref()) {
		t.Errorf("handoff providers %v, want the kubernetes and peerpods ones", h.Providers)
	}
	nt := m.Get(t, "peerpods:kubernetes:NodeTaints", "handoff-infra-0")
	if nt.Parent != h.URN || nt.Provider != pp.Ref() {
		t.Errorf("NodeTaints parent %s provider %s, want %s and %s", nt.Parent, nt.Provider, h.URN, pp.Ref())
	}
	wantInputs := map[string]any{"node": "infra-0", "taints": []any{
		map[string]any{"key": "hypershift.openshift.io/cluster", "value": "clusters-hcp1", "effect": "NoSchedule"},
		map[string]any{"key": "hypershift.openshift.io/control-plane", "value": "true", "effect": "NoSchedule"},
	}}
	if got := nt.Inputs.Mappable(); !reflect.DeepEqual(got, wantInputs) {
		t.Errorf("NodeTaints inputs %v\nwant %v", got, wantInputs)
	}
}

func TestHandoffOffKeepsValuesAsOutputs(t *testing.T) {
	cfg := stackConfig(t, "aws-example")
	cfg["peerpods:handoff"] = "off"
	// No kubeconfig and no credentials: fine when nothing goes to a cluster.
	m, d, err := deploy(t, pulumitest.Config{Values: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Summary() {
		if strings.Contains(s, "kubernetes") || strings.Contains(s, "Handoff") {
			t.Errorf("handoff off registered %s", s)
		}
	}
	if len(m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) != 3 {
		t.Errorf("rules: %v", m.Summary())
	}
	outs := await(t, d.Outputs)
	if toAny(outs["configMap"].value)["AWS_SG_IDS"] != sgA || !outs["secret"].secret {
		t.Errorf("outputs %v", outs)
	}
	if outs["handoff"].value.(map[string]any)["mode"] != "off" {
		t.Errorf("handoff output %v", outs["handoff"].value)
	}

	// With credentials, they are still stack outputs (as secrets).
	cfg = stackConfig(t, "aws-example")
	cfg["peerpods:handoff"] = "off"
	_, d, err = deploy(t, withSecrets(cfg))
	if err != nil {
		t.Fatal(err)
	}
	outs = await(t, d.Outputs)
	if !outs["secret"].secret || toAny(outs["secret"].value)["AWS_SECRET_ACCESS_KEY"] != secret {
		t.Errorf("secret output %v", outs["secret"])
	}
}

func TestBadInputRegistersNothing(t *testing.T) {
	cases := []struct {
		name    string
		change  func(map[string]string)
		plain   []string // secret keys stored in plain text
		setting string
		fix     string
		stack   string // default aws-example
	}{
		{"no cloud", func(c map[string]string) { delete(c, "peerpods:cloud"); c["peerpods:discover"] = "false" }, nil, "peerpods:cloud", `"aws"`, ""},
		{"unknown cloud", func(c map[string]string) { c["peerpods:cloud"] = "openstack" }, nil, "peerpods:cloud", `"aws", "azure", "gcp", "libvirt"`, ""},
		{"unknown handoff", func(c map[string]string) { c["peerpods:handoff"] = "yes" }, nil, "peerpods:handoff", `"off"`, ""},
		{"port 0", func(c map[string]string) { c["peerpods:tunnelPort"] = "0" }, nil, "peerpods:tunnelPort", "1 to 65535", ""},
		{"port 65536", func(c map[string]string) { c["peerpods:tunnelPort"] = "65536" }, nil, "peerpods:tunnelPort", "1 to 65535", ""},
		{"port not a number", func(c map[string]string) { c["peerpods:tunnelPort"] = "ninethousand" }, nil, "peerpods:tunnelPort", "default 9000", ""},
		{"bad protocol", func(c map[string]string) { c["peerpods:tunnelProtocols"] = `["tcp","icmp"]` }, nil, "peerpods:tunnelProtocols", "udp", ""},
		{"limit 0", func(c map[string]string) { c["peerpods:limitPerNode"] = "0" }, nil, "peerpods:limitPerNode", "at least 1", ""},
		{"root volume 5", func(c map[string]string) { c["peerpods:rootVolumeSize"] = "5" }, nil, "peerpods:rootVolumeSize", "at least 6", ""},
		{"disableCvm is the operator's", func(c map[string]string) { c["peerpods:disableCvm"] = "false" }, nil, "peerpods:disableCvm", "osc-feature-gates", ""},
		{"peerPodConfig is gone in 1.10", func(c map[string]string) { c["peerpods:peerPodConfig"] = "{}" }, nil, "peerpods:peerPodConfig", "limitPerNode", ""},
		{"unknown extra key", func(c map[string]string) { c["peerpods:extra"] = `{"USE_PUBLIC_IPS":"true"}` }, nil, "peerpods:extra.USE_PUBLIC_IPS", "USE_PUBLIC_IP", ""},
		{"extra key with its own setting", func(c map[string]string) { c["peerpods:extra"] = `{"AWS_REGION":"us-east-1"}` }, nil, "peerpods:extra.AWS_REGION", "aws.region", ""},
		{"extra value of the wrong format", func(c map[string]string) { c["peerpods:extra"] = `{"USE_PUBLIC_IP":"yes"}` }, nil, "peerpods:extra.USE_PUBLIC_IP", `"true" or "false"`, ""},
		{"extra value with white space", func(c map[string]string) { c["peerpods:extra"] = `{"PODVM_LAUNCHTEMPLATE_NAME":"my template"}` }, nil, "peerpods:extra.PODVM_LAUNCHTEMPLATE_NAME", "without white space", ""},
		{"initdata not encoded", func(c map[string]string) { c["peerpods:initdata"] = "algorithm = \"sha256\"" }, nil, "peerpods:initdata", "initdataFile", ""},
		{"initdata and initdataFile", func(c map[string]string) { c["peerpods:initdata"] = "x"; c["peerpods:initdataFile"] = "y" }, nil, "peerpods:initdata", "only one", ""},
		{"initdataFile missing", func(c map[string]string) { c["peerpods:initdataFile"] = "/nonexistent/initdata.toml" }, nil, "peerpods:initdataFile", "path", ""},
		{"instance type not listed", func(c map[string]string) {
			c["peerpods:aws"] = `{"instanceId":"i-0123456789abcdef0","podvmInstanceType":"m5.large"}`
		}, nil, "peerpods:aws.podvmInstanceType", "podvmInstanceTypes", ""},
		{"bad timeout", func(c map[string]string) { c["peerpods:proxyTimeout"] = "5" }, nil, "peerpods:proxyTimeout", "duration", ""},
		{"both discovery ways", func(c map[string]string) { c["peerpods:aws"] = `{"infraId":"c-x7k2p","instanceId":"i-01234567"}` }, nil, "peerpods:aws.instanceId", "only one", ""},
		// Without reading the cluster (which has the infrastructure name).
		{"no discovery way", func(c map[string]string) {
			c["peerpods:aws"], c["peerpods:discover"] = `{"region":"us-east-2"}`, "false"
		}, nil, "peerpods:aws", "aws.infraId", ""},
		{"empty instance id", func(c map[string]string) { c["peerpods:aws"] = `{"instanceId":"i-"}` }, nil, "peerpods:aws.instanceId", "hex digits", ""},
		{"malformed subnet", func(c map[string]string) { c["peerpods:aws"] = `{"infraId":"c-x7k2p","subnetId":"subnet-zz"}` }, nil, "peerpods:aws.subnetId", "subnet ID", ""},
		{"duplicate groups", func(c map[string]string) {
			c["peerpods:aws"] = `{"infraId":"c-x7k2p","securityGroupIds":["` + sgA + `","` + sgA + `"]}`
		}, nil, "peerpods:aws.securityGroupIds", "once", ""},
		{"misspelt setting", func(c map[string]string) { c["peerpods:aws"] = `{"infraId":"c-x7k2p","subnet":"subnet-01234567"}` }, nil, "peerpods:aws.subnet", "did you mean subnetId?", ""},
		{"wrong case", func(c map[string]string) { c["peerpods:aws"] = `{"infraId":"c-x7k2p","subnetID":"subnet-01234567"}` }, nil, "peerpods:aws.subnetID", "did you mean subnetId?", ""},
		{"not an object", func(c map[string]string) { c["peerpods:aws"] = `c-x7k2p` }, nil, "peerpods:aws", "example stack files", ""},
		{"wrong type", func(c map[string]string) {
			c["peerpods:aws"] = `{"infraId":"c-x7k2p","securityGroupIds":"sg-01234567"}`
		}, nil, "peerpods:aws.securityGroupIds", "settings.schema.json", ""},
		{"bad region", func(c map[string]string) { c["peerpods:aws"] = `{"infraId":"c-x7k2p","region":"ohio"}` }, nil, "peerpods:aws.region", "us-east-2", ""},
		{"missing access key", func(c map[string]string) { delete(c, "peerpods:awsAccessKeyId") }, nil, "peerpods:awsAccessKeyId", "--secret awsAccessKeyId", ""},
		{"missing secret key", func(c map[string]string) { delete(c, "peerpods:awsSecretAccessKey") }, nil, "peerpods:awsSecretAccessKey", "handoff to off", ""},
		{"missing kubeconfig", func(c map[string]string) { delete(c, "peerpods:kubeconfig") }, nil, "peerpods:kubeconfig", "--secret kubeconfig", ""},
		{"kubeconfig path", func(c map[string]string) { c["peerpods:kubeconfig"] = "/root/.kube/config" }, nil, "peerpods:kubeconfig", "contents, not its path", ""},
		// client-go's loader, not a word in the text, decides.
		{"kubeconfig that mentions clusters", func(c map[string]string) { c["peerpods:kubeconfig"] = "clusters: [" }, nil, "peerpods:kubeconfig", "contents, not its path", ""},
		{"kubeconfig without clusters", func(c map[string]string) { c["peerpods:kubeconfig"] = "apiVersion: v1\nkind: Config\nclusters: []\n" }, nil, "peerpods:kubeconfig", "contents, not its path", ""},
		{"plain-text secret", func(map[string]string) {}, []string{"peerpods:awsSecretAccessKey"}, "peerpods:awsSecretAccessKey", "--secret awsSecretAccessKey", ""},
		{"azure: plain-text client secret", func(map[string]string) {}, []string{"peerpods:azureClientSecret"}, "peerpods:azureClientSecret", "--secret azureClientSecret", "azure-worker-subnet"},
		{"azure: missing tenant", func(c map[string]string) { delete(c, "peerpods:azureTenantId") }, nil, "peerpods:azureTenantId", "--secret azureTenantId", "azure-worker-subnet"},
		{"azure: bad subscription", func(c map[string]string) { c["peerpods:azure"] = `{"resourceGroup":"rg","subscriptionId":"prod"}` }, nil, "peerpods:azure.subscriptionId", "GUID", "azure-worker-subnet"},
		{"azure: no resource group", func(c map[string]string) {
			c["peerpods:azure"], c["peerpods:discover"] = `{"outbound":"peer-vnet"}`, "false"
		}, nil, "peerpods:azure.resourceGroup", "resource group name", "azure-peer-vnet"},
		{"azure: overlapping peer VNet", func(c map[string]string) {
			c["peerpods:azure"] = `{"resourceGroup":"rg","outbound":"peer-vnet","peerVnet":{"addressPrefix":"10.2.0.0/16"}}`
		}, nil, "peerpods:azure.peerVnet.addressPrefix", "overlaps 10.0.0.0/14", "azure-peer-vnet"},
		{"azure: subnet outside VNet", func(c map[string]string) {
			c["peerpods:azure"] = `{"resourceGroup":"rg","outbound":"peer-vnet","peerVnet":{"subnetPrefix":"192.169.0.0/24"}}`
		}, nil, "peerpods:azure.peerVnet.subnetPrefix", "inside 192.168.0.0/16", "azure-peer-vnet"},
		{"azure: priority clash", func(c map[string]string) {
			c["peerpods:azure"] = `{"resourceGroup":"rg","nsgPriorities":{"kataAgent":111}}`
		}, nil, "peerpods:azure.nsgPriorities.tunnelTcp", "own priority", "azure-worker-subnet"},
		{"azure: misspelt nested setting", func(c map[string]string) {
			c["peerpods:azure"] = `{"resourceGroup":"rg","peerVnet":{"prefix":"192.168.0.0/16"}}`
		}, nil, "peerpods:azure.peerVnet.prefix", "addressPrefix", "azure-peer-vnet"},
		{"azure: bad ssh key", func(c map[string]string) { c["peerpods:sshPrivateKey"] = "ssh-rsa AAAA" }, []string{}, "peerpods:sshPrivateKey", "ssh-keygen", "azure-worker-subnet"},
		{"gcp: key in cco mode", func(c map[string]string) { c["peerpods:identity"] = "cco" }, nil, "peerpods:gcpCredentials", "set peerpods:identity to static", "gcp-example"},
		{"gcp: workload identity", func(c map[string]string) { c["peerpods:identity"] = "workload" }, nil, "peerpods:identity", "AWS and Azure only", "gcp-example"},
		{"unknown identity", func(c map[string]string) { c["peerpods:identity"] = "sts" }, nil, "peerpods:identity", "which is not an identity mode", "gcp-example"},
		{"gcp: open to the world", func(c map[string]string) {
			c["peerpods:gcp"] = `{"projectId":"my-project-1","zone":"us-central1-a","network":"net","sourceRanges":["0.0.0.0/0"]}`
		}, nil, "peerpods:gcp.sourceRanges[0]", "machine network", "gcp-example"},
		{"gcp: credentials not a key file", func(c map[string]string) { c["peerpods:gcpCredentials"] = "/root/key.json" }, nil, "peerpods:gcpCredentials", "< key.json", "gcp-example"},
		{"gcp: plain-text credentials", func(map[string]string) {}, []string{"peerpods:gcpCredentials"}, "peerpods:gcpCredentials", "--secret gcpCredentials", "gcp-example"},
		{"placement: bad node name", func(c map[string]string) {
			c["peerpods:placement"] = `{"hostedControlPlane":[{"nodes":["Node_1"],"infra":true}]}`
		}, nil, "peerpods:placement.hostedControlPlane[0].nodes[0]", "oc get nodes", ""},
		{"placement: kata nodes without pool selector", func(c map[string]string) { c["peerpods:placement"] = `{"kataNodes":["w-0"]}` }, nil,
			"peerpods:placement.kataNodes", "kataConfig.poolSelector", ""},
		{"placement with handoff off", func(c map[string]string) {
			c["peerpods:handoff"] = "off"
			c["peerpods:placement"] = `{"hostedControlPlane":[{"nodes":["n-1"],"infra":true}]}`
		}, nil, "peerpods:handoff", `"manifests"`, ""},
		{"libvirt: handoff without a KVM host", func(c map[string]string) { c["peerpods:handoff"] = "cluster" }, nil, "peerpods:libvirt.host", "peerpods:handoff to off", "libvirt-local"},
		{"libvirt: no image", func(c map[string]string) { c["peerpods:libvirt"] = `{"uri":"qemu:///system"}` }, nil, "peerpods:libvirt.image", "libvirt.capacity", "libvirt-local"},
		{"libvirt: relative pool dir", func(c map[string]string) {
			c["peerpods:libvirt"] = `{"uri":"qemu:///system","dir":"images","capacity":1073741824}`
		}, nil, "peerpods:libvirt.dir", "", "libvirt-local"},
		{"libvirt: pool name with slash", func(c map[string]string) {
			c["peerpods:libvirt"] = `{"uri":"qemu:///system","pool":"a/b","capacity":1073741824}`
		}, nil, "peerpods:libvirt.pool", "without /", "libvirt-local"},
		{"libvirt: no bootstrap credential", func(c map[string]string) { delete(c, "peerpods:libvirtHostPassword") }, nil, "peerpods:libvirtHostPassword", "", "libvirt-example"},
		{"libvirt: plain-text host password", func(map[string]string) {}, []string{"peerpods:libvirtHostPassword"}, "peerpods:libvirtHostPassword", "--secret libvirtHostPassword", "libvirt-example"},
		{"libvirt: extra LIBVIRT_CPU not a number", func(c map[string]string) { c["peerpods:extra"] = `{"LIBVIRT_CPU":"two"}` }, nil, "peerpods:extra.LIBVIRT_CPU", "whole number", "libvirt-example"},
		{"libvirt: extra key of another cloud", func(c map[string]string) { c["peerpods:extra"] = `{"GCP_DISK_TYPE":"pd-ssd"}` }, nil, "peerpods:extra.GCP_DISK_TYPE", "LIBVIRT_CPU", "libvirt-example"},
		{"gcp: empty image name", func(c map[string]string) {
			c["peerpods:gcp"] = `{"projectId":"my-openshift-project","zone":"us-central1-a","network":"n","sourceRanges":["10.0.0.0/16"],"podvmImageName":""}`
		}, nil, "peerpods:gcp.podvmImageName", "remove the setting", "gcp-example"},
		{"gcp: bad subnetwork", func(c map[string]string) {
			c["peerpods:gcp"] = `{"projectId":"my-openshift-project","zone":"us-central1-a","network":"n","sourceRanges":["10.0.0.0/16"],"subnetwork":"Sub Net"}`
		}, nil, "peerpods:gcp.subnetwork", "subnetwork name", "gcp-example"},
		{"gcp: extra disk type", func(c map[string]string) { c["peerpods:extra"] = `{"GCP_DISK_TYPE":"ssd"}` }, nil, "peerpods:extra.GCP_DISK_TYPE", "pd-ssd", "gcp-example"},
		// Every key is known or refused, with the nearest name.
		{"misspelt top-level setting", func(c map[string]string) { c["peerpods:tunelPort"] = "9000" }, nil, "peerpods:tunelPort", "did you mean peerpods:tunnelPort?", ""},
		{"misspelt handoff", func(c map[string]string) { c["peerpods:handof"] = "off" }, nil, "peerpods:handof", "did you mean peerpods:handoff?", ""},
		{"unknown setting", func(c map[string]string) { c["peerpods:colour"] = "blue" }, nil, "peerpods:colour", "remove it", ""},
		{"wrong case top-level", func(c map[string]string) { c["peerpods:TunnelPort"] = "9000" }, nil, "peerpods:TunnelPort", "did you mean peerpods:tunnelPort?", ""},
		{"azure: nested key in another case", func(c map[string]string) {
			c["peerpods:azure"] = `{"resourceGroup":"rg","nsgPriorities":{"KataAgent":300}}`
		}, nil, "peerpods:azure.nsgPriorities.KataAgent", "did you mean kataAgent?", "azure-worker-subnet"},
		{"libvirt: nested host key in another case", func(c map[string]string) {
			c["peerpods:libvirt"] = `{"host":{"address":"kvm1","Port":2222},"image":"/var/tmp/peerpods/podvm.qcow2"}`
		}, nil, "peerpods:libvirt.host.Port", "did you mean port?", "libvirt-example"},
		// An explicit zero is never taken for unset.
		{"azure: priority 0", func(c map[string]string) {
			c["peerpods:azure"] = `{"resourceGroup":"rg","nsgPriorities":{"kataAgent":0}}`
		}, nil, "peerpods:azure.nsgPriorities.kataAgent", "remove it to use the default", "azure-worker-subnet"},
		{"libvirt: port 0", func(c map[string]string) {
			c["peerpods:libvirt"] = `{"host":{"address":"kvm1","port":0},"image":"/var/tmp/peerpods/podvm.qcow2"}`
		}, nil, "peerpods:libvirt.host.port", "would become the default (22)", "libvirt-example"},
		{"gcp: empty firewall name", func(c map[string]string) {
			c["peerpods:gcp"] = `{"projectId":"my-openshift-project","zone":"us-central1-a","network":"n","sourceRanges":["10.0.0.0/16"],"firewallName":""}`
		}, nil, "peerpods:gcp.firewallName", "remove it", "gcp-example"},
		// A secret setting in plain text is refused whatever the cloud and
		// the handoff mode read.
		{"plain-text kubeconfig, handoff off", func(c map[string]string) {
			c["peerpods:handoff"] = "off"
		}, []string{"peerpods:kubeconfig"}, "peerpods:kubeconfig", "--secret kubeconfig", ""},
		{"plain-text ssh key in an AWS stack", func(c map[string]string) { c["peerpods:sshPrivateKey"] = "not-a-key" }, nil, "peerpods:sshPrivateKey", "--secret sshPrivateKey", ""},
		{"plain-text Azure client secret in an AWS stack", func(map[string]string) {}, []string{"peerpods:azureClientSecret"}, "peerpods:azureClientSecret", "--secret azureClientSecret", ""},
		{"plain-text host password in a GCP stack", func(map[string]string) {}, []string{"peerpods:libvirtHostPassword"}, "peerpods:libvirtHostPassword", "--secret libvirtHostPassword", "gcp-example"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stack := c.stack
			if stack == "" {
				stack = "aws-example"
			}
			cfg := withSecrets(stackConfig(t, stack))
			c.change(cfg.Values)
			if c.plain != nil && len(c.plain) == 0 { // a secret set encrypted by the user
				cfg.Secrets = append(cfg.Secrets, "peerpods:sshPrivateKey")
			}
			for _, p := range c.plain {
				cfg.Secrets = without(cfg.Secrets, p)
			}
			m, _, err := deploy(t, cfg)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, c.setting+" ") || !strings.Contains(msg, "fix: ") || !strings.Contains(msg, c.fix) {
				t.Errorf("error does not name %s with a fix containing %q:\n%s", c.setting, c.fix, msg)
			}
			if strings.Contains(msg, secret) || strings.Contains(msg, keyID) {
				t.Errorf("error shows a secret: %s", msg)
			}
			// Every error names a setting a stack file can hold (or the
			// unknown key the stack file has).
			for _, ie := range problems.InputErrors(err) {
				if !stacks.IsSetting(ie.Setting) && !strings.HasPrefix(ie.Problem, "is not a setting") {
					t.Errorf("error names %s, which is no setting", ie.Setting)
				}
			}
			if got := m.Resources(); len(got) != 0 {
				t.Errorf("registered on bad input: %v", m.Summary())
			}
			if got := m.Invokes(); len(got) != 0 {
				t.Errorf("invoked on bad input: %v", got)
			}
		})
	}
}

func TestAllProblemsInOneError(t *testing.T) {
	cfg := withSecrets(stackConfig(t, "aws-example"))
	cfg.Values["peerpods:tunnelPort"] = "0"
	cfg.Values["peerpods:limitPerNode"] = "0"
	delete(cfg.Values, "peerpods:kubeconfig")
	_, _, err := deploy(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "3 invalid settings") {
		t.Fatalf("got %v", err)
	}
}

type outputValue struct {
	value  any
	secret bool
}

func await(t *testing.T, m pulumi.Map) map[string]outputValue {
	t.Helper()
	out := map[string]outputValue{}
	for k, v := range m {
		val, sec := pulumitest.Await(t, pulumi.ToOutput(v))
		out[k] = outputValue{val, sec}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func toAny(v any) map[string]any {
	out := map[string]any{}
	switch m := v.(type) {
	case map[string]string:
		for k, x := range m {
			out[k] = x
		}
	case map[string]any:
		return m
	}
	return out
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// The keys each example stack writes, spelled out (not read from package
// contract, so that a change of the contract shows here too). Operator-owned
// keys (PODVM_AMI_ID, AZURE_IMAGE_ID, PODVM_IMAGE_NAME, DISABLECVM, INITDATA)
// are absent: no example sets them.
var (
	commonCM    = []string{"CLOUD_PROVIDER", "VXLAN_PORT", "PROXY_TIMEOUT", "PEERPODS_LIMIT_PER_NODE"}
	awsCM       = append(slices.Clone(commonCM), "ROOT_VOLUME_SIZE", "TAGS", "AWS_REGION", "AWS_SUBNET_ID", "AWS_VPC_ID", "AWS_SG_IDS", "PODVM_INSTANCE_TYPE", "PODVM_INSTANCE_TYPES", "BUCKET_NAME")
	azureCM     = append(slices.Clone(commonCM), "ROOT_VOLUME_SIZE", "AZURE_REGION", "AZURE_RESOURCE_GROUP", "AZURE_SUBNET_ID", "AZURE_NSG_ID", "AZURE_INSTANCE_SIZE", "AZURE_INSTANCE_SIZES")
	gcpCM       = append(slices.Clone(commonCM), "ROOT_VOLUME_SIZE", "GCP_PROJECT_ID", "GCP_ZONE", "GCP_NETWORK", "GCP_MACHINE_TYPE")
	libvirtCM   = append(slices.Clone(commonCM), "LIBVIRT_POOL", "LIBVIRT_VOL_NAME", "LIBVIRT_DIR_NAME", "LIBVIRT_NET", "LIBVIRT_IMAGE_ID")
	azureSecret = []string{"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"}
)

// TestExampleStacks runs every example stack file with its secrets, handoff
// on, and checks exactly which keys go where, the right objects, and that
// the stack leaves the operator's keys alone.
func TestExampleStacks(t *testing.T) {
	for _, tc := range []struct {
		stack, cloud string
		rules        int
		objects      []string
		cm, secret   []string
		ssh          []string
		line         string // peerpods:operatorVersion; empty: none (the newest line)
	}{
		{"aws-example", "aws", 3, []string{"openshift-sandboxed-containers-operator", "peer-pods-cm", "peer-pods-secret"},
			awsCM, []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, nil, ""},
		// Azure's cloud-api-adaptor reads ssh-key-secret on 1.10 only.
		{"azure-worker-subnet", "azure", 3, []string{"openshift-sandboxed-containers-operator", "peer-pods-cm", "peer-pods-secret"},
			azureCM, azureSecret, nil, ""},
		{"azure-worker-subnet", "azure", 3, []string{"openshift-sandboxed-containers-operator", "peer-pods-cm", "peer-pods-secret", "ssh-key-secret"},
			azureCM, azureSecret, []string{"id_rsa", "id_rsa.pub"}, "1.10"},
		{"azure-peer-vnet", "azure", 3, []string{"openshift-sandboxed-containers-operator", "peer-pods-cm", "peer-pods-secret"},
			azureCM, azureSecret, nil, "1.11.0"},
		{"gcp-example", "gcp", 1, []string{"openshift-sandboxed-containers-operator", "peer-pods-cm", "peer-pods-secret"},
			gcpCM, []string{"GCP_CREDENTIALS"}, nil, ""},
		{"libvirt-example", "libvirt", 0, []string{"openshift-sandboxed-containers-operator", "peer-pods-cm", "peer-pods-secret", "ssh-key-secret"},
			libvirtCM, []string{"CLOUD_PROVIDER", "LIBVIRT_POOL", "LIBVIRT_URI", "LIBVIRT_VOL_NAME", "REDHAT_OFFLINE_TOKEN"}, []string{"id_rsa", "id_rsa.pub", "known_hosts"}, ""},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			cfg := stackConfig(t, tc.stack)
			stacktest.Fixup(t, tc.stack, cfg)
			if tc.line != "" {
				cfg["peerpods:operatorVersion"] = tc.line
			}
			m, d, err := deploy(t, withSecrets(cfg))
			if err != nil {
				t.Fatal(err)
			}
			cm := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm").Inputs["data"].Mappable().(map[string]any)
			if got := sortedKeys(cm); !reflect.DeepEqual(got, sorted(tc.cm)) {
				t.Errorf("peer-pods-cm keys %v\nwant %v", got, sorted(tc.cm))
			}
			if cm["CLOUD_PROVIDER"] != tc.cloud {
				t.Errorf("CLOUD_PROVIDER %v", cm["CLOUD_PROVIDER"])
			}
			sd := m.Get(t, "kubernetes:core/v1:Secret", "handoff-peer-pods-secret").Inputs["data"]
			if !sd.IsSecret() {
				t.Fatal("peer-pods-secret data is not secret")
			}
			wantSecret := sorted(tc.secret)
			if got := sortedKeys(sd.SecretValue().Element.Mappable().(map[string]any)); !reflect.DeepEqual(got, wantSecret) {
				t.Errorf("peer-pods-secret keys %v\nwant %v", got, wantSecret)
			}
			var objects []string
			for _, r := range m.Resources() {
				if strings.HasPrefix(r.Type, "kubernetes:core/v1:") {
					objects = append(objects, r.Inputs["metadata"].ObjectValue()["name"].StringValue())
				}
				if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") && (r.Provider == "" || r.Parent == "") {
					t.Errorf("%s %s: provider %q parent %q", r.Type, r.Name, r.Provider, r.Parent)
				}
			}
			if sort.Strings(objects); !reflect.DeepEqual(objects, tc.objects) {
				t.Errorf("objects %v, want %v", objects, tc.objects)
			}
			if ssh, ok := d.Outputs["sshKeySecret"]; ok != (tc.ssh != nil) {
				t.Errorf("sshKeySecret output present %v", ok)
			} else if ok {
				if _, secret := pulumitest.Await(t, pulumi.ToOutput(ssh)); !secret {
					t.Error("sshKeySecret output is not secret")
				}
			}
			extra := map[string]string{"libvirt": "knownHosts", "azure": "outboundIp"}[tc.cloud]
			if _, ok := d.Outputs[extra]; extra != "" && !ok {
				t.Errorf("no %s output", extra)
			}
			if len(d.Rules) != tc.rules {
				t.Errorf("%d rules", len(d.Rules))
			}
			handoff := m.Get(t, "peerpods:components:ClusterHandoff", "handoff")
			if len(handoff.Dependencies) != len(d.Values.Ready) || len(d.Values.Ready) < max(tc.rules, 1) {
				t.Errorf("handoff waits for %d resources, the cloud made %d ready", len(handoff.Dependencies), len(d.Values.Ready))
			}
			// peer-pods-cm itself waits for them (the program passes no
			// pulumi.DependsOn: the handoff's Args carry them).
			cmDeps := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm").Dependencies
			for _, dep := range handoff.Dependencies {
				if !slices.Contains(cmDeps, dep) {
					t.Errorf("peer-pods-cm does not wait for %s: %v", dep, cmDeps)
				}
			}
		})
	}
}

func sortedKeys(m map[string]any) []string { return keys(m) }

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// TestLibvirtLocalStack runs the libvirt-local stack file (handoff off): the
// providers (the stack's, and the instance configured for the host's
// libvirtd), pool and volume, and the libvirt values as outputs.
func TestLibvirtLocalStack(t *testing.T) {
	cfg := stackConfig(t, "libvirt-local")
	stacktest.Fixup(t, "libvirt-local", cfg)
	m, d, err := deploy(t, pulumitest.Config{Values: cfg})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"peerpods:libvirt:PeerPods peerpods",
		"peerpods:libvirt:StoragePool peerpods-pool",
		"peerpods:libvirt:StorageVolume peerpods-volume",
		"pulumi:providers:peerpods peerpods",
		"pulumi:providers:peerpods peerpods-libvirt",
	}
	if got := m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("graph %v\nwant %v", got, want)
	}
	outs := await(t, d.Outputs)
	cm := toAny(outs["configMap"].value)
	if cm["LIBVIRT_POOL"] != "peerpods-local" || cm["LIBVIRT_DIR_NAME"] != "/var/lib/libvirt/images/peerpods-local" ||
		cm["LIBVIRT_VOL_NAME"] != "podvm-base.qcow2" || cm["PROXY_TIMEOUT"] != "15m" || cm["CLOUD_PROVIDER"] != "libvirt" {
		t.Errorf("configMap %v", cm)
	}
	sec := toAny(outs["secret"].value)
	if !outs["secret"].secret || sec["LIBVIRT_URI"] != "qemu:///system" || sec["CLOUD_PROVIDER"] != "libvirt" {
		t.Errorf("secret %v", outs["secret"])
	}
	if outs["handoff"].value.(map[string]any)["mode"] != "off" {
		t.Errorf("handoff %v", outs["handoff"].value)
	}
}

// TestManifestsMode renders the handoff of an example stack as YAML: no
// Kubernetes provider, the same objects as the cluster mode, a secret.
func TestManifestsMode(t *testing.T) {
	cfg := withSecrets(stackConfig(t, "azure-worker-subnet"))
	cfg.Values["peerpods:handoff"] = "manifests"
	delete(cfg.Values, "peerpods:kubeconfig") // not needed
	cfg.Values["peerpods:kataConfig"] = `{"poolSelector":{"node-role.kubernetes.io/kata-oc":""}}`
	m, d, err := deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Summary() {
		if strings.Contains(s, "kubernetes") {
			t.Errorf("manifests mode registered %s", s)
		}
	}
	outs := await(t, d.Outputs)
	man := outs["manifests"]
	if !man.secret {
		t.Fatal("manifests output is not secret")
	}
	dec := yaml.NewDecoder(strings.NewReader(man.value.(string)))
	var kinds []string
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			break
		}
		kinds = append(kinds, fmt.Sprint(doc["kind"], "/", doc["metadata"].(map[string]any)["name"]))
		if doc["kind"] == "Secret" && doc["metadata"].(map[string]any)["name"] == "peer-pods-secret" {
			if got := sortedKeys(doc["data"].(map[string]any)); !reflect.DeepEqual(got, sorted(azureSecret)) {
				t.Errorf("peer-pods-secret keys %v", got)
			}
		}
	}
	// Azure of the newest line: no ssh-key-secret.
	want := []string{"Namespace/openshift-sandboxed-containers-operator", "ConfigMap/peer-pods-cm", "Secret/peer-pods-secret",
		"KataConfig/cluster-kataconfig"}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("manifests %v\nwant %v", kinds, want)
	}
	if got := outs["handoff"].value.(map[string]any)["objects"]; len(got.([]string)) != len(want) {
		t.Errorf("handoff objects %v", got)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestInitdataFileAndExtra: an initdata TOML file becomes INITDATA as CAA
// decodes it (base64, then gzip), and peerpods:extra keys reach
// peer-pods-cm as given.
func TestInitdataFileAndExtra(t *testing.T) {
	doc := "algorithm = \"sha256\"\nversion = \"0.1.0\"\n\n[data]\n\"policy.rego\" = \"package agent_policy\\n\"\n"
	file := filepath.Join(t.TempDir(), "initdata.toml")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := withSecrets(stackConfig(t, "libvirt-example"))
	stacktest.Fixup(t, "libvirt-example", cfg.Values)
	cfg.Values["peerpods:initdataFile"] = file
	cfg.Values["peerpods:extra"] = `{"LIBVIRT_CPU":"4","LIBVIRT_MEMORY":"4096"}`
	m, _, err := deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cm := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm").Inputs["data"].Mappable().(map[string]any)
	if cm["LIBVIRT_CPU"] != "4" || cm["LIBVIRT_MEMORY"] != "4096" {
		t.Errorf("extra keys in peer-pods-cm: %v", cm)
	}
	zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, strings.NewReader(cm["INITDATA"].(string))))
	if err != nil {
		t.Fatalf("INITDATA %q: %v", cm["INITDATA"], err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || string(got) != doc {
		t.Errorf("INITDATA decodes to %q (%v), want the file", got, err)
	}

	// A malformed file is refused with its line, nothing registered.
	if err := os.WriteFile(file, []byte("algorithm = \"sha256\"\nversion = [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, _, err = deploy(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "peerpods:initdataFile") || !strings.Contains(err.Error(), "line") {
		t.Fatalf("malformed initdata file: %v", err)
	}
	if n := len(m.Resources()); n != 0 {
		t.Errorf("%d resources registered on bad input", n)
	}
}

// TestCloudLookupsRunOnce: a run loads the configuration once and looks
// the worker network up once (no second pass with values read back from
// the stack's outputs, which no run reads); the "discovered" output only
// informs. A worker network given in the stack file is not looked up.
func TestCloudLookupsRunOnce(t *testing.T) {
	cfg := withSecrets(stackConfig(t, "aws-example"))
	m1, d1, err := stacktest.Deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	count := func(m *pulumitest.Mocks) map[string]int {
		n := map[string]int{}
		for _, i := range m.Invokes() {
			n[i.Token]++
		}
		return n
	}
	n := count(m1)
	for _, tok := range []string{"aws:ec2/getInstances:getInstances", "aws:ec2/getInstance:getInstance", "aws:ec2/getSubnet:getSubnet", "aws:index/getRegion:getRegion"} {
		if n[tok] != 1 {
			t.Errorf("%s invoked %d times, want once (all: %v)", tok, n[tok], n)
		}
	}
	if refs := m1.OfType("pulumi:pulumi:StackReference"); len(refs) != 0 {
		t.Errorf("stack references %v", refs)
	}
	outs := await(t, d1.Outputs)
	rec := toAny(outs["discovered"].value)
	if rec["aws.subnetId"] != stacktest.SubnetA || rec["aws.securityGroupIds"] != stacktest.SGA || rec["aws.vpcId"] != stacktest.VPCA {
		t.Fatalf("discovered output %v", outs["discovered"].value)
	}

	// No cloud looks the same thing up twice in a run (the Azure VNet,
	// subnet, NSG and NAT lookups; GCP's network).
	for _, ex := range []string{"azure-peer-vnet", "azure-worker-subnet", "gcp-example"} {
		m, _, err := stacktest.Deploy(t, withSecrets(stackConfig(t, ex)))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, i := range m.Invokes() {
			k := i.Token + " " + fmt.Sprint(i.Args.Mappable())
			if seen[k] {
				t.Errorf("%s: %s invoked twice", ex, k)
			}
			seen[k] = true
		}
	}

	// The worker network written into the stack file: the worker moved,
	// but no instance is looked up and the rules stay.
	cfg.Values["peerpods:aws"] = strings.Replace(cfg.Values["peerpods:aws"], "{", `{"subnetId":"`+stacktest.SubnetA+`","vpcId":"`+stacktest.VPCA+`","securityGroupIds":["`+stacktest.SGA+`"],`, 1)
	m2 := stacktest.CloudMocks()
	stacktest.MoveWorker(m2, "subnet-0bbbbbbbbbbbbbbb0", "sg-0bbbbbbbbbbbbbbb0")
	if _, _, err := stacktest.DeployOn(t, m2, cfg); err != nil {
		t.Fatal(err)
	}
	if n := count(m2); n["aws:ec2/getInstance:getInstance"]+n["aws:ec2/getInstances:getInstances"]+n["aws:ec2/getSubnet:getSubnet"] != 0 {
		t.Errorf("looked up with the network given: %v", n)
	}
	if got, want := m2.Summary(), m1.Summary(); !reflect.DeepEqual(got, want) {
		t.Errorf("graph with the network given %v\nwant the same as before %v", got, want)
	}
}

// TestConfigPrintsNoSecret: the loaded configuration of every example
// stack, with every secret set (an SSH private key too), printed with %v,
// %+v and %#v and marshalled to JSON, shows no secret value.
func TestConfigPrintsNoSecret(t *testing.T) {
	for _, stack := range stacktest.ExampleStacks() {
		t.Run(stack, func(t *testing.T) {
			cfg := withSecrets(stackConfig(t, stack))
			stacktest.Fixup(t, stack, cfg.Values)
			c, _ := stacks.CloudNamed(contract.Cloud(cfg.Values["peerpods:cloud"]))
			if slices.Contains(c.Credentials(), "sshPrivateKey") {
				cfg.Values["peerpods:sshPrivateKey"] = stacktest.FakePrivateKey
				cfg.Secrets = append(cfg.Secrets, "peerpods:sshPrivateKey")
			}
			_, d, err := deploy(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			js, err := json.Marshal(d.Config)
			if err != nil {
				t.Fatal(err)
			}
			printed := map[string]string{
				"%v": fmt.Sprintf("%v", d.Config), "%+v": fmt.Sprintf("%+v", d.Config), "%#v": fmt.Sprintf("%#v", d.Config),
				"%+v of a pointer": fmt.Sprintf("%+v", &d.Config), "json": string(js),
			}
			if !strings.Contains(printed["%+v"], "[secret]") {
				t.Errorf("%%+v shows no redacted secret: the test does not see the secrets\n%s", printed["%+v"])
			}
			for form, out := range printed {
				for key, v := range stacktest.StackSecrets {
					if strings.Contains(out, v) {
						t.Errorf("%s of the configuration shows %s", form, key)
					}
				}
				if strings.Contains(out, strings.Split(strings.TrimSpace(stacktest.FakePrivateKey), "\n")[1]) {
					t.Errorf("%s of the configuration shows the SSH private key", form)
				}
			}
		})
	}
}

// TestIsSetting: the names errors use are checked against the types the
// settings decode into.
func TestIsSetting(t *testing.T) {
	for name, want := range map[string]bool{
		"peerpods:tunnelPort":                               true,
		"peerpods:azure.nsgPriorities.kataAgent":            true,
		"peerpods:placement.kataNodes[0]":                   true,
		"peerpods:placement.hostedControlPlane[0].nodes[1]": true,
		"peerpods:extra.LIBVIRT_CPU":                        true,
		"peerpods:libvirt.host.address":                     true,
		"peerpods:libvirtHostPassword":                      true,
		"peerpods:libvirt.host.password":                    false,
		"peerpods:libvirt.host.host":                        false,
		"peerpods:azure.nsgPriorities.KataAgent":            false,
		"peerpods:tunnelPort.x":                             false,
		"peerpods:tunelPort":                                false,
		"libvirt.pool":                                      false,
	} {
		if got := stacks.IsSetting(name); got != want {
			t.Errorf("IsSetting(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestDiscoveryErrorsRegisterNoCloudResource: what the program finds
// wrong while discovering the cluster's network (a worker not found, a
// network missing, an NSG priority taken, a NAT gateway already on the
// subnet) is reported like any bad setting: the full peerpods: name and a
// fix, raised when only providers, the stack's own reference and lookups
// have happened.
func TestDiscoveryErrorsRegisterNoCloudResource(t *testing.T) {
	pm := resource.NewPropertyMapFromMap
	fail := func(msg string) pulumitest.CallFunc {
		return func(resource.PropertyMap) (resource.PropertyMap, error) { return nil, errors.New(msg) }
	}
	cases := []struct {
		name, stack string
		calls       map[string]pulumitest.CallFunc
		setting     string
		fix         string
	}{
		{"aws: no worker of the cluster", "aws-example", map[string]pulumitest.CallFunc{
			"aws:ec2/getInstances:getInstances": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"ids": []string{}}), nil
			},
		}, "peerpods:aws.infraId", "oc get infrastructure cluster"},
		{"aws: worker unreadable", "aws-example", map[string]pulumitest.CallFunc{
			"aws:ec2/getInstance:getInstance": fail("InvalidInstanceID.NotFound"),
		}, "peerpods:aws.infraId", "aws.region"},
		{"aws: no region", "aws-example", map[string]pulumitest.CallFunc{
			"aws:index/getRegion:getRegion": fail("no region configured"),
		}, "peerpods:aws.region", "AWS_REGION"},
		{"azure: resource group missing", "azure-worker-subnet", map[string]pulumitest.CallFunc{
			"azure-native:resources:getResourceGroup": fail("ResourceGroupNotFound"),
		}, "peerpods:azure.resourceGroup", "az group list"},
		{"azure: NSG priority taken", "azure-worker-subnet", map[string]pulumitest.CallFunc{
			"azure-native:network:getNetworkSecurityGroup": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"id": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/mycluster-x7k2p-rg/providers/Microsoft.Network/networkSecurityGroups/mycluster-x7k2p-nsg",
					"securityRules": []any{map[string]any{"name": "someone-else", "priority": 112, "direction": "Inbound"}}}), nil
			},
		}, "peerpods:azure.nsgPriorities.kataAgent", "priority"},
		{"gcp: network missing", "gcp-example", map[string]pulumitest.CallFunc{
			"gcp:compute/getNetwork:getNetwork": fail("network not found"),
		}, "peerpods:gcp.network", "gcloud compute networks list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := stacktest.CloudMocks()
			maps.Copy(m.Calls, c.calls)
			cfg := withSecrets(stackConfig(t, c.stack))
			_, _, err := stacktest.DeployOn(t, m, cfg)
			pulumitest.RequireInputError(t, err, c.setting, c.fix)
			for _, r := range m.Resources() {
				if !strings.HasPrefix(r.Type, "pulumi:providers:") {
					t.Errorf("registered %s %s before the discovery error", r.Type, r.Name)
				}
			}
		})
	}
}
