package diffreport

import (
	"fmt"
	"github.com/peerpods/provisioner/components/readiness"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// TestDiagramAWSCreated: the exact diagram of a first AWS up: the group's
// members reach its pod VMs and workers on the three ports, all added.
func TestDiagramAWSCreated(t *testing.T) {
	got := Diagram(FromEvents("dev", previewAWSCreated()).Paths)
	want := `flowchart LR
  n0["+ pod VMs and workers<br/>in security group sg-0a1"]
  n1["+ members of<br/>security group sg-0a1"]
  n1 ==>|"+ 9000/tcp, 9000/udp, 15150/tcp"| n0
  classDef added fill:#dafbe1,stroke:#1a7f37,stroke-width:3px,color:#000
  class n0,n1 added
  linkStyle 0 stroke:#1a7f37,stroke-width:3px
`
	if got != want {
		t.Errorf("diagram:\n%s\nwant:\n%s", got, want)
	}
	if Diagram(nil) != "" {
		t.Error("a diagram of no paths")
	}
}

// TestDiagramStates: an update that moves a port removes the old path and
// adds the new one, a delete removes, a same keeps; each drawn its way
// (dotted, thick, plain), nodes of mixed states unmarked.
func TestDiagramStates(t *testing.T) {
	ps := FromEvents("dev", previewAWSRemoved()).Paths
	var got []string
	for _, p := range ps {
		got = append(got, fmt.Sprintf("%s -> %s %s %v", p.From.Key, p.To.Key, p.State, p.Via))
	}
	want := []string{
		"src-sg:sg-0a1 -> sg:sg-0a1 added [4789/udp]",
		"src-sg:sg-0a1 -> sg:sg-0a1 removed [9000/tcp 9000/udp]",
		"src-sg:sg-0a1 -> sg:sg-0a1 kept [15150/tcp]",
		"src-sg:sg-0b2 -> sg:sg-0b2 added [4789/udp]",
		"src-sg:sg-0b2 -> sg:sg-0b2 removed [9000/tcp 9000/udp]",
		"src-sg:sg-0b2 -> sg:sg-0b2 kept [15150/tcp]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths:\n%s", strings.Join(got, "\n"))
	}
	d := Diagram(ps)
	for _, line := range []string{
		`  n0["pod VMs and workers<br/>in security group sg-0a1"]`,
		`  n2 ==>|"+ 4789/udp"| n0`,
		`  n2 -.->|"− 9000/tcp, 9000/udp"| n0`,
		`  n2 -->|"15150/tcp"| n0`,
		`  linkStyle 0,3 stroke:#1a7f37,stroke-width:3px`,
		`  linkStyle 1,4 stroke:#cf222e,stroke-width:2px`,
	} {
		if !strings.Contains(d, line+"\n") {
			t.Errorf("diagram lacks %q:\n%s", line, d)
		}
	}
	if strings.Contains(d, "class ") {
		t.Errorf("a node of mixed states is marked:\n%s", d)
	}
}

// TestReplacedPath: a resource recreated with the same inputs keeps its
// path, marked replaced (~, yellow).
func TestReplacedPath(t *testing.T) {
	in := awsRule("sg-1", 15150, "tcp")
	diff := map[string]apitype.PropertyDiff{"tags": {Kind: apitype.DiffUpdateReplace, InputDiff: true}}
	typ := typeAWSIngress
	r := FromEvents("dev", []apitype.EngineEvent{
		step(apitype.OpCreateReplacement, typ, "r", in, in, diff),
		step(apitype.OpReplace, typ, "r", in, map[string]any{}, diff),
		step(apitype.OpDeleteReplaced, typ, "r", in, nil, nil),
	})
	if len(r.Paths) != 1 || r.Paths[0].State != Replaced {
		t.Fatalf("paths %+v", r.Paths)
	}
	d := Diagram(r.Paths)
	if !strings.Contains(d, `n1 -->|"~ 15150/tcp"| n0`) || !strings.Contains(d, "class n0,n1 replaced") {
		t.Errorf("diagram:\n%s", d)
	}
}

