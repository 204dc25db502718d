package settings

import (
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	ok := map[string]Target{
		"qemu:///system":                         {Transport: "unix"},
		"qemu+unix:///system?socket=/run/x/sock": {Transport: "unix", Socket: "/run/x/sock"},
		"qemu+ssh://kvm1/system":                 {Transport: "ssh", User: "root", Host: "kvm1", Port: "22"},
		"qemu+ssh://admin@[::1]:2222/system":     {Transport: "ssh", User: "admin", Host: "::1", Port: "2222"},
	}
	for uri, want := range ok {
		got, err := ParseURI(uri)
		want.URI = uri
		if err != nil || got != want {
			t.Errorf("ParseURI(%q) = %+v, %v; want %+v", uri, got, err, want)
		}
	}
	bad := map[string]string{
		"qemu+ssh://root@h/system?no_verify=1":         "no_verify",
		"qemu+ssh://root@h/system?known_hosts_verify=": "known_hosts_verify",
		"qemu+tcp://h/system":                          "not supported",
		"qemu:///session":                              "/system",
		"qemu+ssh:///system":                           "needs a host",
		"qemu+ssh://root:pw@h/system":                  "password",
		"qemu+unix:///system?socket=rel/sock":          "absolute",
		"qemu://h/system":                              "qemu+ssh",
	}
	for uri, want := range bad {
		if _, err := ParseURI(uri); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseURI(%q) = %v, want an error containing %q", uri, err, want)
		}
		if strings.Contains(uri, "pw") {
			if _, err := ParseURI(uri); strings.Contains(err.Error(), "pw") {
				t.Errorf("error reveals the password: %v", err)
			}
		}
	}
}

// TestSameHost: the socket, SSH port and user say how a host is reached,
// not which host it is; local and remote, or two host names, differ.
func TestSameHost(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
	}{
		{"qemu:///system", "qemu+unix:///system?socket=/run/l.sock", true},
		{"qemu+ssh://root@kvm1/system", "qemu+ssh://admin@KVM1:2222/system?socket=/run/l.sock", true},
		{"qemu+ssh://root@kvm1/system", "qemu+ssh://root@kvm2/system", false},
		{"qemu:///system", "qemu+ssh://root@localhost/system", false},
	}
	for _, c := range cases {
		if got, err := SameHost(c.a, c.b); err != nil || got != c.same {
			t.Errorf("SameHost(%s, %s) = %v, %v; want %v", c.a, c.b, got, err, c.same)
		}
	}
	if _, err := SameHost("qemu:///system", "http://h/system"); err == nil {
		t.Error("SameHost of a bad URI: no error")
	}
}

func TestLibvirtURI(t *testing.T) {
	cases := []struct {
		user, host string
		port       int
		socket     string
		want       string
	}{
		{"root", "kvm1", 22, "", "qemu+ssh://root@kvm1/system"},
		{"admin", "kvm1", 2222, "", "qemu+ssh://admin@kvm1:2222/system"},
		{"root", "::1", 22, "", "qemu+ssh://root@[::1]/system"},
		{"root", "::1", 2222, "/run/l.sock", "qemu+ssh://root@[::1]:2222/system?socket=%2Frun%2Fl.sock"},
	}
	for _, c := range cases {
		got := LibvirtURI(c.user, c.host, c.port, c.socket)
		if got != c.want {
			t.Errorf("LibvirtURI(%s, %s, %d, %s) = %s, want %s", c.user, c.host, c.port, c.socket, got, c.want)
		}
		// What KvmHostAccess outputs, the provider's configuration accepts.
		if target, err := ParseURI(got); err != nil || target.Host != c.host || target.Socket != c.socket {
			t.Errorf("ParseURI(%s) = %+v, %v", got, target, err)
		}
	}
}

func TestRedact(t *testing.T) {
	for uri, want := range map[string]string{
		"qemu+ssh://root:pw@kvm1/system": "qemu+ssh://root@kvm1/system",
		"qemu+ssh://root@kvm1/system":    "qemu+ssh://root@kvm1/system",
		"qemu:///system":                 "qemu:///system",
		"%zz":                            "%zz",
	} {
		if got := Redact(uri); got != want {
			t.Errorf("Redact(%s) = %s, want %s", uri, got, want)
		}
	}
}
