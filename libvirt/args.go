package libvirt

import (
	"fmt"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/libvirt/image"
	"github.com/peerpods/provisioner/libvirt/settings"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Defaults of the libvirt settings (as in the product documentation).
const (
	DefaultURI     = "qemu:///system"
	DefaultPool    = "default"
	DefaultDir     = settings.DefaultPoolPath
	DefaultVolume  = settings.DefaultVolumeName
	DefaultFormat  = image.QCOW2
	DefaultNetwork = "default"
	DefaultSSHUser = "root"
	DefaultSSHPort = 22
)

// Args are the inputs of PeerPods. The json tags are the stack config names
// (under peerpods:libvirt) and the names validation errors use.
type Args struct {
	// URI is the libvirt URI of a libvirtd the program's machine reaches
	// directly: qemu:///system (the default), or
	// qemu+unix:///system?socket=PATH. Ignored with Host, which reaches
	// the host over qemu+ssh.
	URI string `json:"uri,omitzero" pulumi:"uri,optional" jsonschema:"minLength=1"`
	// Host, when set, is a remote KVM host: a key pair gets SSH access to
	// it and everything else goes over qemu+ssh, the URI the cluster gets
	// as LIBVIRT_URI (without no_verify: the pinned host key goes into
	// ssh-key-secret as known_hosts). Required when the handoff is on
	// (cluster or manifests): the cluster reaches the host over qemu+ssh.
	Host *Host `json:"host,omitzero" pulumi:"host,optional"`
	// AllowedSources are the address ranges (CIDR) cloud-api-adaptor
	// connects to Host from, the workers' network: the key's
	// authorized_keys line gets from="<ranges>" and logs in from nowhere
	// else. Default: the cluster's machine networks (install-config
	// networking.machineNetwork), when peerpods:kubeconfig is read; unset
	// and not read, the line has no from= (a warning says so). The machine
	// running peerpods must be within them too: it manages the pool and
	// the volume with the same key. Unused without Host.
	AllowedSources []string `json:"allowedSources,omitzero" pulumi:"allowedSources,optional"`
	// Pool is the dir storage pool (LIBVIRT_POOL), default default; an
	// existing pool of this name and Dir is adopted and left in place on
	// destroy.
	Pool string `json:"pool,omitzero" pulumi:"pool,optional" jsonschema:"minLength=1"`
	// Dir is the pool's directory (LIBVIRT_DIR_NAME), an absolute path
	// whose parent exists, default /var/lib/libvirt/images.
	Dir string `json:"dir,omitzero" pulumi:"dir,optional" jsonschema:"minLength=1"`
	// Volume is the pod VM image volume (LIBVIRT_VOL_NAME), default
	// podvm-base.qcow2. When the stack uploads Image, LIBVIRT_IMAGE_ID is
	// this name too, so the operator runs no image job of its own.
	Volume string `json:"volume,omitzero" pulumi:"volume,optional" jsonschema:"minLength=1"`
	// Format is the volume format, qcow2 (the default) or raw; it must be
	// the format of Image, when given.
	Format string `json:"format,omitzero" pulumi:"format,optional" jsonschema:"minLength=1"`
	// Capacity is the volume's virtual size in bytes, at least the
	// image's; 0 (the default) means the image's. Required without Image.
	Capacity int `json:"capacity,omitzero" pulumi:"capacity,optional"`
	// Image is the absolute path of the local pod VM image uploaded
	// (sparse) into the volume; a new image (by its SHA-256) replaces the
	// volume. Without it the volume is created empty, Capacity is
	// required, and the operator's image job builds the image.
	Image string `json:"image,omitzero" pulumi:"image,optional"`
	// Network is the libvirt network of the pod VMs (LIBVIRT_NET),
	// default default: letters, digits, '.', '_', '+' and '-' only
	// (cloud-api-adaptor's entrypoint passes it unquoted).
	Network string `json:"network,omitzero" pulumi:"network,optional" jsonschema:"minLength=1"`

	// Settings are the common peer-pods settings; what is nil or zero
	// takes the default (Settings.WithDefaults).
	Settings *common.Settings `json:"-" pulumi:"settings,optional"`
	// RedHatOfflineToken is REDHAT_OFFLINE_TOKEN; nil leaves it out.
	RedHatOfflineToken pulumi.StringInput `json:"-" pulumi:"redhatOfflineToken,optional" provider:"secret"`
	// HostKeyCerts is HOST_KEY_CERTS (IBM Z Secure Execution host key
	// documents for the operator's image build); nil leaves it out.
	HostKeyCerts pulumi.StringInput `json:"-" pulumi:"hostKeyCerts,optional" provider:"secret"`
}

// Host describes a remote KVM host (peerpods:libvirt.host; the
// component's host input).
type Host struct {
	// Address is the host's name or address. Required with Host.
	Address string `json:"address" pulumi:"address"`
	// Port is the SSH port, default 22.
	Port int `json:"port,omitzero" pulumi:"port,optional" jsonschema:"minimum=1"`
	// User is the SSH user, default root.
	User string `json:"user,omitzero" pulumi:"user,optional" jsonschema:"minLength=1"`
	// KnownHostKey pins the host's SSH key (a known_hosts line or a public
	// key, as ssh-keyscan prints it; peerpods preview prints the key the
	// host presents, with its fingerprint, for the reviewer to confirm).
	// Required unless AcceptNewHostKey: the first contact sends the
	// bootstrap password or key. A changed host key is an error.
	KnownHostKey string `json:"knownHostKey,omitzero" pulumi:"knownHostKey,optional"`
	// AcceptNewHostKey trusts the key the host presents at the first
	// contact, and pins that, when KnownHostKey is not set (default false:
	// refused, since the bootstrap password would go to whatever answers at
	// the address).
	AcceptNewHostKey bool `json:"acceptNewHostKey,omitzero" pulumi:"acceptNewHostKey,optional"`
	// KeyType is the type of the generated key pair, rsa (4096 bits, the
	// default) or ed25519; unused with peerpods:sshPrivateKey.
	KeyType string `json:"keyType,omitzero" pulumi:"keyType,optional" jsonschema:"minLength=1"`
	// LibvirtSocket is libvirtd's socket on the host, an absolute path,
	// when not libvirt's default.
	LibvirtSocket string `json:"libvirtSocket,omitzero" pulumi:"libvirtSocket,optional"`

	// Password or BootstrapPrivateKey (secrets) log in once to install
	// the key pair; one is required.
	Password            pulumi.StringInput `json:"-" pulumi:"password,optional" provider:"secret"`
	BootstrapPrivateKey pulumi.StringInput `json:"-" pulumi:"bootstrapPrivateKey,optional" provider:"secret"`
	// PrivateKey (secret) is a key pair to install instead of a generated
	// one.
	PrivateKey pulumi.StringInput `json:"-" pulumi:"privateKey,optional" provider:"secret"`
}

// WithDefaults returns a copy of a with the libvirt defaults filled in.
func (a Args) WithDefaults() Args {
	a.Settings = a.Settings.WithDefaults(contract.Libvirt)
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&a.URI, DefaultURI)
	def(&a.Pool, DefaultPool)
	def(&a.Dir, DefaultDir)
	def(&a.Volume, DefaultVolume)
	def(&a.Format, DefaultFormat)
	def(&a.Network, DefaultNetwork)
	if a.Host != nil {
		h := *a.Host
		def(&h.User, DefaultSSHUser)
		def(&h.KeyType, settings.KeyTypeRSA)
		if h.Port == 0 {
			h.Port = DefaultSSHPort
		}
		a.Host = &h
	}
	return a
}

