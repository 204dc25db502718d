package provider_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"golang.org/x/crypto/ssh"
)

// Helpers of the preview tests: they run the provider in the integration
// server without libvirtd or sshd.

// unknown is an input the engine does not know yet in a preview: an
// output of a resource still to be created or updated.
func unknown() property.Value { return property.New(property.Computed) }

// secretUnknown is an unknown secret (KvmHostAccess.privateKey).
func secretUnknown() property.Value { return unknown().WithSecret(true) }

// secret is a known secret string.
func secret(s string) property.Value { return property.New(s).WithSecret(true) }

// testKeys is a client private key (OpenSSH PEM) and a host key as a
// known_hosts line, as KvmHostAccess outputs them.
type testKeys struct{ private, hostKey string }

func newKeys(t *testing.T) testKeys {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	hostPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(hostPub)
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{
		private: string(pem.EncodeToMemory(block)),
		hostKey: "kvm1.example.com " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))),
	}
}

// check runs Check, failing the test on an error (not on check failures).
func check(t *testing.T, s integration.Server, typ string, in property.Map) p.CheckResponse {
	t.Helper()
	resp, err := s.Check(p.CheckRequest{Urn: urn(typ), Inputs: in})
	if err != nil {
		t.Fatalf("Check %s: %v", typ, err)
	}
	return resp
}

// checked runs Check like the engine before Diff, Create and Update,
// failing the test on an error or a check failure, and returns the
// checked inputs.
func checked(t *testing.T, s integration.Server, typ string, in property.Map) property.Map {
	t.Helper()
	resp := check(t, s, typ, in)
	if len(resp.Failures) > 0 {
		t.Fatalf("Check %s: %v", typ, checkError(resp.Failures))
	}
	return resp.Inputs
}

// wantFailures fails unless the check failures are exactly want
// (property: reason), in any order.
func wantFailures(t *testing.T, got []p.CheckFailure, want map[string]string) {
	t.Helper()
	m := map[string]string{}
	for _, f := range got {
		if _, dup := m[f.Property]; dup {
			t.Errorf("two failures for %s: %v", f.Property, got)
		}
		m[f.Property] = f.Reason
	}
	wantExactly(t, "failure", m, want)
}

// wantUnknown fails unless each of keys is unknown in m; secret ones
// must also still be secret.
func wantUnknown(t *testing.T, m property.Map, secret []string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		v, ok := m.GetOk(k)
		if !ok || !v.IsComputed() {
			t.Errorf("%s = %v, want unknown", k, v)
		}
		if slices.Contains(secret, k) && !v.Secret() {
			t.Errorf("%s lost its secretness", k)
		}
	}
}

// diff runs Diff of inputs in against the state, failing the test on an
// error.
func diff(t *testing.T, s integration.Server, typ string, state, in property.Map, ignore ...string) p.DiffResponse {
	t.Helper()
	resp, err := s.Diff(p.DiffRequest{ID: "test-id", Urn: urn(typ), State: state, Inputs: in, IgnoreChanges: ignore})
	if err != nil {
		t.Fatalf("Diff %s: %v", typ, err)
	}
	return resp
}

// wantDiff fails unless d has changes exactly when want is not empty and
// its detailed diff is exactly want (property: kind).
func wantDiff(t *testing.T, d p.DiffResponse, want map[string]p.DiffKind) {
	t.Helper()
	if d.HasChanges != (len(want) > 0) {
		t.Errorf("HasChanges = %v, want %v (detailed diff %v)", d.HasChanges, len(want) > 0, d.DetailedDiff)
	}
	got := map[string]p.DiffKind{}
	for k, v := range d.DetailedDiff {
		got[k] = v.Kind
	}
	wantExactly(t, "diff", got, want)
}

// diffCase is a Diff of known inputs: the base inputs with in set,
// against the base state with state set, and the detailed diff it wants.
type diffCase struct {
	name  string
	in    map[string]any
	state map[string]any
	want  map[string]p.DiffKind
}

// runDiffCases runs each case as a subtest: Check of the inputs, then Diff
// against the state.
func runDiffCases(t *testing.T, s integration.Server, typ string, base map[string]any, state property.Map, cases []diffCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := checked(t, s, typ, with(props(base), c.in))
			wantDiff(t, diff(t, s, typ, with(state, c.state), in), c.want)
		})
	}
}

// wantExactly fails unless got has exactly the keys and values of want;
// what names the values in messages.
func wantExactly[V comparable](t *testing.T, what string, got, want map[string]V) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s of %s:\n got %#v\nwant %#v", what, k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s of %s: %#v", what, k, g)
		}
	}
}

// with returns m with the given keys set.
func with(m property.Map, kv map[string]any) property.Map {
	for k, v := range props(kv).All {
		m = m.Set(k, v)
	}
	return m
}

// tripwire is a loopback listener standing in for libvirtd's socket or a
// host's sshd: a preview must never connect to it. Connections are
// counted and closed at once, so that a client that does dial fails fast
// instead of waiting for a handshake.
type tripwire struct {
	ln   net.Listener
	mu   sync.Mutex
	n    int
	done chan struct{}
}

// newTripwire listens on a fresh unix socket ("unix") or loopback TCP port
// ("tcp").
func newTripwire(t *testing.T, network string) *tripwire {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		// A short directory: a socket path is limited to about 100 bytes.
		dir, err := os.MkdirTemp("", "pp")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		addr = filepath.Join(dir, "libvirt-sock")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	w := &tripwire{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			w.mu.Lock()
			w.n++
			w.mu.Unlock()
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return w
}

// path is the unix socket's path.
func (w *tripwire) path() string { return w.ln.Addr().String() }

// port is the TCP port.
func (w *tripwire) port() int { return w.ln.Addr().(*net.TCPAddr).Port }

// dialled stops listening, after taking any connection still queued, and
// returns how many connections were made.
func (w *tripwire) dialled(t *testing.T) int {
	t.Helper()
	type deadliner interface{ SetDeadline(time.Time) error }
	if d, ok := w.ln.(deadliner); ok {
		if err := d.SetDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	<-w.done
	w.ln.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// noDial fails the test if w was dialled.
func noDial(t *testing.T, w *tripwire, what string) {
	t.Helper()
	if n := w.dialled(t); n != 0 {
		t.Errorf("%s connected %d times to %s", what, n, w.ln.Addr())
	}
}
