package libvirt

import (
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/libvirt/settings"
	"github.com/peerpods/provisioner/sdk/go/peerpods"
	lv "github.com/peerpods/provisioner/sdk/go/peerpods/libvirt"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PeerPodsType is the type token of PeerPods.
const PeerPodsType = "peerpods:libvirt:PeerPods"

// PeerPods prepares a libvirt host for peer pods: the storage pool, the pod
// VM image volume and, for a remote KVM host, SSH key access with a pinned
// host key. It holds the libvirt peer-pods values.
type PeerPods struct {
	pulumi.ResourceState
	// Result holds the values (no network rules: libvirt has none) and the
	// knownHosts output.
	values.Result

	// Pool, Volume and Access (nil without Host) are the resources;
	// Libvirt is the provider instance that serves the pool and the
	// volume, configured for the host's libvirtd. Their types are those of
	// the provider's generated SDK (sdk/go/peerpods).
	Pool    *lv.StoragePool
	Volume  *lv.StorageVolume
	Access  *lv.KvmHostAccess
	Libvirt *peerpods.Provider

	// Cloud, ConfigMap, Secret and SSHKeySecret are the values as
	// outputs (values.Outputs).
	Cloud        pulumi.StringOutput    `pulumi:"cloud"`
	ConfigMap    pulumi.StringMapOutput `pulumi:"configMap"`
	Secret       pulumi.StringMapOutput `pulumi:"secret" provider:"secret"`
	SSHKeySecret pulumi.StringMapOutput `pulumi:"sshKeySecret" provider:"secret"`
	// KnownHosts is the KVM host's pinned host key as a known_hosts line
	// (empty without Host): what the cluster's SSH client must trust.
	KnownHosts pulumi.StringOutput `pulumi:"knownHosts"`
}

// PluginVersion, when set, is the version of the peerpods plugin that the
// component's own provider instance (PeerPods.Libvirt) asks the engine
// for; empty, the generated SDK's (sdk/go/peerpods, the source tree's
// version: hack/sdkgen). The plugin sets its own version here
// (cmd/pulumi-resource-peerpods/plugin): a plugin released at another
// version (make release VERSION=x.y.z) then serves the pool and the
// volume itself, where the SDK's version would have the engine look for
// (and download) that other plugin.
var PluginVersion string

// NewPeerPods validates args and registers, with Host, the host access,
// through the peerpods provider passed with pulumi.Provider or
// pulumi.Providers, and a peerpods provider instance configured for the
// host's libvirtd that serves the pool and the volume. Nothing is
// registered when args are invalid.
func NewPeerPods(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*PeerPods, error) {
	args = args.WithDefaults()
	if err := args.Validate(); err != nil {
		return nil, err
	}
	prov, err := providers.RequireProvider("peerpods", "peerpods", opts)
	if err != nil {
		return nil, err
	}
	c := &PeerPods{}
	if err := ctx.RegisterComponentResource(PeerPodsType, name, c, opts...); err != nil {
		return nil, err
	}
	// The access is served by the caller's provider; the pool and the
	// volume by a provider instance of their own, configured for the
	// host's libvirtd (the connection is provider configuration: stored
	// once, and only another host replaces what lives on it).
	uri := args.URI
	hostConfig := peerpods.ProviderArgs{Uri: pulumi.String(uri)}
	c.KnownHosts = pulumi.String("").ToStringOutput()
	if h := args.Host; h != nil {
		var allowed pulumi.StringArrayInput
		if len(args.AllowedSources) > 0 {
			allowed = pulumi.ToStringArray(args.AllowedSources)
		} else {
			_ = ctx.Log.Warn("libvirt.allowedSources is not set and no cluster was read for its machine networks: the key's authorized_keys line on "+h.Address+
				" has no from=, so the key logs in from anywhere (restricted all the same: no pty, no agent or X11 forwarding); set peerpods:libvirt.allowedSources to the workers' network", &pulumi.LogArgs{Resource: c})
		}
		access, err := lv.NewKvmHostAccess(ctx, name+"-host", &lv.KvmHostAccessArgs{
			Host: pulumi.String(h.Address), Port: pulumi.Int(h.Port), User: pulumi.String(h.User),
			Password:            optionalSecret(h.Password),
			BootstrapPrivateKey: optionalSecret(h.BootstrapPrivateKey),
			PrivateKey:          optionalSecret(h.PrivateKey),
			KnownHostKey:        providers.OptionalString(h.KnownHostKey),
			KeyType:             pulumi.String(h.KeyType),
			LibvirtSocket:       providers.OptionalString(h.LibvirtSocket),
			AllowedSources:      allowed,
		}, pulumi.Parent(c), pulumi.Provider(prov))
		if err != nil {
			return nil, err
		}
		c.Access = access
		c.KnownHosts = access.HostKey
		// The access's libvirtUri, computed here from known settings so
		// that a preview knows which host the pool lives on even while
		// the access is created or replaced.
		uri = settings.LibvirtURI(h.User, h.Address, h.Port, h.LibvirtSocket)
		hostConfig = peerpods.ProviderArgs{Uri: pulumi.String(uri), PrivateKey: access.PrivateKey, HostKey: access.HostKey}
	}
	providerOpts := []pulumi.ResourceOption{pulumi.Parent(c)}
	if PluginVersion != "" {
		providerOpts = append(providerOpts, pulumi.Version(PluginVersion))
	}
	libvirtd, err := peerpods.NewProvider(ctx, name+"-libvirt", &hostConfig, providerOpts...)
	if err != nil {
		return nil, err
	}
	c.Libvirt = libvirtd
	child := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(libvirtd)}

	pool, err := lv.NewStoragePool(ctx, name+"-pool", &lv.StoragePoolArgs{
		Name: pulumi.String(args.Pool), Path: pulumi.String(args.Dir),
	}, child...)
	if err != nil {
		return nil, err
	}
	volArgs := &lv.StorageVolumeArgs{
		Pool: pool.Name, Name: pulumi.String(args.Volume), Format: pulumi.String(args.Format),
	}
	if args.Capacity > 0 {
		volArgs.Capacity = pulumi.Int(args.Capacity)
	}
	if args.Image != "" {
		volArgs.Source = pulumi.String(args.Image)
	}
	vol, err := lv.NewStorageVolume(ctx, name+"-volume", volArgs, child...)
	if err != nil {
		return nil, err
	}
	c.Pool, c.Volume = pool, vol
	ready := []pulumi.Resource{pool, vol}
	if c.Access != nil {
		ready = []pulumi.Resource{c.Access, pool, vol}
	}

	c.Values = args.values(pulumi.String(uri), c.Access)
	c.Values.Ready = ready
	c.CloudOutputs = pulumi.Map{"knownHosts": c.KnownHosts}
	o := c.Values.Outputs()
	c.Cloud, c.ConfigMap, c.Secret, c.SSHKeySecret = o.Cloud, o.ConfigMap, o.Secret, o.SSHKeySecret
	if err := ctx.RegisterResourceOutputs(c, o.With(pulumi.Map{
		"knownHosts": c.KnownHosts,
	})); err != nil {
		return nil, err
	}
	return c, nil
}

