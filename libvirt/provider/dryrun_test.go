package provider_test

import (
	"fmt"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// previewCreate runs Check and a preview Create, failing the test on an
// error.
func previewCreate(t *testing.T, s integration.Server, typ string, in property.Map) property.Map {
	t.Helper()
	resp, err := s.Create(p.CreateRequest{Urn: urn(typ), Properties: checked(t, s, typ, in), DryRun: true})
	if err != nil {
		t.Fatalf("preview Create %s: %v", typ, err)
	}
	return resp.Properties
}

// previewUpdate runs Check and a preview Update against state, failing the
// test on an error.
func previewUpdate(t *testing.T, s integration.Server, typ string, state, in property.Map) property.Map {
	t.Helper()
	resp, err := s.Update(p.UpdateRequest{ID: "test-id", Urn: urn(typ), State: state, Inputs: checked(t, s, typ, in), DryRun: true})
	if err != nil {
		t.Fatalf("preview Update %s: %v", typ, err)
	}
	return resp.Properties
}

// unixURI is a libvirt URI of the tripwire socket.
func unixURI(w *tripwire) string { return "qemu+unix:///system?socket=" + w.path() }

// sshURIOf is a qemu+ssh URI of the tripwire port.
func sshURIOf(w *tripwire) string {
	return fmt.Sprintf("qemu+ssh://root@127.0.0.1:%d/system", w.port())
}

// TestTripwireSeesDial makes sure the tripwires of the preview tests see a
// resource that does dial: a Create that is not a preview connects to
// libvirtd (unix socket) and a KvmHostAccess Create to sshd (TCP), and
// fails there.
func TestTripwireSeesDial(t *testing.T) {
	sock := newTripwire(t, "unix")
	s := configured(t, map[string]any{"uri": unixURI(sock)})
	_, err := s.Create(p.CreateRequest{Urn: urn(poolType), Properties: checked(t, s, poolType, props(map[string]any{"name": "images"}))})
	if err == nil {
		t.Error("Create against the tripwire socket succeeded")
	}
	if n := sock.dialled(t); n == 0 {
		t.Error("Create did not connect to the tripwire socket")
	}
	sshd := newTripwire(t, "tcp")
	_, err = s.Create(p.CreateRequest{Urn: urn(accessType), Properties: checked(t, s, accessType, props(map[string]any{
		"host": "127.0.0.1", "port": sshd.port(), "password": secret("pw"), "keyType": "ed25519",
	}))})
	if err == nil {
		t.Error("Create against the tripwire port succeeded")
	}
	if n := sshd.dialled(t); n == 0 {
		t.Error("Create did not connect to the tripwire port")
	}
}

// TestStoragePoolPreviewDoesNotDial: a preview Create or Update returns
// without connecting to libvirt, locally and over ssh, with known inputs
// and with unknown ones, which stay unknown in the outputs; the preview
// of a legacy pool's update already shows its connection dropped.
func TestStoragePoolPreviewDoesNotDial(t *testing.T) {
	keys := newKeys(t)
	t.Run("unix socket", func(t *testing.T) {
		sock := newTripwire(t, "unix")
		s := configured(t, map[string]any{"uri": unixURI(sock)})
		in := props(map[string]any{"name": "images"})
		previewCreate(t, s, poolType, in)
		previewUpdate(t, s, poolType, with(poolState(), map[string]any{"active": false}), in)
		out := previewCreate(t, s, poolType, props(map[string]any{"name": unknown(), "path": unknown()}))
		wantUnknown(t, out, nil, "name", "path", "uuid")
		noDial(t, sock, "a preview of a pool")
	})
	t.Run("ssh", func(t *testing.T) {
		sshd := newTripwire(t, "tcp")
		s := configured(t, map[string]any{"uri": sshURIOf(sshd), "privateKey": secret(keys.private), "hostKey": keys.hostKey})
		in := props(map[string]any{"name": "images"})
		previewCreate(t, s, poolType, in)
		out := previewUpdate(t, s, poolType, legacyPoolState(keys, sshURIOf(sshd)), in)
		if _, ok := out.GetOk("privateKey"); ok {
			t.Error("the preview of a legacy pool's update keeps its privateKey")
		}
		noDial(t, sshd, "a preview of a pool")
	})
}

// TestStorageVolumePreviewDoesNotDial: a preview Create or Update returns
// without connecting to libvirt, with known inputs and with unknown ones
// (the source included: it is not read), which stay unknown in the
// outputs.
func TestStorageVolumePreviewDoesNotDial(t *testing.T) {
	keys := newKeys(t)
	img := rawImage(t, 4096)
	t.Run("unix socket", func(t *testing.T) {
		sock := newTripwire(t, "unix")
		s := configured(t, map[string]any{"uri": unixURI(sock)})
		in := props(map[string]any{"pool": "images", "source": img, "format": "raw"})
		previewCreate(t, s, volumeType, in)
		previewUpdate(t, s, volumeType, volumeState(t, img), with(in, map[string]any{"capacity": 8192}))
		noDial(t, sock, "a preview of a volume")
	})
	t.Run("unknown pool and source, ssh", func(t *testing.T) {
		sshd := newTripwire(t, "tcp")
		s := configured(t, map[string]any{"uri": sshURIOf(sshd), "privateKey": secret(keys.private), "hostKey": keys.hostKey})
		in := props(map[string]any{"pool": unknown(), "source": unknown()})
		out := previewCreate(t, s, volumeType, in)
		wantUnknown(t, out, nil, "pool", "source", "sourceSha256", "key")
		out = previewUpdate(t, s, volumeType, volumeState(t, img), props(map[string]any{"pool": unknown(), "source": img, "format": "raw", "capacity": unknown()}))
		wantUnknown(t, out, nil, "pool", "capacity")
		noDial(t, sshd, "a preview of a volume")
	})
}

// TestKvmHostAccessPreviewDoesNotDial: a preview Create or Update returns
// without connecting to the host's sshd (the Update of a key no longer
// installed would), with known inputs and with unknown ones, which stay
// unknown in the outputs.
func TestKvmHostAccessPreviewDoesNotDial(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	sshd := newTripwire(t, "tcp")
	in := props(map[string]any{"host": "127.0.0.1", "port": sshd.port(), "password": secret("pw"), "keyType": "ed25519"})
	previewCreate(t, s, accessType, in)
	notInstalled := with(accessState(keys), map[string]any{"host": "127.0.0.1", "port": sshd.port(), "installed": false})
	previewUpdate(t, s, accessType, notInstalled, in)

	in = with(in, map[string]any{"password": secretUnknown(), "knownHostKey": unknown()})
	out := previewCreate(t, s, accessType, in)
	wantUnknown(t, out, []string{"privateKey"}, "knownHostKey", "libvirtUri", "hostKey", "privateKey")
	noStoredCredential(t, out)
	out = previewUpdate(t, s, accessType, notInstalled, in)
	noStoredCredential(t, out)
	noDial(t, sshd, "a preview of an access")

	out = previewCreate(t, s, accessType, props(map[string]any{"host": unknown(), "password": secretUnknown()}))
	wantUnknown(t, out, []string{"privateKey"}, "host", "libvirtUri", "hostKey", "privateKey")
	noStoredCredential(t, out)
}

// noStoredCredential fails when the access's state holds a bootstrap
// credential: they are used to install the key, never stored.
func noStoredCredential(t *testing.T, out property.Map) {
	t.Helper()
	for _, k := range []string{"password", "bootstrapPrivateKey"} {
		if v, ok := out.GetOk(k); ok && !v.IsNull() {
			t.Errorf("%s = %v in the state, want none kept", k, v)
		}
	}
}
