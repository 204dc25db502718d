//go:build e2e

package provider_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/digitalocean/go-libvirt"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"libvirt.org/go/libvirtxml"
)

func poolInfo(t *testing.T, l *libvirt.Libvirt, name string) (active, autostart bool, path string) {
	t.Helper()
	pool, err := l.StoragePoolLookupByName(name)
	if err != nil {
		t.Fatalf("pool %s: %v", name, err)
	}
	st, _, _, _, err := l.StoragePoolGetInfo(pool)
	if err != nil {
		t.Fatal(err)
	}
	auto, err := l.StoragePoolGetAutostart(pool)
	if err != nil {
		t.Fatal(err)
	}
	x, err := l.StoragePoolGetXMLDesc(pool, 0)
	if err != nil {
		t.Fatal(err)
	}
	var def libvirtxml.StoragePool
	if err := def.Unmarshal(x); err != nil {
		t.Fatal(err)
	}
	return st == uint8(libvirt.StoragePoolRunning), auto == 1, def.Target.Path
}

func TestStoragePoolLifeCycle(t *testing.T) {
	l := direct(t)
	dir1, dir2 := poolDir(t, "life1"), poolDir(t, "life2")
	in := func(path string) property.Map {
		return props(map[string]any{"name": "ppe2e-life", "path": path})
	}
	check := func(path string) func(_, out property.Map) {
		return func(_, out property.Map) {
			active, auto, got := poolInfo(t, l, "ppe2e-life")
			if !active || !auto || got != path {
				t.Errorf("pool active=%v autostart=%v path=%s, want active, autostart, %s", active, auto, got, path)
			}
			if out.Get("adopted").AsBool() || !out.Get("createdDir").AsBool() || out.Get("uuid").AsString() == "" {
				t.Errorf("state %v", out)
			}
			if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
				t.Errorf("pool directory %s: %v", path, err)
			}
		}
	}
	integration.LifeCycleTest{
		Resource: poolType,
		Create:   integration.Operation{Inputs: in(dir1), Hook: check(dir1)},
		Updates: []integration.Operation{{
			// A new path replaces the pool: the old one and its empty
			// directory are gone.
			Inputs: in(dir2),
			Hook: func(in, out property.Map) {
				check(dir2)(in, out)
				if _, err := os.Stat(dir1); !os.IsNotExist(err) {
					t.Errorf("old pool directory %s: %v, want removed", dir1, err)
				}
			},
		}},
	}.Run(t, localServer(t))
	if slices.Contains(poolNames(t, l), "ppe2e-life") {
		t.Fatal("pool still defined after delete")
	}
	if _, err := os.Stat(dir2); !os.IsNotExist(err) {
		t.Fatalf("pool directory %s: %v, want removed (it was empty)", dir2, err)
	}
}

