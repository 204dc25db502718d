package libvirt_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/libvirt"
	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/peerpods/provisioner/sdk/go/peerpods"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Type tokens of the peerpods provider and its resources.
const (
	providerType      = "pulumi:providers:peerpods"
	storagePoolType   = "peerpods:libvirt:StoragePool"
	storageVolumeType = "peerpods:libvirt:StorageVolume"
	kvmHostAccessType = "peerpods:libvirt:KvmHostAccess"
)

// hostMocks records the graph like pulumitest.Mocks, and the plugin
// version each resource asks for, and answers the KvmHostAccess outputs
// the way the provider does.
type hostMocks struct {
	*pulumitest.Mocks
	versions *sync.Map // name -> version
}

const (
	fakeURI     = "qemu+ssh://root@kvm1.example.com/system"
	fakeHostKey = "kvm1.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
	fakePublic  = "ssh-rsa AAAAB3Nza peerpods"
	fakePrivate = "-----BEGIN RSA PRIVATE KEY-----\nfake\n-----END RSA PRIVATE KEY-----\n"
)

func (m hostMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, state, err := m.Mocks.NewResource(args)
	m.versions.Store(args.TypeToken+" "+args.Name, args.RegisterRPC.GetVersion())
	if args.TypeToken == kvmHostAccessType {
		state = state.Copy()
		state["libvirtUri"] = resource.NewStringProperty(fakeURI)
		state["hostKey"] = resource.NewStringProperty(fakeHostKey)
		state["publicKey"] = resource.NewStringProperty(fakePublic)
		state["privateKey"] = resource.MakeSecret(resource.NewStringProperty(fakePrivate))
	}
	return id, state, err
}

// testImage writes a small raw image and returns its path.
func testImage(t *testing.T, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "podvm.raw")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return path
}

func qcow2Image(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "podvm.qcow2")
	// The qcow2 header: magic, version 3, and the virtual size (1 GiB) at
	// offset 24.
	hdr := make([]byte, 512)
	copy(hdr, []byte{'Q', 'F', 'I', 0xfb, 0, 0, 0, 3})
	hdr[24+4] = 0x40
	if err := os.WriteFile(path, hdr, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type result struct {
	m   hostMocks
	pp  *libvirt.PeerPods
	err error
}

func run(t *testing.T, args libvirt.Args, withProvider bool) result {
	t.Helper()
	m := hostMocks{&pulumitest.Mocks{}, &sync.Map{}}
	var pp *libvirt.PeerPods
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var opts []pulumi.ResourceOption
		if withProvider {
			prov, err := peerpods.NewProvider(ctx, "peerpods", &peerpods.ProviderArgs{})
			if err != nil {
				return err
			}
			opts = append(opts, pulumi.Provider(prov))
		}
		var err error
		pp, err = libvirt.NewPeerPods(ctx, "lv", args, opts...)
		return err
	}, pulumi.WithMocks(pulumitest.Project, pulumitest.Stack, m))
	return result{m, pp, err}
}

func remoteArgs(t *testing.T) libvirt.Args {
	return libvirt.Args{
		Host: &libvirt.Host{
			AcceptNewHostKey: true,
			Address:          "kvm1.example.com",
			Password:         pulumi.String("bootstrap-pw"),
		},
		Image:              qcow2Image(t),
		Settings:           common.NewSettings(contract.Libvirt),
		RedHatOfflineToken: pulumi.String("offline-token"),
	}
}

func strings_(m resource.PropertyMap) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch {
		case v.IsSecret():
			out[string(k)] = "secret:" + v.SecretValue().Element.StringValue()
		case v.IsString():
			out[string(k)] = v.StringValue()
		case v.IsNumber():
			out[string(k)] = v.NumberValue()
		default:
			out[string(k)] = v.String()
		}
	}
	return out
}

