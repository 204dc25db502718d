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
// a copy of them): every resource of the schema is known and created
// again with a note (a volume's names its create marker, the proof the
// next up needs to replace what the cut create left), and a foreign type
// is not claimed.
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
		if !strings.HasPrefix(got, "it is created again") {
			t.Errorf("%s: %q, want a note on what the next up does", typ, got)
		}
		if strings.HasSuffix(typ, ":StorageVolume") && !strings.Contains(got, "create marker") {
			t.Errorf("%s: %q does not say how the volume is proven", typ, got)
		}
	}
	if custom != 3 {
		t.Errorf("%d custom resources in the schema, want the pool, the volume and the host access", custom)
	}
	if _, ok := provider.Interrupted("aws:ec2/instance:Instance", nil); ok {
		t.Error("a foreign type is claimed")
	}
	if got, _ := provider.Interrupted("peerpods:libvirt:StorageVolume", map[string]any{"pool": "pp", "name": "v.qcow2"}); !strings.Contains(got, "a volume v.qcow2 left in pool pp") {
		t.Errorf("volume note: %s", got)
	}
	if got, _ := provider.Interrupted("peerpods:libvirt:KvmHostAccess", map[string]any{"user": "kvm", "host": "h1", "port": float64(2222)}); !strings.Contains(got, "kvm@h1 (port 2222)") {
		t.Errorf("host access note: %s", got)
	}
}
