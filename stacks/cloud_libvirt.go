//go:build !peerpods_clouds || libvirt

package stacks

import (
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/sshkey"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/libvirt"
	"github.com/peerpods/provisioner/sdk/go/peerpods"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func init() { register(libvirtCloud{}) }

// libvirtCloud is libvirt in the registry of clouds.
type libvirtCloud struct{}

var _ Cloud = libvirtCloud{}

// The credential settings of a remote KVM host (stack secrets).
const (
	// HostPasswordSetting is the password that logs in once to install
	// the key pair.
	HostPasswordSetting = "libvirtHostPassword"
	// HostBootstrapKeySetting is a private key that does the same.
	HostBootstrapKeySetting = "libvirtHostBootstrapKey"
)

// Name implements Cloud.
func (libvirtCloud) Name() contract.Cloud { return contract.Libvirt }

// NewStack implements Cloud.
func (libvirtCloud) NewStack() Stack { return &libvirtStack{} }

// Credentials implements Cloud.
func (libvirtCloud) Credentials() []string {
	return []string{HostPasswordSetting, HostBootstrapKeySetting, SSHPrivateKeySetting}
}

// Component implements Cloud: PeerPods.
func (libvirtCloud) Component() infer.InferredComponent { return infer.ComponentF(libvirt.NewPeerPods) }

// Examples implements Cloud.
func (libvirtCloud) Examples() []string { return []string{"libvirt-example"} }

// libvirtStack is peerpods:libvirt: the component's arguments.
type libvirtStack struct {
	libvirt.Args
}

// defaults implements defaulter.
func (s *libvirtStack) defaults() any {
	return libvirt.Args{Host: &libvirt.Host{}}.WithDefaults()
}

// Prepare implements Stack.
func (s *libvirtStack) Prepare(in Input) {
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

// Deploy implements Stack: the peerpods provider and PeerPods.
func (s *libvirtStack) Deploy(ctx *pulumi.Context, in DeployArgs) (values.Result, error) {
	args := s.Args
	args.RedHatOfflineToken = in.Secret(contract.KeyRedHatOfflineToken)
	args.HostKeyCerts = in.Secret(contract.KeyHostKeyCerts)
	provider, err := peerpods.NewProvider(ctx, "peerpods", &peerpods.ProviderArgs{})
	if err != nil {
		return values.Result{}, err
	}
	return values.ResultOf(libvirt.NewPeerPods(ctx, "peerpods", args, pulumi.Provider(provider)))
}

// FromCluster implements Cloud: the machine networks as the ranges the
// host's key may log in from (libvirt.allowedSources: cloud-api-adaptor
// runs on the workers, with the host network); the KVM host itself is not
// a fact of the cluster.
func (libvirtCloud) FromCluster(f cluster.Facts, _ contract.Identity) []cluster.Found {
	if len(f.MachineNetworks) == 0 {
		return nil
	}
	return []cluster.Found{{Setting: "libvirt.allowedSources", Value: f.MachineNetworks, From: cluster.FromInstallConfig}}
}