func TestStoragePoolDrift(t *testing.T) {
	l, s := direct(t), localServer(t)
	dir := poolDir(t, "drift")
	in := props(map[string]any{"name": "ppe2e-drift", "path": dir})
	r := create(t, s, poolType, in)
	defer del(t, s, poolType, r)
	read := func() p.ReadResponse {
		t.Helper()
		resp, err := s.Read(p.ReadRequest{ID: r.ID, Urn: urn(poolType), Properties: r.Properties, Inputs: in})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	pool, err := l.StoragePoolLookupByName("ppe2e-drift")
	if err != nil {
		t.Fatal(err)
	}

	// Stopped and no longer autostarted behind our back: Read sees it,
	// Diff asks for an update, Update repairs it.
	if err := l.StoragePoolDestroy(pool); err != nil {
		t.Fatal(err)
	}
	if err := l.StoragePoolSetAutostart(pool, 0); err != nil {
		t.Fatal(err)
	}
	got := read()
	if got.Properties.Get("active").AsBool() || got.Properties.Get("autostart").AsBool() {
		t.Fatalf("Read after stop: %v", got.Properties)
	}
	d, err := s.Diff(p.DiffRequest{ID: r.ID, Urn: urn(poolType), State: got.Properties, Inputs: in})
	if err != nil || !d.HasChanges || d.DetailedDiff["active"].Kind != p.Update {
		t.Fatalf("Diff after stop: %+v %v", d, err)
	}
	up, err := s.Update(p.UpdateRequest{ID: r.ID, Urn: urn(poolType), State: got.Properties, Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	if active, auto, _ := poolInfo(t, l, "ppe2e-drift"); !active || !auto || !up.Properties.Get("active").AsBool() {
		t.Fatalf("after Update: active=%v autostart=%v", active, auto)
	}

	// Redefined at another path: Read reports the path, Diff replaces.
	if err := l.StoragePoolDestroy(pool); err != nil {
		t.Fatal(err)
	}
	if err := l.StoragePoolUndefine(pool); err != nil {
		t.Fatal(err)
	}
	other := poolDir(t, "drift-other")
	redefine(t, l, "ppe2e-drift", other)
	got = read()
	if got.Properties.Get("path").AsString() != other {
		t.Fatalf("Read after move: path %v", got.Properties.Get("path"))
	}
	d, err = s.Diff(p.DiffRequest{ID: r.ID, Urn: urn(poolType), State: got.Properties, Inputs: in})
	if err != nil || d.DetailedDiff["path"].Kind != p.UpdateReplace {
		t.Fatalf("Diff after move: %+v %v", d, err)
	}

	// Deleted behind our back: Read reports it gone.
	pool, _ = l.StoragePoolLookupByName("ppe2e-drift")
	if err := l.StoragePoolUndefine(pool); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.ID != "" {
		t.Fatalf("Read after undefine: ID %q, want empty", got.ID)
	}
}

// redefine defines (not starts) a pool at dir from the test side.
func redefine(t *testing.T, l *libvirt.Libvirt, name, dir string) libvirt.StoragePool {
	t.Helper()
	x, _ := (&libvirtxml.StoragePool{Type: "dir", Name: name, Target: &libvirtxml.StoragePoolTarget{Path: dir}}).Marshal()
	pool, err := l.StoragePoolDefineXML(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

func TestStoragePoolAdoptsExisting(t *testing.T) {
	l, s := direct(t), localServer(t)
	dir := poolDir(t, "adopt")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pool := redefine(t, l, "ppe2e-adopt", dir)
	defer func() {
		l.StoragePoolDestroy(pool)
		l.StoragePoolUndefine(pool)
	}()

	// Same name, other path: refused, the existing pool untouched.
	_, err := tryCreate(t, s, poolType, props(map[string]any{"name": "ppe2e-adopt", "path": dir + "-x"}))
	wantErr(t, err, "already exists with path "+dir)
	if active, _, path := poolInfo(t, l, "ppe2e-adopt"); active || path != dir {
		t.Fatalf("existing pool changed: active=%v path=%s", active, path)
	}

	r := create(t, s, poolType, props(map[string]any{"name": "ppe2e-adopt", "path": dir}))
	if !r.Properties.Get("adopted").AsBool() {
		t.Fatalf("not adopted: %v", r.Properties)
	}
	if active, _, _ := poolInfo(t, l, "ppe2e-adopt"); !active {
		t.Fatal("adopted pool not started")
	}
	del(t, s, poolType, r)
	if !slices.Contains(poolNames(t, l), "ppe2e-adopt") {
		t.Fatal("adopted pool was removed on delete")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("adopted pool's directory: %v", err)
	}
}

// TestStoragePoolKeepsNonEmptyDirectory: a file someone else put in the
// pool's directory (a volume to libvirt) stops the pool's delete, named
// with its virsh command, and is never removed; once it is gone, the pool
// and its directory are.
func TestStoragePoolKeepsNonEmptyDirectory(t *testing.T) {
	l, s := direct(t), localServer(t)
	dir := poolDir(t, "keep")
	r := create(t, s, poolType, props(map[string]any{"name": "ppe2e-keep", "path": dir}))
	other := filepath.Join(dir, "someone-elses.img")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Delete(p.DeleteRequest{ID: r.ID, Urn: urn(poolType), Properties: r.Properties})
	if err == nil || !strings.Contains(err.Error(), "volume someone-elses.img") || !strings.Contains(err.Error(), "vol-delete --pool ppe2e-keep someone-elses.img") {
		t.Fatalf("delete of a pool holding someone else's file: %v", err)
	}
	if !slices.Contains(poolNames(t, l), "ppe2e-keep") {
		t.Fatal("the refused delete undefined the pool")
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("a file in the pool directory was removed: %v", err)
	}
	if err := os.Remove(other); err != nil {
		t.Fatal(err)
	}
	del(t, s, poolType, r)
	if slices.Contains(poolNames(t, l), "ppe2e-keep") {
		t.Fatal("pool still defined")
	}
}

func TestStoragePoolBadInput(t *testing.T) {
	l, s := direct(t), localServer(t)
	missingParent := filepath.Join(poolDir(t, "no-such-parent"), "pool")
	cases := []struct {
		name string
		in   map[string]any
		want []string
	}{
		{"relative path", map[string]any{"name": "ppe2e-bad", "path": "images"}, []string{"path", "not an absolute path"}},
		{"unclean path", map[string]any{"name": "ppe2e-bad", "path": "/var/lib/../images"}, []string{"path", "not a clean path"}},
		{"name with slash", map[string]any{"name": "ppe2e/bad"}, []string{"name", "without /"}},
		{"missing parent", map[string]any{"name": "ppe2e-bad", "path": missingParent}, []string{"parent directory", "does not exist"}},
		{"unreachable URI", map[string]any{"name": "ppe2e-bad", "uri": "qemu+unix:///system?socket=/nonexistent/libvirt-sock"}, []string{"connecting to libvirt"}},
		{"no_verify refused", map[string]any{"name": "ppe2e-bad", "uri": "qemu+ssh://root@h/system?no_verify=1"}, []string{"uri", "no_verify"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, err := s, error(nil)
			if uri, ok := c.in["uri"]; ok {
				// The connection is the provider's configuration.
				delete(c.in, "uri")
				srv, err = tryConfigured(t, map[string]any{"uri": uri})
			}
			if err == nil {
				_, err = tryCreate(t, srv, poolType, props(c.in))
			}
			wantErr(t, err, c.want...)
			if n := poolNames(t, l); slices.ContainsFunc(n, func(s string) bool { return s == "ppe2e-bad" || s == "ppe2e/bad" }) {
				t.Fatalf("pool defined after bad input: %v", n)
			}
		})
	}
	if _, err := os.Stat(filepath.Dir(missingParent)); !os.IsNotExist(err) {
		t.Fatalf("missing parent was created: %v", err)
	}
}
