package provider

import (
	"context"
	"errors"

	"github.com/digitalocean/go-libvirt"
	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/settings"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Config is the provider configuration: the libvirtd that the pools and
// volumes of this provider instance live on, and the cluster whose nodes
// its NodeTaints taint. One instance serves one KVM host
// (peerpods:libvirt:PeerPods registers one per host, fed by the
// KvmHostAccess outputs); an instance without uri serves KvmHostAccess
// and NodeTaints only. Each resource needs only its own part: a provider
// for NodeTaints has no libvirt settings, one for pools and volumes no
// kubeconfig.
//
// The connection is configuration, not a resource input, so that it is
// stored once (the private key as a secret in the provider's state, not in
// every pool and volume), and so that a change of how the host is reached
// (socket, port, user, keys) updates the provider in place while only a
// change of host replaces what lives on it (Diff).
type Config struct {
	// URI is the libvirt URI: qemu:///system,
	// qemu+unix:///system?socket=PATH or qemu+ssh://user@host[:port]/system.
	URI string `pulumi:"uri,optional"`
	// PrivateKey and HostKey authenticate qemu+ssh (KvmHostAccess outputs).
	PrivateKey *string `pulumi:"privateKey,optional" provider:"secret"`
	HostKey    *string `pulumi:"hostKey,optional"`
	// Kubeconfig is the kubeconfig (its contents) NodeTaints connects
	// with, a secret; KubeContext its context, nil for its current one.
	Kubeconfig  *string `pulumi:"kubeconfig,optional" provider:"secret"`
	KubeContext *string `pulumi:"kubeContext,optional"`
}

// Annotate describes the configuration.
func (c *Config) Annotate(an infer.Annotator) {
	an.Describe(&c.URI, "libvirt URI of the host's libvirtd: qemu:///system, qemu+unix:///system?socket=PATH or qemu+ssh://user@host[:port]/system. Needed by StoragePool and StorageVolume; KvmHostAccess does not use it.")
	an.Describe(&c.PrivateKey, "SSH private key for qemu+ssh (KvmHostAccess.privateKey).")
	an.Describe(&c.HostKey, "Pinned SSH host key for qemu+ssh, a known_hosts line or public key (KvmHostAccess.hostKey).")
	an.Describe(&c.Kubeconfig, "The cluster's kubeconfig (its contents, not its path), a secret. Needed by NodeTaints, which adds and removes node taints through the cluster's API; the libvirt resources do not use it.")
	an.Describe(&c.KubeContext, "The kubeconfig's context NodeTaints uses; default: its current one.")
}

// Check validates the configuration values that are known; unknown ones
// (in a preview) are checked once known.
func (Config) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[Config], error) {
	cfg, f, err := infer.DefaultCheck[Config](ctx, req.NewInputs)
	if err != nil || len(f) > 0 {
		return infer.CheckResponse[Config]{Inputs: cfg, Failures: f}, err
	}
	// The unknown values were taken out of the request (see
	// hideUnknownConfig).
	u := unknownInputs(req.NewInputs)
	for k := range unknownsOf(ctx) {
		u[k] = true
	}
	var fs failures
	cfg.check(&fs, u)
	return infer.CheckResponse[Config]{Inputs: cfg, Failures: fs}, nil
}

// check validates the known configuration values (u: the unknown ones).
func (c Config) check(f *failures, u unknowns) {
	if !u["kubeconfig"] {
		// An unknown context is checked once known.
		kubeContext := deref(c.KubeContext)
		if u["kubeContext"] {
			kubeContext = ""
		}
		f.addErr(CheckKubeconfig(deref(c.Kubeconfig), kubeContext))
	}
	checkHostKey := func() {
		if _, err := settings.ParseHostKey(*c.HostKey); err != nil {
			f.add("hostKey", err.Error())
		}
	}
	if u["uri"] || c.URI == "" {
		// The transport is not known yet (or there is no connection),
		// so neither is whether the keys are needed; a host key given
		// must still be one.
		if !u["hostKey"] && deref(c.HostKey) != "" {
			checkHostKey()
		}
		return
	}
	t, err := settings.ParseURI(c.URI)
	if err != nil {
		f.add("uri", err.Error())
		return
	}
	if t.Transport == "ssh" {
		if !u["privateKey"] && deref(c.PrivateKey) == "" {
			f.add("privateKey", "is needed for "+settings.Redact(c.URI)+"; pass the KvmHostAccess privateKey output")
		}
		switch {
		case u["hostKey"]:
		case deref(c.HostKey) == "":
			f.add("hostKey", "is needed for "+settings.Redact(c.URI)+"; pass the KvmHostAccess hostKey output")
		default:
			checkHostKey()
		}
	}
}