// TestUnknownIDsNamed: in a first preview the NAT gateway's and the peer
// VNet's IDs are unknown; the paths name them by the one resource of their
// type in the preview. The libvirt pool is on the host of its provider's
// URI.
func TestUnknownIDsNamed(t *testing.T) {
	keys := func(evs []apitype.EngineEvent) []string {
		var out []string
		for _, p := range FromEvents("dev", evs).Paths {
			out = append(out, p.From.Key+" -> "+p.To.Key+" "+p.Kind)
		}
		return out
	}
	got := keys(previewAzurePeerVNet())
	want := []string{
		"nat:pp-natgw -> internet nat",
		"prefix:10.0.128.0/17 -> nsg:c1-nsg:192.168.0.0/24,10.0.128.0/17 rule",
		"prefix:192.168.0.0/24 -> nsg:c1-nsg:192.168.0.0/24,10.0.128.0/17 rule",
		"subnet:pp-subnet -> nat:pp-natgw nat",
		"vnet:c1-vnet -> vnet:pp-vnet peering",
		"vnet:pp-vnet -> vnet:c1-vnet peering",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("azure paths:\n%s", strings.Join(got, "\n"))
	}
	got = keys(previewLibvirt())
	want = []string{
		"cluster -> kvm:kvm1.example.com:2222 kvm",
		"kvm:kvm1.example.com:2222 -> pool:peerpods kvm",
		"pool:peerpods -> volume:peerpods/podvm-base.qcow2 kvm",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("libvirt paths:\n%s", strings.Join(got, "\n"))
	}
	// Two gateways and no known ID: not guessed.
	evs := previewAzurePeerVNet()
	evs = append(evs, step(apitype.OpCreate, typeAzureNAT, "other", nil, map[string]any{"natGatewayName": "other"}, nil))
	if got := keys(evs); !strings.Contains(strings.Join(got, "\n"), "subnet:pp-subnet -> nat:(known after up) nat") {
		t.Errorf("two gateways: %v", got)
	}
	// A local libvirtd.
	pool := step(apitype.OpCreate, typePool, "pool", nil, map[string]any{"name": "p", "path": "/p"}, nil)
	prov := step(apitype.OpSame, typeProvider, "lv", map[string]any{"uri": "qemu:///system"}, map[string]any{"uri": "qemu:///system"}, nil)
	pool.ResourcePreEvent.Metadata.Provider = prov.ResourcePreEvent.Metadata.URN + "::id"
	if got := FromEvents("dev", []apitype.EngineEvent{prov, pool}).Paths; len(got) != 1 || got[0].From.Label != "libvirtd on this host\nqemu:///system" {
		t.Errorf("local libvirtd: %+v", got)
	}
}

// TestEscape: every character Mermaid or the HTML label would read is an
// entity code; line breaks are <br/>; long lines are cut.
func TestEscape(t *testing.T) {
	got := escape("a \"b\" #1; <i>&`c`\nd")
	if want := "a #quot;b#quot; #35;1; #lt;i#gt;#amp;#96;c#96;<br/>d"; got != want {
		t.Errorf("escape: %q, want %q", got, want)
	}
	if got := escape(strings.Repeat("x", 100)); got != strings.Repeat("x", 79)+"…" {
		t.Errorf("long line: %q", got)
	}
}

// TestSecretsNeverInTheDiagram: a secret input (the KVM host's password,
// a provider URI marked secret) shows nowhere, neither in the Markdown
// nor in the JSON; a pool whose provider's URI is secret is on the one
// KVM host of the preview.
func TestSecretsNeverInTheDiagram(t *testing.T) {
	secret := map[string]any{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": leaked}
	evs := previewLibvirt()
	evs[0].ResourcePreEvent.Metadata.New.Inputs["password"] = secret
	evs[0].ResourcePreEvent.Metadata.New.Inputs["user"] = secret
	evs[1].ResourcePreEvent.Metadata.New.Inputs["uri"] = secret
	r := FromEvents("dev", evs)
	md := r.Markdown(MaxMarkdown)
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md, leaked) || strings.Contains(string(b), leaked) {
		t.Errorf("a secret is shown:\n%s\n%s", md, b)
	}
	if !strings.Contains(md, `n0 ==>|"+ ssh 2222/tcp"| n1`) || !strings.Contains(md, `n1 ==>|"+ libvirt"| n2`) ||
		!strings.Contains(md, "KVM host<br/>[secret]@kvm1.example.com:2222") {
		t.Errorf("markdown:\n%s", md)
	}
}

// lastSubject ends a report without peerings: the last thing check reads.
var lastSubject = "- " + readiness.ClusterSubjects[len(readiness.ClusterSubjects)-1].Verifies + "\n"

