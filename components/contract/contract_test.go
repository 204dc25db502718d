package contract

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/docscheck"
)

var update = flag.Bool("update", false, "rewrite the generated key tables of docs/handoff.md")

const (
	beginTables = "<!-- BEGIN generated key tables -->\n"
	endTables   = "<!-- END generated key tables -->"
)

// TestKeyTables fails when the key tables of docs/handoff.md differ from
// the contract; -update rewrites them.
func TestKeyTables(t *testing.T) {
	docscheck.Generated(t, filepath.Join("..", "..", "docs", "handoff.md"), beginTables, endTables, Markdown(), *update,
		"the key tables of docs/handoff.md differ from the contract: go test ./components/contract -run TestKeyTables -update")
}

// Every key names where it comes from and how it is set; names are unique
// per cloud; operator-owned keys are never required from the stack and
// extras are optional.
func TestSetsAreWellFormed(t *testing.T) {
	for _, c := range Clouds {
		s := MustFor(c)
		seen := map[string]bool{}
		for _, k := range append(append([]Key{}, s.Keys...), s.SSHKeys...) {
			if seen[k.Name] {
				t.Errorf("%s: %s twice", c, k.Name)
			}
			seen[k.Name] = true
			if k.Source == "" || k.Doc == "" || k.Setting == "" || k.Format.Describe == "" || k.In == 0 {
				t.Errorf("%s: %s lacks a source, doc, setting, format or object: %+v", c, k.Name, k)
			}
			if k.Extra() && (k.Need != Optional || k.Owner != User) {
				t.Errorf("%s: extra %s must be optional and the user's", c, k.Name)
			}
		}
		if k, ok := s.Key(KeyCloudProvider); !ok || k.Format.Check(string(c)) != nil || k.Format.Check("other") == nil {
			t.Errorf("%s: CLOUD_PROVIDER", c)
		}
	}
	if _, ok := For("openstack"); ok {
		t.Error("unknown cloud has a contract")
	}
}

func TestFormats(t *testing.T) {
	cases := []struct {
		name   string
		f      Format
		good   []string
		bad    []string
		noEcho bool
	}{
		{"port", Port, []string{"1", "9000", "65535"}, []string{"0", "65536", "x", ""}, false},
		{"bool", Bool, []string{"true", "false"}, []string{"yes", "True", ""}, false},
		{"duration", Duration, []string{"5m", "90s"}, []string{"5", "-1m", "5 m"}, false},
		{"tags", KeyValueList, []string{"", "a=b", "a=b,c="}, []string{"a", "=b", "a=b=c", "a=b c"}, false},
		{"sg list", CommaList(Pattern("a security group ID", AWSSecurityGroupIDPattern)), []string{"sg-0123456789abcdef0", "sg-01234567,sg-89abcdef"},
			[]string{"sg-1", "sg-01234567, sg-89abcdef", "sg-01234567,sg-01234567", ""}, false},
		{"uuid", UUID, []string{"0a1b2c3d-0000-4000-8000-00000000c11d"}, []string{"app-id", ""}, false},
		{"libvirt uri", LibvirtURI, []string{"qemu+ssh://root@h/system", "qemu+ssh://u@[::1]:2222/system?socket=/run/s", "qemu:///system"},
			[]string{"qemu+ssh://root@h/system?no_verify=1", "http://h/", "qemu+ssh://h", "x y"}, false},
		{"gcp subnetwork", Pattern("subnetwork", GCPSubnetworkPattern), []string{"worker", "regions/us-central1/subnetworks/worker",
			"projects/my-project-1/regions/us-central1/subnetworks/w"}, []string{"Worker", "regions/x/subnetworks/w", ""}, false},
		{"azure resource group", Pattern("rg", AzureResourceGroupPattern), []string{"r", "mycluster-x7k2p-rg", "Gruppe_Müller(1)", strings.Repeat("ü", 90)},
			[]string{"", "rg.", "a b", "a/b", strings.Repeat("r", 91)}, false},
		{"azure vnet", Pattern("vnet", AzureVNetNamePattern), []string{"vn", "v_", strings.Repeat("v", 64)}, []string{"v", "v.", "_v", "vü", strings.Repeat("v", 65)}, false},
		{"azure network name", Pattern("name", AzureNetworkNamePattern), []string{"n", "nsg_", strings.Repeat("n", 80)}, []string{"", "n-", "-n", strings.Repeat("n", 81)}, false},
		{"gcp name", Pattern("name", GCPNamePattern), []string{"a", "a-1", "a" + strings.Repeat("b", 62)}, []string{"", "1a", "a-", "A", "a" + strings.Repeat("b", 63)}, false},
		{"libvirt name", Pattern("name", LibvirtNamePattern), []string{"default", "podvm-base.qcow2", "a+b"}, []string{"", "a b", "a/b", "a\nb", ".x"}, false},
		{"secret", Opaque, []string{"s3cr3t value"}, []string{"", "  "}, true},
		{"service account", ServiceAccountKey, []string{`{"type":"service_account","client_email":"a@b","private_key":"k"}`},
			[]string{`{"type":"user"}`, "not json"}, true},
	}
	for _, c := range cases {
		for _, v := range c.good {
			if err := c.f.Check(v); err != nil {
				t.Errorf("%s: %q refused: %v", c.name, v, err)
			}
		}
		for _, v := range c.bad {
			err := c.f.Check(v)
			if err == nil {
				t.Errorf("%s: %q accepted", c.name, v)
			} else if c.noEcho && v != "" && strings.Contains(err.Error(), v) {
				t.Errorf("%s: the error shows the value: %v", c.name, err)
			}
		}
	}
}

