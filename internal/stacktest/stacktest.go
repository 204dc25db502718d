// Package stacktest runs the program on mocks with the example stack files:
// the stack files as the engine hands them to the program, the stack
// secrets, and fake clouds answering every discovery invoke.
package stacktest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components"
	"github.com/peerpods/provisioner/internal/kubetest"
	"github.com/peerpods/provisioner/internal/pulumitest"
	"github.com/peerpods/provisioner/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/ssh"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// StacksDir is the repository's stacks/ directory.
func StacksDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "stacks")
}

const (
	SGA        = "sg-0aaaaaaaaaaaaaaa0"
	SubnetA    = "subnet-0aaaaaaaaaaaaaaa0"
	VPCA       = "vpc-0aaaaaaaaaaaaaaa0"
	WorkerA    = "i-0aaaaaaaaaaaaaaa0"
	KeyID      = "AKIAEXAMPLEKEYID0001"
	Secret     = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	Kubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\n"
)

// StackConfig reads stacks/Pulumi.<stack>.yaml as the engine hands it to the
// program: scalars as strings, lists and objects as JSON.
func StackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(StacksDir(t), "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("%s: %v", stack, err)
	}
	out := map[string]string{}
	for k, v := range file.Config {
		switch v := v.(type) {
		case string:
			out[k] = v
		case map[string]any, []any:
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out[k] = string(b)
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// StackSecrets are the stack secrets a user sets with pulumi config set
// --secret, for every cloud.
var StackSecrets = map[string]string{
	"peerpods:awsAccessKeyId":      KeyID,
	"peerpods:awsSecretAccessKey":  Secret,
	"peerpods:azureClientId":       "0a1b2c3d-0000-4000-8000-00000000c11d",
	"peerpods:azureClientSecret":   Secret,
	"peerpods:azureTenantId":       "0a1b2c3d-0000-4000-8000-0000000071d0",
	"peerpods:gcpCredentials":      `{"type":"service_account","client_email":"pp@p.iam.gserviceaccount.com","private_key":"` + Secret + `"}`,
	"peerpods:kubeconfig":          Kubeconfig,
	"peerpods:libvirtHostPassword": Secret,
	"peerpods:redhatOfflineToken":  "offline-token",
}

// WithSecrets adds the stack secrets of every cloud.
func WithSecrets(values map[string]string) pulumitest.Config {
	cfg := pulumitest.Config{Values: values}
	for k, v := range StackSecrets {
		values[k] = v
		cfg.Secrets = append(cfg.Secrets, k)
	}
	return cfg
}

const (
	azureRG     = "mycluster-x7k2p-rg"
	azureRGID   = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/" + azureRG
	azureVNetID = azureRGID + "/providers/Microsoft.Network/virtualNetworks/mycluster-x7k2p-vnet"
)

// A fixed SSH key pair and KVM host key, for the outputs the tls provider
// and KvmHostAccess would give: real keys, so that the rendered objects
// pass the contract's format checks.
var (
	FakePrivateKey, FakePublicKey = fakeKeyPair(1)
	_, fakeHostPublic             = fakeKeyPair(2)
	// FakeKnownHosts is the KVM host's known_hosts line.
	FakeKnownHosts = "kvm.example.com " + fakeHostPublic
	// FakeLibvirtURI is the KVM host's qemu+ssh URI.
	FakeLibvirtURI = "qemu+ssh://root@kvm.example.com/system"
)

func fakeKeyPair(seed byte) (private, public string) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		panic(err)
	}
	pub, err := ssh.NewPublicKey(key.Public())
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(block)), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}

// CloudMocks answers the discovery invokes of every cloud, and gives the
// resources whose outputs reach the handoff the outputs their providers
// would.
func CloudMocks() *pulumitest.Mocks {
	pm := resource.NewPropertyMapFromMap
	str := resource.NewStringProperty
	return &pulumitest.Mocks{Fakes: map[string]pulumitest.FakeFunc{
		"pulumi:pulumi:StackReference": StackOutputs(nil),
		"tls:index/privateKey:PrivateKey": func(name string, _ resource.PropertyMap) (string, resource.PropertyMap) {
			return name + "-id", resource.PropertyMap{"privateKeyOpenssh": resource.MakeSecret(str(FakePrivateKey)), "publicKeyOpenssh": str(FakePublicKey + "\n")}
		},
		"peerpods:libvirt:KvmHostAccess": func(name string, _ resource.PropertyMap) (string, resource.PropertyMap) {
			return name + "-id", resource.PropertyMap{"libvirtUri": str(FakeLibvirtURI), "hostKey": str(FakeKnownHosts),
				"publicKey": str(FakePublicKey), "privateKey": resource.MakeSecret(str(FakePrivateKey))}
		},
		"azure-native:network:Subnet": func(name string, in resource.PropertyMap) (string, resource.PropertyMap) {
			return azureRGID + "/providers/Microsoft.Network/virtualNetworks/" + in["virtualNetworkName"].StringValue() + "/subnets/" + in["subnetName"].StringValue(), nil
		},
	}, Calls: map[string]pulumitest.CallFunc{
		"azure-native:resources:getResourceGroup": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"id": azureRGID, "location": "eastus", "name": azureRG}), nil
		},
		"azure:core/getResources:getResources": func(a resource.PropertyMap) (resource.PropertyMap, error) {
			name := "mycluster-x7k2p-nsg"
			if a["type"].StringValue() == "Microsoft.Network/virtualNetworks" {
				name = "mycluster-x7k2p-vnet"
			}
			return pm(map[string]any{"resources": []any{map[string]any{"name": name}}}), nil
		},
		"azure-native:network:getVirtualNetwork": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"id": azureVNetID, "addressSpace": map[string]any{"addressPrefixes": []any{"10.0.0.0/14"}},
				"subnets": []any{map[string]any{"name": "mycluster-x7k2p-worker-subnet"}}}), nil
		},
		"azure-native:network:getSubnet": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"id": azureVNetID + "/subnets/mycluster-x7k2p-worker-subnet", "addressPrefix": "10.0.128.0/17"}), nil
		},
		"azure-native:network:getNetworkSecurityGroup": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"id": azureRGID + "/providers/Microsoft.Network/networkSecurityGroups/mycluster-x7k2p-nsg"}), nil
		},
		"gcp:compute/getNetwork:getNetwork": func(a resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"selfLink": "https://www.googleapis.com/compute/v1/projects/p/global/networks/" + a["name"].StringValue()}), nil
		},
		"aws:index/getRegion:getRegion": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"name": "us-east-2"}), nil
		},
		"aws:ec2/getInstances:getInstances": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"ids": []string{WorkerA}}), nil
		},
		"aws:ec2/getInstance:getInstance": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"subnetId": SubnetA, "vpcSecurityGroupIds": []string{SGA}}), nil
		},
		"aws:ec2/getSubnet:getSubnet": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"vpcId": VPCA}), nil
		},
	}}
}

