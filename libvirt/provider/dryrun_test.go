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
	s := server(t)
	sock := newTripwire(t, "unix")
	_, err := s.Create(p.CreateRequest{Urn: urn(poolType), Properties: checked(t, s, poolType, props(map[string]any{"uri": unixURI(sock), "name": "images"}))})
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
// without connecting to libvirt, with known inputs and with unknown ones,
// which stay unknown in the outputs.
func TestStoragePoolPreviewDoesNotDial(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	t.Run("known, unix socket", func(t *testing.T) {
		sock := newTripwire(t, "unix")
		in := props(map[string]any{"uri": unixURI(sock), "name": "images"})
		previewCreate(t, s, poolType, in)
		stopped := with(poolState(keys), map[string]any{"uri": unixURI(sock), "active": false})
		previewUpdate(t, s, poolType, stopped, in)
		noDial(t, sock, "a preview of a pool")
	})
	t.Run("unknown keys, ssh", func(t *testing.T) {
		sshd := newTripwire(t, "tcp")
		in := props(map[string]any{"uri": sshURIOf(sshd), "privateKey": secretUnknown(), "hostKey": unknown(), "name": "images"})
		out := previewCreate(t, s, poolType, in)
		wantUnknown(t, out, []string{"privateKey"}, "privateKey", "hostKey", "uuid")
		state := with(poolState(keys), map[string]any{"uri": sshURIOf(sshd), "active": false})
		out = previewUpdate(t, s, poolType, state, in)
		wantUnknown(t, out, []string{"privateKey"}, "privateKey", "hostKey")
		noDial(t, sshd, "a preview of a pool")
	})
	t.Run("unknown connection", func(t *testing.T) {
		in := props(map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": unknown(), "name": "images"})
		out := previewCreate(t, s, poolType, in)
		wantUnknown(t, out, []string{"privateKey"}, "uri", "privateKey", "hostKey")
		out = previewUpdate(t, s, poolType, poolState(keys), in)
		wantUnknown(t, out, []string{"privateKey"}, "uri", "privateKey", "hostKey")
	})
}

// TestStorageVolumePreviewDoesNotDial: a preview Create or Update returns
// without connecting to libvirt, with known inputs and with unknown ones
// (the source included: it is not read), which stay unknown in the
// outputs.
func TestStorageVolumePreviewDoesNotDial(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	img := rawImage(t, 4096)
	t.Run("known, unix socket", func(t *testing.T) {
		sock := newTripwire(t, "unix")
		in := props(map[string]any{"uri": unixURI(sock), "pool": "images", "source": img, "format": "raw"})
		previewCreate(t, s, volumeType, in)
		state := with(volumeState(t, keys, img), map[string]any{"uri": unixURI(sock)})
		previewUpdate(t, s, volumeType, state, with(in, map[string]any{"capacity": 8192}))
		noDial(t, sock, "a preview of a volume")
	})
	t.Run("unknown keys and pool, ssh", func(t *testing.T) {
		sshd := newTripwire(t, "tcp")
		in := props(map[string]any{"uri": sshURIOf(sshd), "privateKey": secretUnknown(), "hostKey": unknown(), "pool": unknown(), "source": img, "format": "raw"})
		out := previewCreate(t, s, volumeType, in)
		wantUnknown(t, out, []string{"privateKey"}, "privateKey", "hostKey", "pool", "key")
		state := with(volumeState(t, keys, img), map[string]any{"uri": sshURIOf(sshd)})
		out = previewUpdate(t, s, volumeType, state, with(in, map[string]any{"capacity": 8192}))
		wantUnknown(t, out, []string{"privateKey"}, "privateKey", "hostKey", "pool")
		noDial(t, sshd, "a preview of a volume")
	})
	t.Run("unknown connection and source", func(t *testing.T) {
		in := props(map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": unknown(), "pool": unknown(), "source": unknown()})
		out := previewCreate(t, s, volumeType, in)
		wantUnknown(t, out, []string{"privateKey"}, "uri", "privateKey", "hostKey", "pool", "source", "sourceSha256")
		out = previewUpdate(t, s, volumeType, volumeState(t, keys, img), with(in, map[string]any{"source": img, "format": "raw", "capacity": unknown()}))
		wantUnknown(t, out, []string{"privateKey"}, "uri", "privateKey", "hostKey", "pool", "capacity")
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
