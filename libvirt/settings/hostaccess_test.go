package settings

import (
	"github.com/peerpods/provisioner/tests/testkit/sshtest"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// names are the host access settings as the component names them.
var names = HostAccessNames{
	Host: "host.address", Port: "host.port", User: "host.user", Password: "hostPassword",
	BootstrapPrivateKey: "hostBootstrapKey", PrivateKey: "sshPrivateKey", KnownHostKey: "host.knownHostKey",
	KeyType: "host.keyType", LibvirtSocket: "host.libvirtSocket",
}

func TestCheckHostAccess(t *testing.T) {
	private, public := sshtest.NewKey(t)
	str := func(s string) *string { return &s }
	valid := HostAccess{Host: "kvm1.example.com", Port: 22, User: "root", Password: str("pw"), KeyType: KeyTypeRSA}
	with := func(change func(*HostAccess)) HostAccess {
		a := valid
		change(&a)
		return a
	}
	cases := []struct {
		name     string
		args     HostAccess
		unknown  map[string]bool
		settings []string
		fix      string
	}{
		{"valid", valid, nil, nil, ""},
		{"every key given", with(func(a *HostAccess) {
			a.Password, a.BootstrapPrivateKey, a.PrivateKey = nil, str(private), str(private)
			a.KnownHostKey, a.KeyType, a.LibvirtSocket = str("kvm1 "+public), KeyTypeED25519, str("/run/libvirt/libvirt-sock")
		}), nil, nil, ""},
		{"empty host", with(func(a *HostAccess) { a.Host = "" }), nil, []string{"host.address"}, "name or address"},
		{"user in host", with(func(a *HostAccess) { a.Host = "root@kvm1" }), nil, []string{"host.address"}, "such as kvm1.example.com"},
		{"bracketed host", with(func(a *HostAccess) { a.Host = "[::1]" }), nil, []string{"host.address"}, "such as kvm1.example.com"},
		{"port", with(func(a *HostAccess) { a.Port = 70000 }), nil, []string{"host.port"}, ""},
		{"user", with(func(a *HostAccess) { a.User = "a b" }), nil, []string{"host.user"}, "SSH user"},
		{"no credential", with(func(a *HostAccess) { a.Password = nil }), nil, []string{"hostPassword"}, "password or an existing private key"},
		{"keys that do not parse", with(func(a *HostAccess) {
			a.BootstrapPrivateKey, a.PrivateKey, a.KnownHostKey = str("x"), str("y"), str("z")
		}), nil, []string{"hostBootstrapKey", "sshPrivateKey", "host.knownHostKey"}, "leave it unset to generate one"},
		{"key type", with(func(a *HostAccess) { a.KeyType = "dsa" }), nil, []string{"host.keyType"}, `"rsa" or "ed25519"`},
		{"relative socket", with(func(a *HostAccess) { a.LibvirtSocket = str("sock") }), nil, []string{"host.libvirtSocket"}, "absolute path"},
		{"every input unknown", HostAccess{Host: "a/b", Port: -1, User: "", KeyType: "dsa", BootstrapPrivateKey: str("x"), PrivateKey: str("y"), KnownHostKey: str("z"), LibvirtSocket: str("s")},
			map[string]bool{"host": true, "port": true, "user": true, "password": true, "bootstrapPrivateKey": true, "privateKey": true, "knownHostKey": true, "keyType": true, "libvirtSocket": true},
			nil, ""},
		{"unknown password, bad bootstrap key", with(func(a *HostAccess) { a.Password, a.BootstrapPrivateKey = nil, str("x") }),
			map[string]bool{"password": true}, []string{"hostBootstrapKey"}, "unencrypted OpenSSH or PEM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			settings, fixes := problemsOf(CheckHostAccess(names, c.args, c.unknown))
			if !reflect.DeepEqual(settings, c.settings) || !strings.Contains(fixes, c.fix) {
				t.Errorf("problems on %v, fixes %q; want %v, %q", settings, fixes, c.settings, c.fix)
			}
		})
	}
}

func TestParseHostKey(t *testing.T) {
	_, public := sshtest.NewKey(t)
	for _, s := range []string{public, "kvm1 " + public, "[kvm1]:2222 " + public + "\n"} {
		if k, err := ParseHostKey(s); err != nil || k.Type() != ssh.KeyAlgoED25519 {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := ParseHostKey("garbage"); err == nil || !strings.Contains(err.Error(), "neither a known_hosts line nor a public key") {
		t.Errorf("garbage: %v", err)
	}
}