// diffConfig is the provider's DiffConfig. It replaces the provider, and
// with it every pool and volume it serves, only when the new URI names
// another host (settings.SameHost): a new socket, port, user, transport to the
// same host or new keys are an update in place. The engine asks the same
// of a resource whose provider instance changes (pulumi pkg
// resource/deploy/step_generator.go, providerChanged: the new provider's
// DiffConfig against the old provider's inputs), so a pool moved to
// another instance for the same host is not replaced either. A provider
// of an earlier version had no uri: its resources keep their own
// connection (LegacyConnection) and their Diff compares hosts.
//
// It reads both configurations itself instead of through infer. infer
// diffs a configuration by meaning only through a CustomDiff on the
// config type, and then (pulumi-go-provider v1.4.0 infer/configuration.go,
// config.diffConfig, and infer/resource.go, hydrateFromState) decodes the
// old configuration into the receiver that holds the live one
// (ende.DecodeConfig into c.receiver): the live configuration becomes the
// old one, and after providerChanged diffed an instance against the old
// host's, the instance would serve the old host. Measured with
// TestDiffConfigLeavesConfigurationAlone and a CustomDiff: the Create
// dialled the other host's libvirtd.
func diffConfig(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
	d := newDiffer(ctx)
	s, in := configOf(req.State), configOf(req.Inputs)
	switch {
	case s.URI == "":
		d.update("uri", in.URI != "")
	case !d.known("uri"):
		d.replace("uri", true)
	case s.URI != in.URI:
		same, err := settings.SameHost(s.URI, in.URI)
		if err != nil {
			return p.DiffResponse{}, err
		}
		if same {
			d.update("uri", true)
		} else {
			d.replace("uri", true)
		}
	}
	d.update("privateKey", deref(s.PrivateKey) != deref(in.PrivateKey))
	d.update("hostKey", deref(s.HostKey) != deref(in.HostKey))
	// The cluster's connection: NodeTaints keep their node whichever
	// kubeconfig reaches it.
	d.update("kubeconfig", deref(s.Kubeconfig) != deref(in.Kubeconfig))
	d.update("kubeContext", deref(s.KubeContext) != deref(in.KubeContext))
	return d.response(false), nil
}

// configOf reads the known string values of a configuration.
func configOf(m property.Map) Config {
	str := func(k string) *string {
		if v, ok := m.GetOk(k); ok && v.IsString() {
			s := v.AsString()
			return &s
		}
		return nil
	}
	return Config{URI: deref(str("uri")), PrivateKey: str("privateKey"), HostKey: str("hostKey"),
		Kubeconfig: str("kubeconfig"), KubeContext: str("kubeContext")}
}

// LegacyConnection is the connection that versions up to 0.1.0 kept in
// each pool's and volume's own inputs and state (uri, privateKey,
// hostKey). It is read only to serve resources created then: Read and
// Delete through a provider without uri, and the Update that drops it
// once the resource's provider is configured.
type LegacyConnection struct {
	// URI, PrivateKey and HostKey are as in Config.
	URI        *string `pulumi:"uri,optional"`
	PrivateKey *string `pulumi:"privateKey,optional" provider:"secret"`
	HostKey    *string `pulumi:"hostKey,optional"`
}

// Annotate describes the legacy outputs.
func (l *LegacyConnection) Annotate(an infer.Annotator) {
	const deprecated = " Kept by versions up to 0.1.0; dropped by the next update: the connection is provider configuration now."
	an.Describe(&l.URI, "libvirt URI."+deprecated)
	an.Describe(&l.PrivateKey, "SSH private key."+deprecated)
	an.Describe(&l.HostKey, "Pinned SSH host key."+deprecated)
}

// set reports whether the state holds a legacy connection.
func (l LegacyConnection) set() bool {
	return l.URI != nil || l.PrivateKey != nil || l.HostKey != nil
}

// legacyInputs are the names of the legacy connection inputs.
var legacyInputs = []string{"uri", "privateKey", "hostKey"}

