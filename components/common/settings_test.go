package common

import (
	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
	"reflect"
	"strings"
	"testing"
)

func TestPortsDefault(t *testing.T) {
	got := DefaultSettings(contract.AWS).Ports()
	want := []netrules.Port{
		{Role: netrules.RoleKataAgent, Number: 15150, Protocol: netrules.TCP},
		{Role: netrules.RoleTunnel, Number: 9000, Protocol: netrules.TCP},
		{Role: netrules.RoleTunnel, Number: 9000, Protocol: netrules.UDP},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Ports() = %v, want %v", got, want)
	}
	if got[0].Key() != "kata-agent-tcp" || got[2].String() != "9000/udp" {
		t.Fatalf("Key/String: %q %q", got[0].Key(), got[2].String())
	}
}

func TestPortsConfigured(t *testing.T) {
	s := DefaultSettings(contract.AWS)
	s.TunnelPort, s.TunnelProtocols = ref(4789), []string{"UDP"}
	want := []netrules.Port{{Role: netrules.RoleKataAgent, Number: 15150, Protocol: netrules.TCP}, {Role: netrules.RoleTunnel, Number: 4789, Protocol: netrules.UDP}}
	if got := s.Ports(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Ports() = %v, want %v", got, want)
	}
}

func TestSettingsConfigMap(t *testing.T) {
	s := DefaultSettings(contract.AWS)
	s.Tags = map[string]string{"team": "kata", "env": "prod"}
	want := map[string]string{
		"CLOUD_PROVIDER":          "aws",
		"VXLAN_PORT":              "9000",
		"PROXY_TIMEOUT":           "5m",
		"PEERPODS_LIMIT_PER_NODE": "10",
		"ROOT_VOLUME_SIZE":        "6",
		"TAGS":                    "env=prod,team=kata",
	}
	if got := s.ConfigMap(contract.AWS); !reflect.DeepEqual(got, want) {
		t.Fatalf("ConfigMap = %v\nwant %v", got, want)
	}
	s.InitData = "aW5pdA=="
	if got := s.ConfigMap(contract.AWS)["INITDATA"]; got != "aW5pdA==" {
		t.Fatalf("INITDATA = %q", got)
	}
	// libvirt's CAA reads neither ROOT_VOLUME_SIZE nor TAGS.
	if got := s.ConfigMap(contract.Libvirt); got["TAGS"] != "" || got["ROOT_VOLUME_SIZE"] != "" || got["CLOUD_PROVIDER"] != "libvirt" {
		t.Fatalf("libvirt ConfigMap %v", got)
	}
	if got := DefaultSettings(contract.Libvirt).ConfigMap(contract.Libvirt)["PROXY_TIMEOUT"]; got != "15m" {
		t.Fatalf("libvirt PROXY_TIMEOUT = %q, want 15m", got)
	}
}

func TestSettingsValidate(t *testing.T) {
	cases := []struct {
		name    string
		change  func(*Settings)
		setting string // "" for valid
		fix     string
	}{
		{"defaults", func(*Settings) {}, "", ""},
		{"port 0", func(s *Settings) { s.TunnelPort = ref(0) }, "tunnelPort", "1 to 65535"},
		{"port 65536", func(s *Settings) { s.TunnelPort = ref(65536) }, "tunnelPort", "1 to 65535"},
		{"port 65535 ok", func(s *Settings) { s.TunnelPort = ref(65535) }, "", ""},
		{"port clashes with agent", func(s *Settings) { s.TunnelPort = ref(15150) }, "tunnelPort", "another port"},
		{"no protocol", func(s *Settings) { s.TunnelProtocols = []string{} }, "tunnelProtocols", "at least one"},
		{"bad protocol", func(s *Settings) { s.TunnelProtocols = []string{"sctp"} }, "tunnelProtocols", `"tcp" and/or "udp"`},
		{"repeated protocol", func(s *Settings) { s.TunnelProtocols = []string{"tcp", "TCP"} }, "tunnelProtocols", "once"},
		{"limit 0", func(s *Settings) { s.LimitPerNode = ref(0) }, "limitPerNode", "at least 1"},
		{"limit 1 ok", func(s *Settings) { s.LimitPerNode = ref(1) }, "", ""},
		{"root volume 5", func(s *Settings) { s.RootVolumeSize = ref(5) }, "rootVolumeSize", "at least 6"},
		{"timeout garbage", func(s *Settings) { s.ProxyTimeout = ref("soon") }, "proxyTimeout", "duration"},
		{"timeout negative", func(s *Settings) { s.ProxyTimeout = ref("-5m") }, "proxyTimeout", "duration"},
		{"tag key with comma", func(s *Settings) { s.Tags = map[string]string{"a,b": "c"} }, "tags", "no ',' or '='"},
		{"tag value with equals", func(s *Settings) { s.Tags = map[string]string{"a": "b=c"} }, "tags.a", "without"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := DefaultSettings(contract.AWS)
			c.change(&s)
			err := s.Validate()
			if c.setting == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			ies := problems.InputErrors(err)
			if len(ies) != 1 || ies[0].Setting != c.setting || !strings.Contains(ies[0].Fix, c.fix) {
				t.Fatalf("want one error on %s with fix containing %q, got %v", c.setting, c.fix, err)
			}
		})
	}
}

