package libvirt

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/peerpods/provisioner/components/cloud"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/sshkey"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/sdk/go/peerpods"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cloud is libvirt in the registry of clouds.
type Cloud struct{}

var _ cloud.Cloud = Cloud{}

// The credential settings of a remote KVM host (stack secrets).
const (
	// HostPasswordSetting is the password that logs in once to install
	// the key pair.
	HostPasswordSetting = "libvirtHostPassword"
	// HostBootstrapKeySetting is a private key that does the same.
	HostBootstrapKeySetting = "libvirtHostBootstrapKey"
	// SSHPrivateKeySetting is a key pair to install instead of a
	// generated one.
	SSHPrivateKeySetting = "sshPrivateKey"
)

// Name implements cloud.Cloud.
func (Cloud) Name() contract.Cloud { return contract.Libvirt }

// NewStack implements cloud.Cloud.
func (Cloud) NewStack() cloud.Stack { return &Stack{} }

// Credentials implements cloud.Cloud.
func (Cloud) Credentials() []string {
	return []string{HostPasswordSetting, HostBootstrapKeySetting, SSHPrivateKeySetting}
}

// Component implements cloud.Cloud: PeerPods.
func (Cloud) Component() infer.InferredComponent { return infer.ComponentF(NewPeerPods) }

// Examples implements cloud.Cloud.
func (Cloud) Examples() []string { return []string{"libvirt-example"} }

// Stack is peerpods:libvirt: the component's arguments.
type Stack struct {
	Args
}

// Prepare implements cloud.Stack.
func (s *Stack) Prepare(in cloud.Input) {
	s.Settings = in.Settings()
	if in.Has("hostKeyCerts") && s.Image != "" {
		in.Check(problems.Invalid("hostKeyCerts", "is set, but only the operator's own image build reads HOST_KEY_CERTS, and the stack uploads peerpods:libvirt.image",
			"remove peerpods:hostKeyCerts, or remove libvirt.image to let the operator build the image"))
	}
	if h := s.Host; h != nil {
		h.Password = in.Credential(HostPasswordSetting).Input()
		h.BootstrapPrivateKey = in.Credential(HostBootstrapKeySetting).Input()
		if key := in.Credential(SSHPrivateKeySetting); key.IsSet() {
			in.Check(sshkey.CheckPrivateKey(SSHPrivateKeySetting, key.Reveal()))
			h.PrivateKey = key.Input()
		}
	} else if in.Handoff() != handoff.ModeOff {
		in.Check(problems.Invalid("libvirt.host", "is not set, and the handoff needs a remote KVM host the cluster reaches over qemu+ssh",
			"set libvirt.host (address, user) and peerpods:libvirtHostPassword, or set peerpods:handoff to off"))
	}
	s.Args = s.Args.WithDefaults()
	in.Check(s.Args.Validate())
}

// Deploy implements cloud.Stack: the peerpods provider and PeerPods.
func (s *Stack) Deploy(ctx *pulumi.Context, in cloud.Deploy) (values.Result, error) {
	args := s.Args
	args.RedHatOfflineToken = in.Secret(contract.KeyRedHatOfflineToken)
	args.HostKeyCerts = in.Secret(contract.KeyHostKeyCerts)
	provider, err := peerpods.NewProvider(ctx, "peerpods", &peerpods.ProviderArgs{})
	if err != nil {
		return values.Result{}, err
	}
	return values.ResultOf(NewPeerPods(ctx, "peerpods", args, pulumi.Provider(provider)))
}

// The mocks' KVM host: kvm.example.com, its host key cloud.FakeKeyPair(2),
// the installed key pair cloud.FakeKeyPair(1).
const (
	// MockHost is the KVM host's name.
	MockHost = "kvm.example.com"
	// MockLibvirtURI is its qemu+ssh URI.
	MockLibvirtURI = "qemu+ssh://root@" + MockHost + "/system"
)

// MockKnownHosts is the mocks' KVM host's known_hosts line.
func MockKnownHosts() string {
	_, hostKey := cloud.FakeKeyPair(2)
	return MockHost + " " + hostKey
}

// Mocks implements cloud.Cloud: the host access gives the mock host's
// URI and keys; the example stack's image, which exists only on a real
// machine, becomes a 1 MiB raw image in the test's directory.
func (Cloud) Mocks() cloud.Mocks {
	str := resource.NewStringProperty
	private, public := cloud.FakeKeyPair(1)
	return cloud.Mocks{
		Resources: map[string]func(string, resource.PropertyMap) (string, resource.PropertyMap){
			"peerpods:libvirt:KvmHostAccess": func(name string, _ resource.PropertyMap) (string, resource.PropertyMap) {
				return name + "-id", resource.PropertyMap{"libvirtUri": str(MockLibvirtURI), "hostKey": str(MockKnownHosts()),
					"publicKey": str(public), "privateKey": resource.MakeSecret(str(private))}
			},
		},
		Secrets: map[string]string{
			"peerpods:" + HostPasswordSetting: cloud.FakeSecret,
			"peerpods:redhatOfflineToken":     "offline-token",
		},
		Fixup: func(dir string, config map[string]string) error {
			image := filepath.Join(dir, "podvm.raw")
			if err := os.WriteFile(image, make([]byte, 1<<20), 0o644); err != nil {
				return err
			}
			var lv map[string]any
			if err := json.Unmarshal([]byte(config["peerpods:libvirt"]), &lv); err != nil {
				return err
			}
			lv["image"], lv["format"] = image, "raw"
			b, err := json.Marshal(lv)
			config["peerpods:libvirt"] = string(b)
			return err
		},
	}
}