// checkConnected fails a pool's or volume's check when it is given the
// connection as its own inputs (as versions up to 0.1.0 took it), or when
// its provider has no uri. It returns the inputs without the connection,
// to be checked as usual.
func checkConnected(ctx context.Context, f *failures, in property.Map) property.Map {
	for _, k := range legacyInputs {
		if _, ok := in.GetOk(k); ok {
			f.add(k, "is provider configuration since 0.2.0, not an input of the resource; fix: set it on the resource's peerpods provider (peerpods:libvirt:PeerPods registers one per host) and remove it here")
			in = in.Delete(k)
		}
	}
	if infer.GetConfig[Config](ctx).URI == "" {
		f.add("", errNoURI.Error())
	}
	return in
}

// errNoURI is the error of a pool or volume whose provider has no uri.
var errNoURI = errors.New("the peerpods provider of this resource has no uri; fix: give the resource a provider configured for its KVM host (uri, and privateKey and hostKey for qemu+ssh), as peerpods:libvirt:PeerPods does")

// connection returns the libvirt connection of a resource: its provider's
// configuration, or, for a resource of an earlier version served by a
// provider without uri, the resource's own legacy connection.
func connection(ctx context.Context, legacy LegacyConnection) (Config, error) {
	if cfg := infer.GetConfig[Config](ctx); cfg.URI != "" {
		return cfg, nil
	}
	if deref(legacy.URI) != "" {
		return Config{URI: *legacy.URI, PrivateKey: legacy.PrivateKey, HostKey: legacy.HostKey}, nil
	}
	return Config{}, errNoURI
}

// open connects to the resource's libvirtd (see connection).
func open(ctx context.Context, legacy LegacyConnection) (*libvirt.Libvirt, Config, error) {
	c, err := connection(ctx, legacy)
	if err != nil {
		return nil, Config{}, err
	}
	l, err := conn.Open(c.URI, c.credentials())
	return l, c, err
}

func (c Config) credentials() conn.Credentials {
	return conn.Credentials{PrivateKey: deref(c.PrivateKey), HostKey: deref(c.HostKey)}
}

// legacyDiff records the change of a state that holds a legacy
// connection: dropped by an update, or a replacement when the provider now
// names another host.
func legacyDiff(ctx context.Context, d *differ, legacy LegacyConnection) error {
	if !legacy.set() {
		return nil
	}
	cfg := infer.GetConfig[Config](ctx)
	if cfg.URI == "" {
		// Served by a provider without uri: nothing to move to yet.
		return nil
	}
	if legacy.URI != nil {
		same, err := settings.SameHost(*legacy.URI, cfg.URI)
		if err != nil {
			return err
		}
		if same {
			d.set("uri", p.Delete)
		} else {
			d.set("uri", p.DeleteReplace)
		}
	}
	if legacy.PrivateKey != nil {
		d.set("privateKey", p.Delete)
	}
	if legacy.HostKey != nil {
		d.set("hostKey", p.Delete)
	}
	return nil
}

// engineConfigKeys are provider inputs the engine sets itself, not
// configuration of this provider: the plugin version an SDK registers the
// provider with (the generated SDK's pulumi.Version), its download URL.
var engineConfigKeys = []string{"version", "pluginDownloadURL"}

// passEngineKeys wraps CheckConfig so that the engine's own keys
// (engineConfigKeys) are not checked as configuration, which infer's
// Config refuses as unrecognized fields, and come back as sent: the engine
// reads the version from the checked inputs it stores.
func passEngineKeys(check func(context.Context, p.CheckRequest) (p.CheckResponse, error)) func(context.Context, p.CheckRequest) (p.CheckResponse, error) {
	if check == nil {
		return nil
	}
	return func(ctx context.Context, req p.CheckRequest) (p.CheckResponse, error) {
		sent := map[string]property.Value{}
		for _, k := range engineConfigKeys {
			if v, ok := req.Inputs.GetOk(k); ok {
				sent[k] = v
			}
		}
		req.Inputs = req.Inputs.Delete(engineConfigKeys...)
		req.State = req.State.Delete(engineConfigKeys...)
		resp, err := check(ctx, req)
		if err != nil {
			return resp, err
		}
		for k, v := range sent {
			resp.Inputs = resp.Inputs.Set(k, v)
		}
		return resp, nil
	}
}