func TestProblemsReportsAllInOneError(t *testing.T) {
	s := DefaultSettings(contract.AWS)
	s.TunnelPort, s.LimitPerNode, s.RootVolumeSize = ref(0), ref(0), ref(1)
	err := s.Validate()
	if n := len(problems.InputErrors(err)); n != 3 {
		t.Fatalf("want 3 problems, got %d: %v", n, err)
	}
	if !strings.HasPrefix(err.Error(), "3 invalid settings:\n  - tunnelPort is 0") {
		t.Fatalf("message: %q", err)
	}
	var p problems.List
	p.AddWithin("peerpods:", err)
	p.AddWithin("x", nil)
	if ies := problems.InputErrors(p.Err()); len(ies) != 3 || ies[0].Setting != "peerpods:tunnelPort" {
		t.Fatalf("AddWithin: %v", p.Err())
	}
}

// TestCheckName checks the libvirt name rule: errors name the setting
// and carry the fix.
func TestCheckName(t *testing.T) {
	cases := []struct {
		value   string
		problem string // "" when accepted
		fix     string
	}{
		{"default", "", ""},
		{"podvm-base.qcow2", "", ""},
		{"my pool", "", ""},    // libvirt allows inner spaces
		{"bassin-été", "", ""}, // and any printable Unicode
		{"a" + strings.Repeat("b", 255), "", ""},
		{"", "is empty", "give it a name"},
		{"a/b", `contains "/"`, "without /"},
		{"../x", `contains "/"`, "without /"},
		{"a\nb", "control character U+000A", "printable"},
		{"a\x00b", "control character U+0000", "printable"},
		{"tab\t", "control character U+0009", "printable"},
		{"del\x7f", "control character U+007F", "printable"},
		{"c1\u0085", "control character U+0085", "printable"},
		{" x", "surrounding white space", "remove the white space"},
		{"x\u00a0", "surrounding white space", "remove the white space"},
	}
	for _, c := range cases {
		err := check.Name("libvirt.pool", c.value)
		if c.problem == "" {
			if err != nil {
				t.Errorf("%q: %v", c.value, err)
			}
			continue
		}
		ies := problems.InputErrors(err)
		if len(ies) != 1 || ies[0].Setting != "libvirt.pool" || !strings.Contains(ies[0].Problem, c.problem) || !strings.Contains(ies[0].Fix, c.fix) {
			t.Errorf("%q: got %v, want %s; fix: %s", c.value, err, c.problem, c.fix)
		}
	}
}