func TestRemoteHostGraph(t *testing.T) {
	args := remoteArgs(t)
	r := run(t, args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []string{
		"peerpods:libvirt:KvmHostAccess lv-host",
		"peerpods:libvirt:PeerPods lv",
		"peerpods:libvirt:StoragePool lv-pool",
		"peerpods:libvirt:StorageVolume lv-volume",
		"pulumi:providers:peerpods lv-libvirt",
		"pulumi:providers:peerpods peerpods",
	}
	if got := r.m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("registered %v\nwant %v", got, want)
	}
	// The generated SDK asks the engine for the provider plugin of the
	// provider's version, for both providers and every resource.
	for _, res := range want {
		if strings.HasPrefix(res, libvirt.PeerPodsType) {
			continue
		}
		if v, _ := r.m.versions.Load(res); v != provider.Version {
			t.Errorf("%s registered with plugin version %q, want %s", res, v, provider.Version)
		}
	}
	// The component's fields are the SDK's resources.
	if r.pp.Access == nil || r.pp.Pool == nil || r.pp.Volume == nil || r.pp.Libvirt == nil {
		t.Errorf("PeerPods resources: access %v, pool %v, volume %v, provider %v", r.pp.Access, r.pp.Pool, r.pp.Volume, r.pp.Libvirt)
	}
	comp := r.m.Get(t, libvirt.PeerPodsType, "lv")
	prov := r.m.Get(t, providerType, "peerpods")
	if !reflect.DeepEqual(comp.Providers, []string(nil)) && len(comp.Providers) > 0 && comp.Providers[0] != prov.Ref() {
		t.Errorf("component providers %v", comp.Providers)
	}
	// The access is served by the caller's provider; the pool and volume
	// by the host's own instance, configured from the access's outputs
	// (the key stored once, secret) and the URI computed from the
	// settings.
	libvirtd := r.m.Get(t, providerType, "lv-libvirt")
	if libvirtd.Parent != comp.URN {
		t.Errorf("host provider parent %s", libvirtd.Parent)
	}
	wantConfig := map[string]any{"uri": fakeURI, "privateKey": "secret:" + fakePrivate, "hostKey": fakeHostKey}
	if got := strings_(libvirtd.Inputs); !reflect.DeepEqual(got, wantConfig) {
		t.Errorf("host provider configuration %v\nwant %v", got, wantConfig)
	}
	servedBy := map[string]string{kvmHostAccessType: prov.Ref(), storagePoolType: libvirtd.Ref(), storageVolumeType: libvirtd.Ref()}
	for typ, ref := range servedBy {
		for _, res := range r.m.OfType(typ) {
			if res.Parent != comp.URN || res.Provider != ref {
				t.Errorf("%s: parent %s provider %s, want %s", typ, res.Parent, res.Provider, ref)
			}
		}
	}

	host := strings_(r.m.Get(t, kvmHostAccessType, "lv-host").Inputs)
	wantHost := map[string]any{"host": "kvm1.example.com", "port": 22.0, "user": "root", "keyType": "rsa", "password": "secret:bootstrap-pw"}
	if !reflect.DeepEqual(host, wantHost) {
		t.Errorf("host access inputs %v\nwant %v", host, wantHost)
	}
	pool := strings_(r.m.Get(t, storagePoolType, "lv-pool").Inputs)
	wantPool := map[string]any{"name": "default", "path": "/var/lib/libvirt/images"}
	if !reflect.DeepEqual(pool, wantPool) {
		t.Errorf("pool inputs %v\nwant %v", pool, wantPool)
	}
	vol := strings_(r.m.Get(t, storageVolumeType, "lv-volume").Inputs)
	wantVol := map[string]any{
		"pool": "default", "name": "podvm-base.qcow2", "format": "qcow2", "source": args.Image}
	if !reflect.DeepEqual(vol, wantVol) {
		t.Errorf("volume inputs %v\nwant %v", vol, wantVol)
	}

	// The values: exact keys, secrets secret, and complete for the handoff.
	v := r.pp.Values
	if err := v.Check(true); err != nil || len(v.MissingSecrets()) > 0 {
		t.Fatalf("values incomplete: %v %v", err, v.MissingSecrets())
	}
	cm, _ := pulumitest.Await(t, v.ConfigMap.ToStringMapOutput())
	wantCM := map[string]string{
		"CLOUD_PROVIDER": "libvirt", "VXLAN_PORT": "9000", "PROXY_TIMEOUT": "15m", "PEERPODS_LIMIT_PER_NODE": "10",
		"LIBVIRT_POOL": "default", "LIBVIRT_VOL_NAME": "podvm-base.qcow2", "LIBVIRT_DIR_NAME": "/var/lib/libvirt/images", "LIBVIRT_NET": "default",
		// The stack uploaded the image: the operator's image job marker.
		"LIBVIRT_IMAGE_ID": "podvm-base.qcow2",
	}
	if !reflect.DeepEqual(cm, wantCM) {
		t.Errorf("ConfigMap %v\nwant %v", cm, wantCM)
	}
	sec, isSecret := pulumitest.Await(t, v.SecretOutput())
	wantSec := map[string]string{"CLOUD_PROVIDER": "libvirt", "LIBVIRT_URI": fakeURI, "LIBVIRT_POOL": "default", "LIBVIRT_VOL_NAME": "podvm-base.qcow2", "REDHAT_OFFLINE_TOKEN": "offline-token"}
	if !isSecret || !reflect.DeepEqual(sec, wantSec) {
		t.Errorf("Secret (secret=%v) %v\nwant %v", isSecret, sec, wantSec)
	}
	if strings.Contains(fakeURI, "no_verify") {
		t.Fatal("test URI")
	}
	ssh, isSecret := pulumitest.Await(t, v.SSHKeyOutput())
	if !isSecret || !reflect.DeepEqual(ssh, map[string]string{"id_rsa": fakePrivate, "id_rsa.pub": fakePublic, "known_hosts": fakeHostKey}) {
		t.Errorf("ssh-key-secret (secret=%v) %v", isSecret, ssh)
	}
	if _, secret := pulumitest.Await(t, v.Secret["LIBVIRT_URI"].ToStringOutput()); !secret {
		t.Error("LIBVIRT_URI on its own is not secret")
	}
	if _, secret := pulumitest.Await(t, v.SSHKey["id_rsa"].ToStringOutput()); !secret {
		t.Error("id_rsa on its own is not secret")
	}
	if kh, _ := pulumitest.Await(t, r.pp.KnownHosts); kh != fakeHostKey {
		t.Errorf("knownHosts %v", kh)
	}
	if len(v.Ready) != 3 {
		t.Errorf("Ready lists %d resources, want 3", len(v.Ready))
	}
}