// values are the libvirt peer-pods values.
func (a Args) values(uri pulumi.StringInput, access *lv.KvmHostAccess) values.Values {
	cm := a.Settings.ConfigMap(contract.Libvirt)
	cm[contract.KeyLibvirtPool] = a.Pool
	cm[contract.KeyLibvirtVolName] = a.Volume
	cm[contract.KeyLibvirtDirName] = a.Dir
	cm[contract.KeyLibvirtNet] = a.Network
	if a.Image != "" {
		// The stack put the image into the volume: say so as the
		// operator's image job does (libvirt-podvm-image-handler.sh), so
		// that the operator runs no image job over the stack's volume.
		cm[contract.KeyLibvirtImageID] = a.Volume
	}

	// The pool and volume go into both objects (contract: the readers
	// disagree on where they look).
	secret := pulumi.StringMap{
		contract.KeyCloudProvider:  pulumi.String(string(contract.Libvirt)),
		contract.KeyLibvirtURI:     pulumi.ToSecret(uri).(pulumi.StringOutput),
		contract.KeyLibvirtPool:    pulumi.String(a.Pool),
		contract.KeyLibvirtVolName: pulumi.String(a.Volume),
	}
	if a.RedHatOfflineToken != nil {
		secret[contract.KeyRedHatOfflineToken] = pulumi.ToSecret(a.RedHatOfflineToken).(pulumi.StringOutput)
	}
	if a.HostKeyCerts != nil {
		secret[contract.KeyHostKeyCerts] = pulumi.ToSecret(a.HostKeyCerts).(pulumi.StringOutput)
	}
	v := values.Values{Cloud: contract.Libvirt, Identity: contract.IdentityStatic, ConfigMap: values.PlainMap(cm), Secret: secret}
	if access != nil {
		v.SSHKey = pulumi.StringMap{
			contract.KeySSHPrivateKey: pulumi.ToSecret(access.PrivateKey).(pulumi.StringOutput),
			contract.KeySSHPublicKey:  access.PublicKey,
			// CAA's libvirt runs OpenSSH as root, which checks the
			// host against /root/.ssh/known_hosts, where the whole
			// secret is mounted: the pinned key, as a known_hosts line
			// ([host]:port for a port other than 22).
			contract.KeySSHKnownHosts: access.HostKey,
		}
	}
	return v
}

// optionalSecret is a secret given or not (nil) as an optional input; the
// SDK makes it secret.
func optionalSecret(s pulumi.StringInput) pulumi.StringPtrInput {
	if s == nil {
		return nil
	}
	return s.ToStringOutput().ToStringPtrOutput()
}