func TestCheckHelpers(t *testing.T) {
	if _, err := check.ParsePrefix("cidr", "10.0.0.1/14"); err == nil || !strings.Contains(err.Error(), `"10.0.0.0/14"`) {
		t.Errorf("ParsePrefix host bits: %v", err)
	}
	if _, err := check.ParsePrefix("cidr", "10.0.0.0/33"); err == nil {
		t.Error("ParsePrefix /33: nil")
	}
	if p, err := check.ParsePrefix("cidr", "192.168.0.0/16"); err != nil || p.Bits() != 16 {
		t.Errorf("ParsePrefix ok: %v %v", p, err)
	}
	if got := check.FormatTags(nil); got != "" {
		t.Errorf("FormatTags(nil) = %q", got)
	}
}

// TestCheckTagsFor checks the tag limits of each cloud, boundaries
// included: errors name the setting and carry the fix with its source.
func TestCheckTagsFor(t *testing.T) {
	rep := strings.Repeat
	cases := []struct {
		name    string
		cloud   contract.Cloud
		tags    map[string]string
		setting string // "" when accepted
		problem string
	}{
		{"aws 128-character key, 256-character value", contract.AWS, map[string]string{rep("k", 128): rep("v", 256)}, "", ""},
		{"aws 128 Unicode characters", contract.AWS, map[string]string{rep("ü", 128): rep("é", 256)}, "", ""},
		{"aws empty value", contract.AWS, map[string]string{"team": ""}, "", ""},
		{"aws 129-character key", contract.AWS, map[string]string{rep("k", 129): "v"}, "tags", "129 characters long, more than aws allows (128)"},
		{"aws 257-character value", contract.AWS, map[string]string{"team": rep("v", 257)}, "tags.team", "257 characters long, more than aws allows (256)"},
		{"aws: prefix", contract.AWS, map[string]string{"aws:cloudformation:stack": "x"}, "tags", `prefix "aws:" aws reserves`},
		{"AWS: prefix in any case", contract.AWS, map[string]string{"AwS:x": "x"}, "tags", `prefix "aws:"`},
		{"aws inside a key", contract.AWS, map[string]string{"team-aws:x": "x", "aws": "y"}, "", ""},
		{"azure 512-character key", contract.Azure, map[string]string{rep("k", 512): rep("v", 256)}, "", ""},
		{"azure 513-character key", contract.Azure, map[string]string{rep("k", 513): "v"}, "tags", "more than azure allows (512)"},
		{"azure 257-character value", contract.Azure, map[string]string{"team": rep("v", 257)}, "tags.team", "more than azure allows (256)"},
		{"azure aws: prefix is fine", contract.Azure, map[string]string{"aws:x": "x"}, "", ""},
		{"azure key with /", contract.Azure, map[string]string{"team/a": "x"}, "tags", `which contains one of < > % & \ ? /`},
		{"azure key with ?", contract.Azure, map[string]string{"a?": "x"}, "tags", "contains one of"},
		{"azure key with %", contract.Azure, map[string]string{"100%": "x"}, "tags", "contains one of"},
		{"azure value with /", contract.Azure, map[string]string{"path": "a/b"}, "", ""},
		{"gcp: no limits here", contract.GCP, map[string]string{rep("k", 600): rep("v", 600)}, "", ""},
		{"libvirt: no limits here", contract.Libvirt, map[string]string{rep("k", 600): "v"}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := check.TagsFor("tags", c.cloud, c.tags)
			if c.setting == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ies := problems.InputErrors(err)
			if len(ies) != 1 || ies[0].Setting != c.setting || !strings.Contains(ies[0].Problem, c.problem) || !strings.Contains(ies[0].Fix, check.TagRules[c.cloud].Source) {
				t.Fatalf("want one error on %s saying %q, got %v", c.setting, c.problem, err)
			}
		})
	}
	// Every problem, in key order; ValidateFor applies the rules.
	s := DefaultSettings(contract.AWS)
	s.Tags = map[string]string{"b": rep("v", 257), "aws:a": "x", "c=": "y"}
	var got []string
	for _, ie := range problems.InputErrors(s.ValidateFor(contract.AWS)) {
		got = append(got, ie.Setting+" "+ie.Problem)
	}
	want := []string{`tags has the key "c="`, `tags has the key "aws:a", whose prefix "aws:" aws reserves for itself`, "tags.b is 257 characters long, more than aws allows (256)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