// Validate checks the arguments (after WithDefaults), the image included,
// and reports every problem in one error. Settings are named as under the
// peerpods:libvirt config key, prefixed "libvirt.".
func (a Args) Validate() error {
	var p problems.List
	p.Add(a.Settings.ValidateFor(contract.Libvirt))
	if a.Host == nil {
		if _, err := settings.ParseURI(a.URI); err != nil {
			p.Add(problems.Invalid("libvirt.uri", err.Error(), "use qemu:///system, qemu+unix:///system?socket=PATH, or set libvirt.host for a remote KVM host"))
		}
	} else {
		h := a.Host
		// The secrets may be outputs of other resources: only their
		// presence is checked here, their content by the provider.
		var bootstrap *string
		if h.Password != nil || h.BootstrapPrivateKey != nil {
			bootstrap = new(string)
			*bootstrap = "given"
		}
		if h.KnownHostKey == "" && !h.AcceptNewHostKey {
			p.Add(problems.Invalid("libvirt.host.knownHostKey", fmt.Sprintf("is not set: the first contact would send the bootstrap password or key to whatever answers at %s and trust the key it presents", h.Address),
				"pin the host's key: the line ssh-keyscan -t ed25519 "+h.Address+" prints, once its fingerprint matches ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub run on the host (peerpods preview prints the key the host presents); or set libvirt.host.acceptNewHostKey to true to trust the first key met"))
		}
		p.Add(settings.CheckHostAccess(hostSettings, settings.HostAccess{
			Host: h.Address, Port: h.Port, User: h.User, Password: bootstrap,
			KnownHostKey: optional(h.KnownHostKey), KeyType: h.KeyType, LibvirtSocket: optional(h.LibvirtSocket),
			AllowedSources: a.AllowedSources,
		}, nil))
	}
	p.Add(check.Name("libvirt.pool", a.Pool))
	p.Add(settings.CheckPoolPath("libvirt.dir", a.Dir))
	p.Add(check.Name("libvirt.volume", a.Volume))
	// The network is only handed on (LIBVIRT_NET), which cloud-api-adaptor's
	// entrypoint passes unquoted: the contract's narrower libvirt name.
	if err := check.Name("libvirt.network", a.Network); err != nil {
		p.Add(err)
	} else {
		p.Add(check.Pattern("libvirt.network", a.Network, contract.LibvirtNamePattern, "a libvirt network name such as default (letters, digits, '.', '_', '+', '-')"))
	}
	formatErr := settings.CheckFormat("libvirt.format", a.Format)
	p.Add(formatErr)
	if a.Capacity < 0 {
		p.Add(problems.Invalid("libvirt.capacity", fmt.Sprintf("is %d", a.Capacity), "give the volume size in bytes, or 0 for the image's size"))
	}
	switch {
	case a.Image != "" && formatErr == nil:
		_, err := settings.CheckSource(settings.SourceNames{Source: "libvirt.image", Format: "libvirt.format", Capacity: "libvirt.capacity"},
			a.Image, a.Format, optionalInt(a.Capacity))
		p.Add(err)
	case a.Image == "" && a.Capacity == 0:
		p.Add(problems.Invalid("libvirt.image", "is not set, and neither is libvirt.capacity", "give the pod VM image to upload (libvirt.image), or the size of an empty volume (libvirt.capacity, bytes)"))
	}
	return p.Err()
}

// hostSettings are the settings of a host access, as the stack names
// them: libvirt.host fields, and the credentials' own secret settings.
var hostSettings = settings.HostAccessNames{
	Host: "libvirt.host.address", Port: "libvirt.host.port", User: "libvirt.host.user",
	Password: "libvirtHostPassword", BootstrapPrivateKey: "libvirtHostBootstrapKey", PrivateKey: "sshPrivateKey",
	KnownHostKey: "libvirt.host.knownHostKey", KeyType: "libvirt.host.keyType", LibvirtSocket: "libvirt.host.libvirtSocket",
	AllowedSources: "libvirt.allowedSources",
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}
