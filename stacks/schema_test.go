package stacks

import (
	"bytes"
	"encoding/json"
	"github.com/peerpods/provisioner/components/contract"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemaCheckedIn: the checked-in schema of the stack files is what
// the settings' types make of it now.
func TestSchemaCheckedIn(t *testing.T) {
	if len(Clouds()) < len(contract.Clouds) {
		t.Skip("the schema describes every cloud: built with cloud tags, only some are registered")
	}
	want, err := GenerateSchema(".")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(schemaJSON, want) {
		t.Errorf("stacks/%s is not what the settings' types generate: run go generate ./stacks", SchemaFile)
	}
	ref, err := SettingsReference(want)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(ReferenceFile); err != nil || !bytes.Equal(got, ref) {
		t.Errorf("docs/settings.md is not what the schema renders (%v): run go generate ./stacks", err)
	}
}

// TestSchemaDescribesEverySetting: every setting and every field of an
// object setting has a description (its own doc comment, or its entry in
// settingDocs), so that every row of docs/settings.md says what it is. A field
// sharing one comment with others, or none, has no description.
func TestSchemaDescribesEverySetting(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(schemaJSON, &doc); err != nil {
		t.Fatal(err)
	}
	props, _ := dig(doc, "properties", "config", "properties").(map[string]any)
	if len(props) == 0 {
		t.Fatal("the schema has no settings")
	}
	var walk func(name string, s map[string]any)
	walk = func(name string, s map[string]any) {
		if d, _ := s["description"].(string); strings.TrimSpace(d) == "" {
			t.Errorf("%s has no description: give its field a doc comment of its own (or the setting an entry in settingDocs)", name)
		}
		sub, _ := s["properties"].(map[string]any)
		if items, ok := s["items"].(map[string]any); ok {
			if p, ok := items["properties"].(map[string]any); ok {
				sub, name = p, name+"[]"
			}
		}
		for f, v := range sub {
			walk(name+"."+f, v.(map[string]any))
		}
	}
	for name, s := range props {
		walk(name, s.(map[string]any))
	}
}

// TestExampleStacksMatchSchema: every stack file in stacks/ is valid
// against the schema.
func TestExampleStacksMatchSchema(t *testing.T) {
	files, err := filepath.Glob("Pulumi.*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stack files: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := ValidateStackFile(raw); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestSchemaRefusesBadStackFiles: an unknown key, a name in the wrong
// case (at the top or nested), a value of the wrong type and a secret in
// plain text are refused; other namespaces' keys are left alone.
func TestSchemaRefusesBadStackFiles(t *testing.T) {
	for name, c := range map[string]struct {
		config string
		ok     bool
	}{
		"valid":                     {"peerpods:cloud: aws\n  peerpods:aws:\n    infraId: c-x7k2p\n  peerpods:tunnelPort: 9000\n  peerpods:awsSecretAccessKey:\n    secure: AAABAA==\n", true},
		"other namespace":           {"aws:region: us-east-2\n  pulumi:disable-default-providers: ['*']\n", true},
		"number as text":            {"peerpods:tunnelPort: \"9000\"\n", true},
		"plain non-sensitive key":   {"peerpods:awsAccessKeyId: AKIA\n", true},
		"unknown key":               {"peerpods:colour: blue\n", false},
		"wrong case top-level":      {"peerpods:TunnelPort: 9000\n", false},
		"wrong case nested":         {"peerpods:azure:\n    nsgPriorities:\n      KataAgent: 300\n", false},
		"unknown nested field":      {"peerpods:aws:\n    subnet: subnet-01234567\n", false},
		"wrong type":                {"peerpods:aws:\n    securityGroupIds: sg-01234567\n", false},
		"wrong type of a number":    {"peerpods:tunnelPort: ninethousand\n", false},
		"wrong type in a list item": {"peerpods:placement:\n    hostedControlPlane:\n      - nodes: n-1\n", false},
		"plain-text secret":         {"peerpods:awsSecretAccessKey: wJalr\n", false},
		"unknown cloud":             {"peerpods:cloud: openstack\n", false},
	} {
		t.Run(name, func(t *testing.T) {
			err := ValidateStackFile([]byte("config:\n  " + c.config))
			if c.ok != (err == nil) {
				t.Errorf("ValidateStackFile = %v, want ok %t", err, c.ok)
			}
		})
	}
}

// TestCheckShapeNamesTheSetting: the loader's check of an object setting
// names the full peerpods: setting and the nearest field.
func TestCheckShapeNamesTheSetting(t *testing.T) {
	for _, c := range []struct {
		key  string
		v    any
		want string
	}{
		{"azure", map[string]any{"nsgPriorities": map[string]any{"KataAgent": 1}}, "peerpods:azure.nsgPriorities.KataAgent is not a setting of peerpods:azure.nsgPriorities; fix: did you mean kataAgent?"},
		{"placement", map[string]any{"hostedControlPlane": []any{map[string]any{"nodes": "n-1"}}}, "peerpods:placement.hostedControlPlane[0].nodes cannot be read: it is a string, not array"},
	} {
		errs := checkShape(c.key, c.v)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("checkShape(%s) = %v, want %q", c.key, errs, c.want)
		}
	}
}
