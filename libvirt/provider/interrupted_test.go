package provider_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/libvirt/provider"
	p "github.com/pulumi/pulumi-go-provider"
)

// TestInterruptedServesTheSchemasTypes checks Interrupted against the
// resource tokens of the schema pulumi-go-provider's infer generates (not
// a copy of them): every resource of the schema is known, a volume gets
// its ID from its checked inputs, the others are created again with a
// note, and a foreign type is not claimed.
func TestInterruptedServesTheSchemasTypes(t *testing.T) {
	resp, err := server(t).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Resources map[string]any `json:"resources"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatal(err)
	}
	custom := 0
	for typ := range schema.Resources {
		if !strings.HasPrefix(typ, provider.Name+":"+provider.Module+":") || typ == "peerpods:libvirt:PeerPods" {
			continue // components: never pending creates of this provider
		}
		custom++
		in := map[string]any{"pool": "pp", "name": "podvm-base.qcow2", "user": "kvm", "host": "h1", "port": float64(22)}
		got, ok := provider.Interrupted(typ, in)
		if !ok {
			t.Errorf("%s: not known", typ)
			continue
		}
		switch {
		case strings.HasSuffix(typ, ":StorageVolume"):
			if got.ID != "pp/podvm-base.qcow2" || got.Note != "" {
				t.Errorf("%s: %+v, want the ID pool/name", typ, got)
			}
		case got.ID != "" || got.Note == "":
			t.Errorf("%s: %+v, want a note and no ID", typ, got)
		}
	}
	if custom != 3 {
		t.Errorf("%d custom resources in the schema, want the pool, the volume and the host access", custom)
	}
	if _, ok := provider.Interrupted("aws:ec2/instance:Instance", nil); ok {
		t.Error("a foreign type is claimed")
	}
	if got, _ := provider.Interrupted("peerpods:libvirt:StorageVolume", map[string]any{"pool": "pp"}); got.ID != "" {
		t.Errorf("a volume without a name gets the ID %q", got.ID)
	}
	if got, _ := provider.Interrupted("peerpods:libvirt:KvmHostAccess", map[string]any{"user": "kvm", "host": "h1", "port": float64(2222)}); !strings.Contains(got.Note, "kvm@h1 (port 2222)") {
		t.Errorf("host access note: %s", got.Note)
	}
}
