package libvirt

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Type tokens of the provider and its resources.
const (
	ProviderType      = "pulumi:providers:peerpods"
	StoragePoolType   = "peerpods:libvirt:StoragePool"
	StorageVolumeType = "peerpods:libvirt:StorageVolume"
	KvmHostAccessType = "peerpods:libvirt:KvmHostAccess"
)

// Provider is an instance of the peerpods provider plugin. Components
// require one explicitly.
type Provider struct {
	pulumi.ProviderResourceState
}

// ProviderArgs configure a provider instance: the libvirtd its pools and
// volumes live on. A provider without URI serves KvmHostAccess only.
type ProviderArgs struct {
	// URI is the libvirt URI; for qemu+ssh, PrivateKey (made secret) and
	// HostKey authenticate (KvmHostAccess outputs).
	URI        pulumi.StringInput
	PrivateKey pulumi.StringInput
	HostKey    pulumi.StringInput
}

// NewProvider registers a peerpods provider; nil args configure no
// connection.
func NewProvider(ctx *pulumi.Context, name string, args *ProviderArgs, opts ...pulumi.ResourceOption) (*Provider, error) {
	if args == nil {
		args = &ProviderArgs{}
	}
	m := pulumi.Map{}
	if args.URI != nil {
		m["uri"] = args.URI
	}
	if args.PrivateKey != nil {
		m["privateKey"] = pulumi.ToSecret(args.PrivateKey)
	}
	if args.HostKey != nil {
		m["hostKey"] = args.HostKey
	}
	p := &Provider{}
	if err := ctx.RegisterResource(ProviderType, name, m, p, opts...); err != nil {
		return nil, err
	}
	return p, nil
}

// StoragePoolArgs are the inputs of a StoragePool.
type StoragePoolArgs struct {
	// Name is the pool name.
	Name pulumi.StringInput
	// Path is the pool's directory; nil means /var/lib/libvirt/images.
	Path pulumi.StringInput
}

// StoragePool is a libvirt dir storage pool (peerpods:libvirt:StoragePool)
// on the libvirtd of its provider (ProviderArgs).
type StoragePool struct {
	pulumi.CustomResourceState
	// Name and Path are the pool's name and directory.
	Name pulumi.StringOutput `pulumi:"name"`
	Path pulumi.StringOutput `pulumi:"path"`
	// Adopted is true when the pool existed before.
	Adopted pulumi.BoolOutput `pulumi:"adopted"`
}

// NewStoragePool registers a StoragePool.
func NewStoragePool(ctx *pulumi.Context, name string, args StoragePoolArgs, opts ...pulumi.ResourceOption) (*StoragePool, error) {
	m := pulumi.Map{"name": args.Name}
	if args.Path != nil {
		m["path"] = args.Path
	}
	r := &StoragePool{}
	if err := ctx.RegisterResource(StoragePoolType, name, m, r, opts...); err != nil {
		return nil, err
	}
	return r, nil
}

// StorageVolumeArgs are the inputs of a StorageVolume.
type StorageVolumeArgs struct {
	// Pool is the storage pool's name.
	Pool pulumi.StringInput
	// Name is the volume name; nil means podvm-base.qcow2.
	Name pulumi.StringInput
	// Format is qcow2 (nil) or raw.
	Format pulumi.StringInput
	// Capacity is the virtual size in bytes; nil means the image's.
	Capacity pulumi.IntInput
	// Source is a local image file uploaded into the volume.
	Source pulumi.StringInput
}

// StorageVolume is a libvirt storage volume (peerpods:libvirt:StorageVolume)
// on the libvirtd of its provider (ProviderArgs).
type StorageVolume struct {
	pulumi.CustomResourceState
	// Name is the volume name; Key its path on the host.
	Name pulumi.StringOutput `pulumi:"name"`
	Key  pulumi.StringOutput `pulumi:"key"`
	// SourceSha256 is the SHA-256 of the uploaded image.
	SourceSha256 pulumi.StringOutput `pulumi:"sourceSha256"`
}

// NewStorageVolume registers a StorageVolume.
func NewStorageVolume(ctx *pulumi.Context, name string, args StorageVolumeArgs, opts ...pulumi.ResourceOption) (*StorageVolume, error) {
	m := pulumi.Map{"pool": args.Pool}
	for k, v := range map[string]pulumi.Input{"name": args.Name, "format": args.Format, "capacity": args.Capacity, "source": args.Source} {
		if v != nil {
			m[k] = v
		}
	}
	r := &StorageVolume{}
	if err := ctx.RegisterResource(StorageVolumeType, name, m, r, opts...); err != nil {
		return nil, err
	}
	return r, nil
}

// KvmHostAccessArgs are the inputs of a KvmHostAccess.
type KvmHostAccessArgs struct {
	// Host, Port and User address the KVM host's SSH server.
	Host pulumi.StringInput
	Port pulumi.IntInput
	User pulumi.StringInput
	// Password or BootstrapPrivateKey log in once to install the key.
	Password            pulumi.StringInput
	BootstrapPrivateKey pulumi.StringInput
	// KnownHostKey pins the host key; nil trusts it on first use.
	KnownHostKey pulumi.StringInput
	// PrivateKey is a key pair to install instead of a generated one.
	PrivateKey pulumi.StringInput
	// KeyType is the generated key's type: rsa (nil) or ed25519.
	KeyType pulumi.StringInput
	// LibvirtSocket is libvirtd's socket on the host, when not the default.
	LibvirtSocket pulumi.StringInput
}

// KvmHostAccess is SSH key access to a KVM host's libvirtd
// (peerpods:libvirt:KvmHostAccess).
type KvmHostAccess struct {
	pulumi.CustomResourceState
	// LibvirtURI is qemu+ssh://user@host[:port]/system (no no_verify).
	LibvirtURI pulumi.StringOutput `pulumi:"libvirtUri"`
	// HostKey is the pinned host key, a known_hosts line.
	HostKey pulumi.StringOutput `pulumi:"hostKey"`
	// PublicKey and PrivateKey are the installed key pair (id_rsa.pub,
	// id_rsa); PrivateKey is secret.
	PublicKey  pulumi.StringOutput `pulumi:"publicKey"`
	PrivateKey pulumi.StringOutput `pulumi:"privateKey"`
}

// NewKvmHostAccess registers a KvmHostAccess.
func NewKvmHostAccess(ctx *pulumi.Context, name string, args KvmHostAccessArgs, opts ...pulumi.ResourceOption) (*KvmHostAccess, error) {
	m := pulumi.Map{"host": args.Host}
	for k, v := range map[string]pulumi.Input{"port": args.Port, "user": args.User, "knownHostKey": args.KnownHostKey, "keyType": args.KeyType, "libvirtSocket": args.LibvirtSocket} {
		if v != nil {
			m[k] = v
		}
	}
	for k, v := range map[string]pulumi.StringInput{"password": args.Password, "bootstrapPrivateKey": args.BootstrapPrivateKey, "privateKey": args.PrivateKey} {
		if v != nil {
			m[k] = pulumi.ToSecret(v)
		}
	}
	r := &KvmHostAccess{}
	opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"privateKey", "password", "bootstrapPrivateKey"}))
	if err := ctx.RegisterResource(KvmHostAccessType, name, m, r, opts...); err != nil {
		return nil, err
	}
	return r, nil
}