func TestLocalGraph(t *testing.T) {
	img := testImage(t, 8<<20)
	args := libvirt.Args{
		URI: "qemu+unix:///system?socket=/run/test/libvirt-sock", Pool: "peerpods", Dir: "/srv/pods",
		Volume: "pod.img", Format: "raw", Capacity: 16 << 20, Image: img, Network: "podnet",
		Settings: common.NewSettings(contract.Libvirt),
	}
	r := run(t, args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := len(r.m.OfType(kvmHostAccessType)); n != 0 {
		t.Fatalf("%d host accesses without host", n)
	}
	if got := strings_(r.m.Get(t, providerType, "lv-libvirt").Inputs); !reflect.DeepEqual(got, map[string]any{"uri": args.URI}) {
		t.Errorf("local provider configuration %v, want the uri alone", got)
	}
	vol := strings_(r.m.Get(t, storageVolumeType, "lv-volume").Inputs)
	wantVol := map[string]any{"pool": "peerpods", "name": "pod.img", "format": "raw", "capacity": float64(16 << 20), "source": img}
	if !reflect.DeepEqual(vol, wantVol) {
		t.Errorf("volume inputs %v\nwant %v", vol, wantVol)
	}
	cm, _ := pulumitest.Await(t, r.pp.ConfigMap)
	m := cm.(map[string]string)
	if m["LIBVIRT_POOL"] != "peerpods" || m["LIBVIRT_DIR_NAME"] != "/srv/pods" || m["LIBVIRT_NET"] != "podnet" || m["LIBVIRT_VOL_NAME"] != "pod.img" {
		t.Errorf("ConfigMap %v", m)
	}
	v := r.pp.Values
	if v.SSHKey != nil {
		t.Error("ssh-key-secret values without a host")
	}
	if _, ok := v.Secret["REDHAT_OFFLINE_TOKEN"]; ok {
		t.Error("REDHAT_OFFLINE_TOKEN without a token")
	}
	if err := v.Check(false); err != nil {
		t.Error(err)
	}
}

func TestBadInputRegistersNothing(t *testing.T) {
	img := testImage(t, 8<<20)
	qcow := qcow2Image(t)
	base := func(change func(*libvirt.Args)) libvirt.Args {
		a := libvirt.Args{Image: img, Format: "raw", Settings: common.NewSettings(contract.Libvirt)}
		change(&a)
		return a
	}
	cases := []struct {
		name     string
		args     libvirt.Args
		settings []string
		fix      string
	}{
		{"relative dir", base(func(a *libvirt.Args) { a.Dir = "images" }), []string{"libvirt.dir"}, "absolute directory"},
		{"pool with slash", base(func(a *libvirt.Args) { a.Pool = "a/b" }), []string{"libvirt.pool"}, "without /"},
		{"volume with slash", base(func(a *libvirt.Args) { a.Volume = "../x" }), []string{"libvirt.volume"}, "without /"},
		{"unknown format", base(func(a *libvirt.Args) { a.Format = "vmdk" }), []string{"libvirt.format"}, `"qcow2" or "raw"`},
		{"format does not match", base(func(a *libvirt.Args) { a.Image = qcow }), []string{"libvirt.format"}, `set it to "qcow2"`},
		{"capacity smaller than image", base(func(a *libvirt.Args) { a.Capacity = 1 << 20 }), []string{"libvirt.capacity"}, "at least 8388608"},
		{"qcow2 capacity below virtual size", base(func(a *libvirt.Args) { a.Image, a.Format, a.Capacity = qcow, "qcow2", 1<<30-1 }), []string{"libvirt.capacity"}, "at least 1073741824"},
		{"missing image", base(func(a *libvirt.Args) { a.Image = "/nonexistent/podvm.qcow2" }), []string{"libvirt.image"}, "existing image"},
		{"relative image", base(func(a *libvirt.Args) { a.Image = "podvm.qcow2" }), []string{"libvirt.image"}, "absolute"},
		{"no image nor capacity", base(func(a *libvirt.Args) { a.Image = "" }), []string{"libvirt.image"}, "libvirt.capacity"},
		{"negative capacity", base(func(a *libvirt.Args) { a.Image, a.Capacity = "", -1 }), []string{"libvirt.capacity"}, "bytes"},
		{"bad network", base(func(a *libvirt.Args) { a.Network = "a b" }), []string{"libvirt.network"}, "network name"},
		{"network with slash", base(func(a *libvirt.Args) { a.Network = "a/b" }), []string{"libvirt.network"}, "without /"},
		{"pool with a line break", base(func(a *libvirt.Args) { a.Pool = "pool\nname" }), []string{"libvirt.pool"}, "printable"},
		{"volume with NUL", base(func(a *libvirt.Args) { a.Volume = "vol\x00" }), []string{"libvirt.volume"}, "printable"},
		{"network with a tab", base(func(a *libvirt.Args) { a.Network = "net\tx" }), []string{"libvirt.network"}, "printable"},
		{"control characters everywhere", base(func(a *libvirt.Args) { a.Pool, a.Volume, a.Network = "p\x1b", "v\r", "n\x7f" }),
			[]string{"libvirt.pool", "libvirt.volume", "libvirt.network"}, "printable"},
		{"bad uri", base(func(a *libvirt.Args) { a.URI = "qemu+ssh://root@h/system?no_verify=1" }), []string{"libvirt.uri"}, "libvirt.host"},
		{"host key neither pinned nor accepted", base(func(a *libvirt.Args) { a.Host = &libvirt.Host{Address: "kvm1", Password: pulumi.String("pw")} }),
			[]string{"libvirt.host.knownHostKey"}, "libvirt.host.acceptNewHostKey"},
		{"host without credential", base(func(a *libvirt.Args) { a.Host = &libvirt.Host{Address: "kvm1", AcceptNewHostKey: true} }), []string{"libvirtHostPassword"}, "password or an existing private key"},
		{"host bad port and key type", base(func(a *libvirt.Args) {
			a.Host = &libvirt.Host{Address: "kvm1", Port: 70000, KeyType: "dsa", Password: pulumi.String("pw"), AcceptNewHostKey: true}
		}), []string{"libvirt.host.port", "libvirt.host.keyType"}, ""},
		{"host with user in address", base(func(a *libvirt.Args) {
			a.Host = &libvirt.Host{Address: "root@kvm1", Password: pulumi.String("pw"), KnownHostKey: "garbage"}
		}), []string{"libvirt.host.address", "libvirt.host.knownHostKey"}, ""},
		{"common settings", base(func(a *libvirt.Args) { a.Settings.TunnelPort = pulumi.IntRef(70000) }), []string{"tunnelPort"}, "1 to 65535"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.args, true)
			ies := problems.InputErrors(r.err)
			var got []string
			for _, ie := range ies {
				got = append(got, ie.Setting)
			}
			if !reflect.DeepEqual(got, c.settings) {
				t.Fatalf("errors on %v, want %v: %v", got, c.settings, r.err)
			}
			if c.fix != "" && !strings.Contains(ies[0].Fix, c.fix) {
				t.Fatalf("fix %q does not contain %q", ies[0].Fix, c.fix)
			}
			if s := r.m.Summary(); !reflect.DeepEqual(s, []string{"pulumi:providers:peerpods peerpods"}) {
				t.Fatalf("registered %v on bad input", s)
			}
		})
	}
}

func TestRequiresProvider(t *testing.T) {
	r := run(t, remoteArgs(t), false)
	if r.err == nil || !strings.Contains(r.err.Error(), "provider for peerpods is not given") {
		t.Fatalf("want a missing provider error, got %v", r.err)
	}
	if n := len(r.m.Resources()); n != 0 {
		t.Fatalf("%d resources registered without provider", n)
	}
}

// TestPluginVersion: the component's own provider instance asks for the
// generated SDK's version, or PluginVersion when set (the plugin's own:
// a release at another version must not send the engine looking for the
// source tree's).
func TestPluginVersion(t *testing.T) {
	for _, c := range []struct{ set, want string }{{"", provider.Version}, {"9.8.7-test", "9.8.7-test"}} {
		libvirt.PluginVersion = c.set
		r := run(t, remoteArgs(t), true)
		libvirt.PluginVersion = ""
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := r.m.Get(t, providerType, "lv-libvirt").Version; got != c.want {
			t.Errorf("PluginVersion %q: the component's provider asks for version %q, want %q", c.set, got, c.want)
		}
	}
}
