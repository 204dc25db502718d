// Package stacktest runs the program on mocks with the example stack files:
// the stack files as the engine hands them to the program, the stack
// secrets, and fake clouds answering every discovery invoke.
package stacktest

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/stacks"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	"github.com/peerpods/provisioner/tests/testkit/mocks"
	"github.com/peerpods/provisioner/tests/testkit/mocks/awsmock"
	"github.com/peerpods/provisioner/tests/testkit/mocks/azuremock"
	"github.com/peerpods/provisioner/tests/testkit/mocks/gcpmock"
	"github.com/peerpods/provisioner/tests/testkit/mocks/libvirtmock"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "stacks")
}

// The mocks' AWS network and credentials (awsmock).
const (
	SGA     = awsmock.SecurityGroup
	SubnetA = awsmock.Subnet
	VPCA    = awsmock.VPC
	WorkerA = awsmock.Worker
	KeyID   = awsmock.AccessKeyID
	Secret  = mocks.FakeSecret
)

// Kubeconfig is the mocks' peerpods:kubeconfig.
const Kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://api.mycluster.example.com:6443\"}\n"

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
	return EngineConfig(t, file.Config)
}

// EngineConfig is a stack file's config section as the engine hands it
// to the program: scalars as strings, lists and objects as JSON.
func EngineConfig(t *testing.T, config map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range config {
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
// --secret, for every registered cloud (mocks.Mocks.Secrets), and the
// kubeconfig.
var StackSecrets = func() map[string]string {
	out := map[string]string{"peerpods:kubeconfig": Kubeconfig}
	for _, c := range stacks.Clouds() {
		maps.Copy(out, MocksFor(c.Name()).Secrets)
	}
	return out
}()

// WithSecrets adds the stack secrets of every cloud, as a user of the
// stack would set them: the peer-pods-secret keys of the stack's cloud
// only with peerpods:identity static (in the other modes the operator
// fills them).
func WithSecrets(values map[string]string) pulumitest.Config {
	cfg := pulumitest.Config{Values: values}
	clouds := contract.Clouds // no cloud: the cluster's, whichever it is
	if c := contract.Cloud(values["peerpods:cloud"]); c != "" {
		clouds = []contract.Cloud{c}
	}
	operatorFills := map[string]bool{}
	for _, c := range clouds {
		id := contract.IdentityOr(c, contract.Identity(values["peerpods:identity"]))
		if set, ok := contract.For(c); ok && !contract.WritesSecret(id) {
			for _, k := range set.UserSecrets() {
				operatorFills[k.Setting] = true
			}
		}
	}
	for k, v := range StackSecrets {
		if operatorFills[k] {
			continue
		}
		values[k] = v
		cfg.Secrets = append(cfg.Secrets, k)
	}
	return cfg
}

// A fixed SSH key pair and KVM host key, for the outputs the tls provider
// and KvmHostAccess would give (mocks.FakeKeyPair).
var (
	FakePrivateKey, FakePublicKey = mocks.FakeKeyPair(1)
	// FakeKnownHosts is the KVM host's known_hosts line.
	FakeKnownHosts = libvirtmock.KnownHosts()
	// FakeLibvirtURI is the KVM host's qemu+ssh URI.
	FakeLibvirtURI = libvirtmock.LibvirtURI
)

// CloudMocks answers the discovery invokes of every registered cloud, and
// gives the resources whose outputs reach the handoff the outputs their
// providers would (mocks.Mocks).
func CloudMocks() *pulumitest.Mocks { return MocksOf(stacks.Clouds()...) }

// MocksOf are the mocks of the clouds (mocks.Mocks) together.
func MocksOf(clouds ...stacks.Cloud) *pulumitest.Mocks {
	m := &pulumitest.Mocks{
		Fakes: map[string]pulumitest.FakeFunc{},
		Calls: map[string]pulumitest.CallFunc{},
	}
	for _, c := range clouds {
		cm := MocksFor(c.Name())
		for k, f := range cm.Resources {
			m.Fakes[k] = f
		}
		for k, f := range cm.Calls {
			m.Calls[k] = f
		}
	}
	return m
}

// Deploy runs the program on CloudMocks with cfg.
func Deploy(t *testing.T, cfg pulumitest.Config) (*pulumitest.Mocks, *stacks.Deployment, error) {
	t.Helper()
	return DeployOn(t, CloudMocks(), cfg)
}

// DeployOn runs the program on m with cfg; its kubeconfig reaches an
// OpenShift cluster on the stack's cloud (clustertest.For, served by
// client-go's fakes).
func DeployOn(t *testing.T, m *pulumitest.Mocks, cfg pulumitest.Config) (*pulumitest.Mocks, *stacks.Deployment, error) {
	t.Helper()
	return DeployOnCluster(t, m, cfg, clustertest.For(contract.Cloud(cfg.Values["peerpods:cloud"])))
}

// DeployOnCluster runs the program on m with cfg, its kubeconfig reaching
// c.
func DeployOnCluster(t *testing.T, m *pulumitest.Mocks, cfg pulumitest.Config, c clustertest.Cluster) (*pulumitest.Mocks, *stacks.Deployment, error) {
	t.Helper()
	// The SDK's mock monitor cannot register the handoff's resource hooks
	// (the engine tests prove them).
	opts := stacks.Options{Connect: func([]byte, string) (cluster.Clients, error) { return c.Fake(), nil }, NoCreateGuard: true}
	var d *stacks.Deployment
	err := pulumitest.Run(m, cfg, func(ctx *pulumi.Context) error {
		var err error
		d, err = stacks.DeployWith(ctx, opts)
		return err
	})
	return m, d, err
}

// Fixup adapts the configuration cfg of an example stack to this machine,
// as its cloud's mocks say (mocks.Mocks.Fixup): for libvirt, an image
// made for the test.
func Fixup(t *testing.T, stack string, cfg map[string]string) {
	t.Helper()
	c, ok := stacks.CloudNamed(contract.Cloud(cfg["peerpods:cloud"]))
	if !ok {
		t.Fatalf("%s: peerpods:cloud %q is not a registered cloud", stack, cfg["peerpods:cloud"])
	}
	if fix := MocksFor(c.Name()).Fixup; fix != nil {
		if err := fix(t.TempDir(), cfg); err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
	}
}

// RenderHandoff runs an example stack on CloudMocks in manifests mode, with
// its secrets, a KataConfig and change applied to the config, and returns
// the handoff objects as the manifests output renders them (Secret data
// base64, as the API server stores it).
func RenderHandoff(t *testing.T, stack string, change func(map[string]string)) (contract.Cloud, []*unstructured.Unstructured) {
	t.Helper()
	cfg := WithSecrets(StackConfig(t, stack))
	cfg.Values["peerpods:handoff"] = "manifests"
	cfg.Values["peerpods:kataConfig"] = `{"poolSelector":{"node-role.kubernetes.io/kata-oc":""}}`
	Fixup(t, stack, cfg.Values)
	if change != nil {
		change(cfg.Values)
	}
	_, d, err := Deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rendered, secret := pulumitest.Await(t, d.Outputs["manifests"].(pulumi.Output))
	objs, err := kubetest.DecodeYAML([]byte(rendered.(string)))
	if err != nil {
		t.Fatal(err)
	}
	// Secret when a Secret is among the objects (without one, as in the
	// CCO and workload modes of a cloud without ssh-key-secret, it need not).
	if slices.ContainsFunc(objs, func(o *unstructured.Unstructured) bool { return o.GetKind() == "Secret" }) && !secret {
		t.Error("the manifests output is not secret")
	}
	return d.Values.Cloud, objs
}

// ExampleStacks are the example stack files whose handoff goes to a
// cluster, of every registered cloud (stacks.Cloud.Examples).
func ExampleStacks() []string {
	var out []string
	for _, c := range stacks.Clouds() {
		out = append(out, c.Examples()...)
	}
	return out
}

// MoveWorker makes m's AWS discovery find the worker in subnet with the
// security group sg (both in VPC A), as after the cluster's workers were
// replaced.
func MoveWorker(m *pulumitest.Mocks, subnet, sg string) {
	m.Calls["aws:ec2/getInstance:getInstance"] = awsmock.WorkerIn(subnet, sg)
}

// MocksFor are the fakes of cloud c (the mocks package of each cloud).
func MocksFor(c contract.Cloud) mocks.Mocks {
	switch c {
	case contract.AWS:
		return awsmock.Mocks()
	case contract.Azure:
		return azuremock.Mocks()
	case contract.GCP:
		return gcpmock.Mocks()
	case contract.Libvirt:
		return libvirtmock.Mocks()
	}
	panic("no mocks for cloud " + string(c))
}