// TestMarkdownSections: the report has the diagram in a mermaid fence
// with its legend before the rows, and ends with what check verifies,
// naming the stack, the rules' ports and sources, the NAT gateway, the
// peerings, the KVM host and the handoff.
func TestMarkdownSections(t *testing.T) {
	md := FromEvents("prod", append(previewAzurePeerVNet(), previewLibvirt()...)).Markdown(MaxMarkdown)
	fence := strings.Index(md, "```mermaid\nflowchart LR\n")
	table := strings.Index(md, "| operation |")
	after := strings.Index(md, "#### After the merge")
	if fence < 0 || table < fence || after < table || !strings.Contains(md, Legend) {
		t.Fatalf("sections out of order:\n%s", md)
	}
	tail := md[after:]
	for _, want := range []string{
		"`peerpods check --stack prod`",
		"- the rules of `pod VMs and workers NSG c1-nsg 192.168.0.0/24, 10.0.128.0/17` exist and allow 9000/tcp, 9000/udp, 15150/tcp from `10.0.128.0/17`, `192.168.0.0/24`\n",
		"- `NAT gateway pp-natgw` is still attached to `pod VMs subnet pp-subnet 192.168.0.0/24 VNet pp-vnet`\n",
		"- `KVM host kvmadmin@kvm1.example.com:2222` answers over OpenSSH with the handoff's key and known_hosts",
		"- " + readiness.ClusterSubjects[0].Verifies + "\n",
		"- " + readiness.ClusterSubjects[len(readiness.ClusterSubjects)-1].Verifies + "\n",
		"- `volume podvm-base.qcow2 qcow2` exists on `storage pool peerpods`\n",
	} {
		if !strings.Contains(tail, want) {
			t.Errorf("check section lacks %q:\n%s", want, tail)
		}
	}
	// The peerings, which check does not read back, are said to be so.
	if !strings.HasSuffix(md, "Not read back by `check` (`peerpods refresh --stack prod --expect-no-changes` finds their drift): the peering `VNet c1-vnet` → `VNet pp-vnet`, the peering `VNet pp-vnet` → `VNet c1-vnet`.\n") {
		t.Errorf("the report does not end with the check list and what it does not read:\n%s", tail)
	}
	// Removed paths are not verified.
	tail = FromEvents("dev", previewAWSRemoved()).Markdown(MaxMarkdown)
	tail = tail[strings.Index(tail, "#### After the merge"):]
	if strings.Contains(tail, "9000/") || !strings.Contains(tail, "allow 4789/udp, 15150/tcp from `members of security group sg-0a1`") {
		t.Errorf("check section of a removal:\n%s", tail)
	}
	// A change without network paths (a ConfigMap; a rule without its
	// group): no diagram, the handoff check.
	md = FromEvents("dev", sample()[:5]).Markdown(MaxMarkdown)
	if strings.Contains(md, "mermaid") || !strings.HasSuffix(md, lastSubject) {
		t.Errorf("a ConfigMap change:\n%s", md)
	}
}

// TestDiagramTooLarge: a diagram past MaxDiagram becomes a note, and the
// whole report stays within its limit with the check list at its end.
func TestDiagramTooLarge(t *testing.T) {
	var evs []apitype.EngineEvent
	for i := 0; i < 400; i++ {
		sg := fmt.Sprintf("sg-%04d", i)
		evs = append(evs, step(apitype.OpCreate, typeAWSIngress, "r-"+sg, nil, awsRule(sg, 15150, "tcp"), nil))
	}
	md := FromEvents("big", evs).Markdown(8000)
	if strings.Contains(md, "```mermaid") || !strings.Contains(md, "_The diagram of 400 paths is too large") {
		t.Errorf("large diagram drawn:\n%.600s", md)
	}
	if len(md) > 8000 || !strings.HasSuffix(md, lastSubject) || !strings.Contains(md, "more paths as the JSON report lists them") {
		t.Errorf("report of %d bytes, ends %q", len(md), md[len(md)-80:])
	}
}

// TestDocsExample: the example diagram of docs/commands.md is the one this
// package draws for a first AWS preview.
func TestDocsExample(t *testing.T) {
	readme, err := os.ReadFile("../../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	want := "```mermaid\n" + Diagram(FromEvents("dev", previewAWSCreated()).Paths) + "```\n"
	if !strings.Contains(string(readme), want) {
		t.Errorf("docs/commands.md lacks the example diagram:\n%s", want)
	}
}
