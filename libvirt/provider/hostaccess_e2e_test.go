//go:build e2e

package provider_test

import (
	"context"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peerpods/provisioner/libvirt/settings"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"golang.org/x/crypto/ssh"
)

// sshBackend describes the e2e sshd and its user.
type sshBackend struct {
	host, user, password, socket string
	port                         int
	authorizedKeys               string
}

func sshd(t *testing.T) sshBackend {
	t.Helper()
	addr := backend(t, "PEERPODS_E2E_SSH_ADDR")
	host, portStr, _ := strings.Cut(addr, ":")
	port, _ := strconv.Atoi(portStr)
	pw, err := os.ReadFile(backend(t, "PEERPODS_E2E_SSH_PASSWORD_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	name := backend(t, "PEERPODS_E2E_SSH_USER")
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return sshBackend{
		host: host, port: port, user: name, password: strings.TrimSpace(string(pw)),
		socket:         backend(t, "PEERPODS_E2E_LIBVIRT_SOCKET"),
		authorizedKeys: filepath.Join(u.HomeDir, ".ssh", "authorized_keys"),
	}
}

func (b sshBackend) inputs(extra map[string]any) property.Map {
	m := map[string]any{
		"host": b.host, "port": b.port, "user": b.user,
		"password": property.New(b.password).WithSecret(true), "libvirtSocket": b.socket,
	}
	for k, v := range extra {
		m[k] = v
	}
	return props(m)
}

// count returns how many lines of the user's authorized_keys hold the key
// of the authorized_keys line publicKey (whatever their comment: each
// resource's line carries its own peerpods:<marker>).
func (b sshBackend) count(t *testing.T, publicKey string) int {
	t.Helper()
	data, err := os.ReadFile(b.authorizedKeys)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(publicKey)
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		if holdsKey(l, want) {
			n++
		}
	}
	return n
}

// holdsKey reports whether the authorized_keys line l holds the key of the
// fields of a public key line (its type and blob), after any options.
func holdsKey(l string, want []string) bool {
	f := strings.Fields(l)
	for i := 0; i+1 < len(f) && len(want) >= 2; i++ {
		if f[i] == want[0] && f[i+1] == want[1] {
			return true
		}
	}
	return false
}

// dropKey removes every line of the key of publicKey from the user's
// authorized_keys, as someone editing the host by hand would.
func (b sshBackend) dropKey(t *testing.T, publicKey string) {
	t.Helper()
	data, err := os.ReadFile(b.authorizedKeys)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(publicKey)
	var keep []string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if holdsKey(l, want) {
			continue
		}
		keep = append(keep, l)
	}
	if err := os.WriteFile(b.authorizedKeys, []byte(strings.Join(keep, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (b sshBackend) hostKeyLine(t *testing.T) string {
	t.Helper()
	pub, err := os.ReadFile(filepath.Join(backend(t, "PEERPODS_E2E_STATE"), "ssh", "host_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(pub))
}

func TestKvmHostAccessLifeCycle(t *testing.T) {
	b := sshd(t)
	var public, first string
	integration.LifeCycleTest{
		Resource: accessType,
		Create: integration.Operation{
			Inputs: b.inputs(map[string]any{"keyType": "ed25519"}),
			Hook: func(_, out property.Map) {
				public = out.Get("publicKey").AsString()
				first = public
				wantURI := "qemu+ssh://" + b.user + "@" + b.host + ":" + strconv.Itoa(b.port) + "/system?socket=" + strings.ReplaceAll(b.socket, "/", "%2F")
				if got := out.Get("libvirtUri").AsString(); got != wantURI || strings.Contains(got, "no_verify") {
					t.Errorf("libvirtUri %q, want %q", got, wantURI)
				}
				if !strings.HasPrefix(public, "ssh-ed25519 ") || b.count(t, public) != 1 {
					t.Errorf("public key %q installed %d times, want once", public, b.count(t, public))
				}
				if hk := out.Get("hostKey").AsString(); !strings.Contains(hk, strings.Fields(b.hostKeyLine(t))[1]) || !strings.HasPrefix(hk, "[127.0.0.1]:") {
					t.Errorf("hostKey %q does not pin the sshd's key", hk)
				}
				if pk := out.Get("privateKey"); !pk.Secret() || !strings.Contains(pk.AsString(), "PRIVATE KEY") {
					t.Errorf("privateKey not a secret private key: secret=%v", pk.Secret())
				}
				if pw, ok := out.GetOk("password"); ok && !pw.IsNull() {
					t.Error("the bootstrap password is kept in the state")
				}
				if out.Get("libvirtVersion").AsString() == "" {
					t.Error("libvirt version not read over qemu+ssh")
				}
			},
		},
		Updates: []integration.Operation{{
			// A new key type replaces the access (create before delete:
			// no moment without access).
			Inputs: b.inputs(map[string]any{"keyType": "rsa"}),
			Hook: func(_, out property.Map) {
				public = out.Get("publicKey").AsString()
				if !strings.HasPrefix(public, "ssh-rsa ") || b.count(t, public) != 1 {
					t.Errorf("new key %q installed %d times", public, b.count(t, public))
				}
			},
		}},
	}.Run(t, server(t))
	if b.count(t, public) != 0 || b.count(t, first) != 0 {
		t.Fatal("a key is still installed after replace and delete")
	}
}

// TestKvmHostAccessRemotePool uses the access's outputs to manage a pool
// over qemu+ssh, and checks the key is installed once however often it is
// installed, and that drift (a removed key) is seen and repaired.
func TestKvmHostAccessRemotePool(t *testing.T) {
	b, s := sshd(t), server(t)
	key := filepath.Join(t.TempDir(), "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	private, _ := os.ReadFile(key)
	in := b.inputs(map[string]any{"privateKey": property.New(string(private)).WithSecret(true), "knownHostKey": b.hostKeyLine(t)})
	a1 := create(t, s, accessType, in)
	a2 := create(t, s, accessType, in) // the same key again: a line of its own
	public := a1.Properties.Get("publicKey").AsString()
	if n := b.count(t, public); n != 2 || a1.Properties.Get("marker").AsString() == a2.Properties.Get("marker").AsString() {
		t.Fatalf("key installed %d times, want one line per resource", n)
	}
	// Deleting one (a replacement's old resource, another stack) keeps the
	// other's access.
	del(t, s, accessType, a2)
	if n := b.count(t, public); n != 1 {
		t.Fatalf("key installed %d times after deleting the second resource, want the first's line kept", n)
	}
	b.dropKey(t, public)

	// Drift: the key is gone; Read notices, Update installs it again.
	rd, err := s.Read(p.ReadRequest{ID: a1.ID, Urn: urn(accessType), Properties: a1.Properties, Inputs: in})
	if err != nil || rd.Properties.Get("installed").AsBool() {
		t.Fatalf("Read after removal: installed=%v %v", rd.Properties.Get("installed"), err)
	}
	chk, err := s.Check(p.CheckRequest{Urn: urn(accessType), Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Diff(p.DiffRequest{ID: a1.ID, Urn: urn(accessType), State: rd.Properties, Inputs: chk.Inputs})
	if err != nil || d.DetailedDiff["installed"].Kind != p.Update {
		t.Fatalf("Diff: %+v %v", d, err)
	}
	up, err := s.Update(p.UpdateRequest{ID: a1.ID, Urn: urn(accessType), State: rd.Properties, Inputs: chk.Inputs})
	if err != nil || !up.Properties.Get("installed").AsBool() || b.count(t, public) != 1 {
		t.Fatalf("Update: %v, installed %d times", err, b.count(t, public))
	}
	a1.Properties = up.Properties
	defer del(t, s, accessType, a1)

	// A pool over qemu+ssh with the new key and the pinned host key.
	uri := a1.Properties.Get("libvirtUri").AsString()
	if _, err := settings.ParseURI(uri); err != nil {
		t.Fatal(err)
	}
	dir := poolDir(t, "remote")
	host := configured(t, map[string]any{
		"uri": uri, "privateKey": a1.Properties.Get("privateKey"), "hostKey": a1.Properties.Get("hostKey"),
	})
	pool := create(t, host, poolType, props(map[string]any{"name": "ppe2e-remote", "path": dir}))
	if active, _, path := poolInfo(t, direct(t), "ppe2e-remote"); !active || path != dir {
		t.Fatalf("remote pool active=%v path=%s", active, path)
	}
	del(t, host, poolType, pool)
}

func TestKvmHostAccessBadInput(t *testing.T) {
	b, s := sshd(t), server(t)
	before, _ := os.ReadFile(b.authorizedKeys)
	// A host key that is not the sshd's.
	other := filepath.Join(t.TempDir(), "other")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	otherPub, _ := os.ReadFile(other + ".pub")
	cases := []struct {
		name string
		in   property.Map
		want []string
	}{
		{"wrong password", b.inputs(map[string]any{"password": property.New("not-the-password").WithSecret(true)}), []string{"refused", "check password"}},
		{"changed host key", b.inputs(map[string]any{"knownHostKey": string(otherPub)}), []string{"host key", "changed", "knownHostKey"}},
		{"no bootstrap credential", props(map[string]any{"host": b.host, "port": b.port, "user": b.user}), []string{"password", "bootstrapPrivateKey"}},
		{"bad key type", b.inputs(map[string]any{"keyType": "dsa"}), []string{"keyType"}},
		{"unreachable host", b.inputs(map[string]any{"port": 1}), []string{"SSH to 127.0.0.1:1"}},
		{"no libvirt behind", b.inputs(map[string]any{"libvirtSocket": "/nonexistent/libvirt-sock"}), []string{"libvirt does not answer"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tryCreate(t, s, accessType, c.in)
			wantErr(t, err, c.want...)
			if after, _ := os.ReadFile(b.authorizedKeys); string(after) != string(before) {
				t.Fatalf("authorized_keys changed after bad input:\n%s", after)
			}
		})
	}

	// A host key that changes after first contact: every later connection
	// fails.
	r := create(t, s, accessType, b.inputs(nil))
	state := r.Properties
	forged := state.Set("hostKey", property.New("[127.0.0.1]:"+strconv.Itoa(b.port)+" "+strings.TrimSpace(string(otherPub))))
	_, err := s.Read(p.ReadRequest{ID: r.ID, Urn: urn(accessType), Properties: forged})
	wantErr(t, err, "host key", "changed")
	forgedHost := configured(t, map[string]any{
		"uri": state.Get("libvirtUri").AsString(), "privateKey": state.Get("privateKey"), "hostKey": forged.Get("hostKey"),
	})
	_, err = tryCreate(t, forgedHost, poolType, props(map[string]any{"name": "ppe2e-forged", "path": poolDir(t, "forged")}))
	wantErr(t, err, "connecting to libvirt")
	del(t, s, accessType, r)
}

// TestKvmHostAccessAtOnce: host accesses of two stacks (four resources,
// each its own key) created at once over the real sshd, then half of them
// deleted while the others are read: every line is there after the
// creates, exactly the deleted ones are gone after the deletes (the edits
// hold the host's lock, so none overwrites another's).
func TestKvmHostAccessAtOnce(t *testing.T) {
	b := sshd(t)
	const n = 4
	servers := []integration.Server{server(t), server(t)} // two stacks' plugins
	made := make([]p.CreateResponse, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			made[i], errs[i] = tryCreate(t, servers[i%2], accessType, b.inputs(map[string]any{"knownHostKey": b.hostKeyLine(t)}))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	public := func(i int) string { return made[i].Properties.Get("publicKey").AsString() }
	for i := range n {
		if c := b.count(t, public(i)); c != 1 {
			t.Fatalf("the key of access %d is installed %d times after %d creates at once, want once", i, c, n)
		}
	}
	for i := range n / 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = servers[i%2].Delete(p.DeleteRequest{ID: made[i].ID, Urn: urn(accessType), Properties: made[i].Properties})
		}()
	}
	wg.Wait()
	for i := range n {
		want := 1
		if i < n/2 {
			want = 0
			if errs[i] != nil {
				t.Fatalf("delete %d: %v", i, errs[i])
			}
		}
		if c := b.count(t, public(i)); c != want {
			t.Errorf("the key of access %d is installed %d times after the deletes, want %d", i, c, want)
		}
	}
	for i := n / 2; i < n; i++ {
		del(t, servers[i%2], accessType, made[i])
	}
}

// TestKvmHostAccessDeleteWithoutLogin: when the key no longer logs in
// (someone removed its line, or changed the user's sshd), the delete is an
// error naming the host, the file and the line to remove, and the way out
// of the state, never a silent "already gone".
func TestKvmHostAccessDeleteWithoutLogin(t *testing.T) {
	b, s := sshd(t), server(t)
	a := create(t, s, accessType, b.inputs(map[string]any{"knownHostKey": b.hostKeyLine(t)}))
	public := a.Properties.Get("publicKey").AsString()
	b.dropKey(t, public)
	err := s.Delete(p.DeleteRequest{ID: a.ID, Urn: urn(accessType), Properties: a.Properties})
	if err == nil {
		t.Fatal("the delete succeeded without logging in")
	}
	line := strings.Fields(public)[1] + " peerpods:" + a.Properties.Get("marker").AsString()
	for _, want := range []string{b.user + "@" + b.host, "authorized_keys", line, "pulumi state delete"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %q: %v", want, err)
		}
	}
}

// keyLineOf is the user's authorized_keys line of the key of publicKey
// (the only one: each test's key is its own).
func (b sshBackend) keyLineOf(t *testing.T, publicKey string) string {
	t.Helper()
	data, err := os.ReadFile(b.authorizedKeys)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.Fields(publicKey)[1]
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, " "+key+" ") {
			return l
		}
	}
	return ""
}

// loginFrom logs in to the e2e sshd with private, from the local address
// src (a Go client bound to it, as ssh -b does).
func (b sshBackend) loginFrom(t *testing.T, src, private string) error {
	t.Helper()
	signer, err := ssh.ParsePrivateKey([]byte(private))
	if err != nil {
		t.Fatal(err)
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", net.JoinHostPort(b.host, strconv.Itoa(b.port)))
	if err != nil {
		t.Fatal(err)
	}
	sc, chans, reqs, err := ssh.NewClientConn(c, c.RemoteAddr().String(), &ssh.ClientConfig{
		User: b.user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		c.Close()
		return err
	}
	ssh.NewClient(sc, chans, reqs).Close()
	return nil
}

// virshFrom runs virsh over qemu+ssh (libvirt's ssh transport, OpenSSH,
// as cloud-api-adaptor connects) from the local address src, with the
// test's key file.
func (b sshBackend) virshFrom(t *testing.T, src, keyFile, uri string, args ...string) (string, error) {
	t.Helper()
	bin := t.TempDir()
	real, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\nexec " + real + " -F none -b " + src + " -i " + keyFile + " -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(wrapper), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "virsh", append([]string{"-c", uri}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestKvmHostAccessAllowedSources: the key's line carries
// from="<allowedSources>" and restrict; from an allowed source (127.0.0.1)
// the key logs in, virsh over qemu+ssh lists the pools (restrict leaves
// libvirt's ssh transport working) and this provider manages a pool over
// its own connection; from 127.0.0.2 (another loopback address) the same
// key is refused. New ranges rewrite the line in place (still one line);
// ranges that leave out this program's own address are refused, naming
// the setting, and the line is left as it was.
func TestKvmHostAccessAllowedSources(t *testing.T) {
	b, s := sshd(t), server(t)
	keyFile := filepath.Join(t.TempDir(), "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	private, _ := os.ReadFile(keyFile)
	base := map[string]any{"privateKey": property.New(string(private)).WithSecret(true), "knownHostKey": b.hostKeyLine(t)}
	in := b.inputs(merged(base, map[string]any{"allowedSources": []string{"127.0.0.1/32"}}))
	a := create(t, s, accessType, in)
	defer func() { del(t, s, accessType, a) }()
	public := a.Properties.Get("publicKey").AsString()
	line := b.keyLineOf(t, public)
	if !strings.HasPrefix(line, `from="127.0.0.1/32",restrict,`) || b.count(t, public) != 1 {
		t.Fatalf("the key's line %q, want from=\"127.0.0.1/32\",restrict,... once", line)
	}

	if err := b.loginFrom(t, "127.0.0.1", string(private)); err != nil {
		t.Errorf("login from the allowed 127.0.0.1: %v", err)
	}
	if err := b.loginFrom(t, "127.0.0.2", string(private)); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("login from 127.0.0.2 outside allowedSources: %v, want refused", err)
	}
	uri := a.Properties.Get("libvirtUri").AsString()
	dir := poolDir(t, "allowed")
	host := configured(t, map[string]any{
		"uri": uri, "privateKey": a.Properties.Get("privateKey"), "hostKey": a.Properties.Get("hostKey"),
	})
	pool := create(t, host, poolType, props(map[string]any{"name": "ppe2e-allowed", "path": dir}))
	defer del(t, host, poolType, pool)
	if out, err := b.virshFrom(t, "127.0.0.1", keyFile, uri, "pool-list", "--all"); err != nil || !strings.Contains(out, "ppe2e-allowed") {
		t.Errorf("virsh over qemu+ssh from 127.0.0.1: %v\n%s", err, out)
	}
	if out, err := b.virshFrom(t, "127.0.0.2", keyFile, uri, "pool-list", "--all"); err == nil || !strings.Contains(out, "Permission denied") {
		t.Errorf("virsh over qemu+ssh from 127.0.0.2: %v, want refused\n%s", err, out)
	}

	// Wider ranges: the line is rewritten, still one.
	update := func(ranges []string) (property.Map, error) {
		chk, err := s.Check(p.CheckRequest{Urn: urn(accessType), Inputs: b.inputs(merged(base, map[string]any{"allowedSources": ranges}))})
		if err != nil {
			t.Fatal(err)
		}
		up, err := s.Update(p.UpdateRequest{ID: a.ID, Urn: urn(accessType), State: a.Properties, Inputs: chk.Inputs})
		return up.Properties, err
	}
	out, err := update([]string{"127.0.0.0/8", "10.0.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	a.Properties = out
	if line = b.keyLineOf(t, public); !strings.HasPrefix(line, `from="127.0.0.0/8,10.0.0.0/16",restrict,`) || b.count(t, public) != 1 {
		t.Errorf("after the update: %q, %d line(s)", line, b.count(t, public))
	}
	if err := b.loginFrom(t, "127.0.0.2", string(private)); err != nil {
		t.Errorf("login from 127.0.0.2 within 127.0.0.0/8: %v", err)
	}
	// Ranges without this program's address: refused, the line kept.
	_, err = update([]string{"10.0.0.0/16"})
	wantErr(t, err, "connect from 127.0.0.1", "peerpods:libvirt.allowedSources", "127.0.0.1/32")
	if got := b.keyLineOf(t, public); got != line {
		t.Errorf("a refused update changed the line: %q, was %q", got, line)
	}
}

// merged is a with b's entries added.
func merged(a, b map[string]any) map[string]any {
	out := map[string]any{}
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}