// StackOutputs answers a StackReference (the program's reference to its own
// stack) with outputs, the stack outputs of an earlier run; nil is a stack
// without outputs, as on the first run.
func StackOutputs(outputs map[string]any) pulumitest.FakeFunc {
	return func(name string, in resource.PropertyMap) (string, resource.PropertyMap) {
		return in["name"].StringValue(), resource.PropertyMap{
			"outputs":           resource.NewObjectProperty(resource.NewPropertyMapFromMap(outputs)),
			"secretOutputNames": resource.NewArrayProperty(nil),
		}
	}
}

// Deploy runs the program on CloudMocks with cfg.
func Deploy(t *testing.T, cfg pulumitest.Config) (*pulumitest.Mocks, *stacks.Deployment, error) {
	t.Helper()
	return DeployOn(t, CloudMocks(), cfg)
}

// DeployOn runs the program on m with cfg.
func DeployOn(t *testing.T, m *pulumitest.Mocks, cfg pulumitest.Config) (*pulumitest.Mocks, *stacks.Deployment, error) {
	t.Helper()
	var d *stacks.Deployment
	err := pulumitest.Run(m, cfg, func(ctx *pulumi.Context) error {
		var err error
		d, err = stacks.Deploy(ctx)
		return err
	})
	return m, d, err
}

// WithLocalImage points the libvirt settings of cfg (from an example stack
// file) at a 1 MiB raw image made for the test, since the image a stack file
// names exists only on a real machine.
func WithLocalImage(t *testing.T, cfg map[string]string) {
	t.Helper()
	image := filepath.Join(t.TempDir(), "podvm.raw")
	if err := os.WriteFile(image, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	var lv map[string]any
	if err := json.Unmarshal([]byte(cfg["peerpods:libvirt"]), &lv); err != nil {
		t.Fatalf("peerpods:libvirt: %v", err)
	}
	lv["image"], lv["format"] = image, "raw"
	b, err := json.Marshal(lv)
	if err != nil {
		t.Fatal(err)
	}
	cfg["peerpods:libvirt"] = string(b)
}

// RenderHandoff runs an example stack on CloudMocks in manifests mode, with
// its secrets, a KataConfig and change applied to the config, and returns
// the handoff objects as the manifests output renders them (Secret data
// base64, as the API server stores it).
func RenderHandoff(t *testing.T, stack string, change func(map[string]string)) (components.Cloud, []*unstructured.Unstructured) {
	t.Helper()
	cfg := WithSecrets(StackConfig(t, stack))
	cfg.Values["peerpods:handoff"] = "manifests"
	cfg.Values["peerpods:kataConfig"] = `{"poolSelector":{"node-role.kubernetes.io/kata-oc":""}}`
	if strings.HasPrefix(stack, "libvirt") {
		WithLocalImage(t, cfg.Values)
	}
	if change != nil {
		change(cfg.Values)
	}
	_, d, err := Deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rendered, secret := pulumitest.Await(t, d.Outputs["manifests"].(pulumi.Output))
	if !secret {
		t.Error("the manifests output is not secret")
	}
	objs, err := kubetest.DecodeYAML([]byte(rendered.(string)))
	if err != nil {
		t.Fatal(err)
	}
	return d.Values.Cloud, objs
}

// ExampleStacks are the example stack files whose handoff goes to a
// cluster.
var ExampleStacks = []string{"aws-example", "azure-worker-subnet", "azure-peer-vnet", "gcp-example", "libvirt-example"}

// MoveWorker makes m's AWS discovery find the worker in subnet with the
// security group sg (both in VPC A), as after the cluster's workers were
// replaced.
func MoveWorker(m *pulumitest.Mocks, subnet, sg string) {
	m.Calls["aws:ec2/getInstance:getInstance"] = func(resource.PropertyMap) (resource.PropertyMap, error) {
		return resource.NewPropertyMapFromMap(map[string]any{"subnetId": subnet, "vpcSecurityGroupIds": []string{sg}}), nil
	}
}