func TestKnownHostsAndKeys(t *testing.T) {
	line := "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
	if err := KnownHosts.Check(line); err != nil {
		t.Error(err)
	}
	if err := KnownHosts.Check(line + "\n"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "[127.0.0.1]:2222", "ssh-ed25519 AAAA"} {
		if KnownHosts.Check(bad) == nil {
			t.Errorf("known_hosts %q accepted", bad)
		}
	}
	if PublicKey.Check("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl c") != nil || PublicKey.Check("ssh-rsa x") == nil {
		t.Error("public key format")
	}
	if PrivateKey.Check("-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n") == nil {
		t.Error("a broken private key accepted")
	}
}

const policy = `algorithm = "sha384"
version = "0.1.0"

[data]
"policy.rego" = '''
package agent_policy
default ExecProcessRequest := false
'''
`

// TestInitData: a TOML document is encoded as CAA decodes it (base64, then
// gzip; CAA pkg/initdata decode) and decodes back to the same bytes; the
// same document gives the same value; malformed documents and values are
// refused with the line or the reason.
func TestInitData(t *testing.T) {
	enc, err := EncodeInitData([]byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := EncodeInitData([]byte(policy))
	if enc != again || strings.ContainsAny(enc, " \n") {
		t.Errorf("encoding not stable or not one word: %q", enc)
	}
	// Decoded with the standard library, as CAA does.
	zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, strings.NewReader(enc)))
	if err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	if _, err := doc.ReadFrom(zr); err != nil || doc.String() != policy {
		t.Fatalf("round trip: %v %q", err, doc.String())
	}
	if err := InitData.Check(enc); err != nil {
		t.Errorf("encoded policy refused: %v", err)
	}

	for name, bad := range map[string]string{
		"not TOML":          "algorithm = \"sha256\"\nversion = \n",
		"no algorithm":      "version = \"0.1.0\"\n",
		"unknown algorithm": "algorithm = \"md5\"\nversion = \"0.1.0\"\n",
		"no version":        "algorithm = \"sha256\"\n",
		"data not strings":  "algorithm = \"sha256\"\nversion = \"0.1.0\"\n[data]\nx = 1\n",
	} {
		if _, err := EncodeInitData([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := EncodeInitData([]byte("algorithm = \"sha256\"\nversion = \n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("TOML error without its line: %v", err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("not gzip")), "algorithm = \"sha256\""} {
		if InitData.Check(bad) == nil {
			t.Errorf("INITDATA %q accepted", bad)
		}
	}
}

func TestMarkdown(t *testing.T) {
	md := Markdown()
	for _, want := range []string{"#### libvirt", "| `known_hosts` | ssh-key-secret | all | required (CAA) | stack |",
		"| `LIBVIRT_POOL` | peer-pods-cm and peer-pods-secret | all | required (operator) | stack |", "| `CLOUD_PROVIDER` | peer-pods-cm and peer-pods-secret |",
		"| `PODVM_AMI_ID` | peer-pods-cm | all | optional | operator |", Operator, CAA} {
		if !strings.Contains(md, want) {
			t.Errorf("the tables lack %q", want)
		}
	}
}
