//go:build e2e

package provider_test

import (
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
	"os"
	"path/filepath"
	"testing"

	"github.com/digitalocean/go-libvirt"
	"github.com/peerpods/provisioner/libvirt/conn"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// The e2e tests run against the backends of hack/backends (make e2e). They
// fail, never skip, when a backend is missing.

// backend returns the value of an environment variable hack/backends/env.sh
// sets, failing the test when it is not set.
func backend(t *testing.T, key string) string { t.Helper(); return e2eenv.Require(t, key) }

func libvirtURI(t *testing.T) string { return backend(t, "PEERPODS_E2E_LIBVIRT_URI") }

// localServer is the provider configured for the e2e libvirtd.
func localServer(t *testing.T) integration.Server {
	t.Helper()
	return configured(t, map[string]any{"uri": libvirtURI(t)})
}

// poolDir returns a fresh directory path (not created) under the backends'
// pool area.
func poolDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(backend(t, "PEERPODS_E2E_POOL_DIR"), name)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// direct opens a connection of the test's own, to check what the provider
// did.
func direct(t *testing.T) *libvirt.Libvirt {
	t.Helper()
	l, err := conn.Open(libvirtURI(t), conn.Credentials{})
	if err != nil {
		t.Fatalf("the e2e libvirtd does not answer: %v", err)
	}
	t.Cleanup(func() { l.Disconnect() })
	return l
}

// create runs Check and Create like the engine, failing the test on error.
func create(t *testing.T, s integration.Server, typ string, in property.Map) p.CreateResponse {
	t.Helper()
	resp, err := tryCreate(t, s, typ, in)
	if err != nil {
		t.Fatalf("create %s: %v", typ, err)
	}
	return resp
}

// tryCreate runs Check and Create; check failures are returned as an error.
func tryCreate(t *testing.T, s integration.Server, typ string, in property.Map) (p.CreateResponse, error) {
	t.Helper()
	chk, err := s.Check(p.CheckRequest{Urn: urn(typ), Inputs: in})
	if err != nil {
		return p.CreateResponse{}, err
	}
	if len(chk.Failures) > 0 {
		return p.CreateResponse{}, checkError(chk.Failures)
	}
	return s.Create(p.CreateRequest{Urn: urn(typ), Properties: chk.Inputs})
}

func del(t *testing.T, s integration.Server, typ string, r p.CreateResponse) {
	t.Helper()
	if err := s.Delete(p.DeleteRequest{ID: r.ID, Urn: urn(typ), Properties: r.Properties}); err != nil {
		t.Fatalf("delete %s %s: %v", typ, r.ID, err)
	}
}

// poolNames lists the pools the libvirtd knows.
func poolNames(t *testing.T, l *libvirt.Libvirt) []string {
	t.Helper()
	pools, _, err := l.ConnectListAllStoragePools(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pools {
		names = append(names, p.Name)
	}
	return names
}
