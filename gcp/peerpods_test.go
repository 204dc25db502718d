package gcp_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/gcp"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	gcpp "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const selfLink = "https://www.googleapis.com/compute/v1/projects/my-openshift-project/global/networks/mycluster-x7k2p-network"

func mocks() *pulumitest.Mocks {
	return &pulumitest.Mocks{Calls: map[string]pulumitest.CallFunc{
		"gcp:compute/getNetwork:getNetwork": func(a resource.PropertyMap) (resource.PropertyMap, error) {
			if a["name"].StringValue() != "mycluster-x7k2p-network" || a["project"].StringValue() != "my-openshift-project" {
				return nil, fmt.Errorf("network %s not found", a["name"].StringValue())
			}
			return resource.NewPropertyMapFromMap(map[string]any{"name": "mycluster-x7k2p-network", "selfLink": selfLink}), nil
		},
	}}
}

func baseArgs() gcp.Args {
	return gcp.Args{
		ProjectID: "my-openshift-project", Zone: "us-central1-a", Network: "mycluster-x7k2p-network",
		SourceRanges: []string{"10.0.0.0/16"}, Settings: common.NewSettings(contract.GCP),
	}
}

func deploy(t *testing.T, args gcp.Args, withProvider bool) (*pulumitest.Mocks, *gcp.PeerPods, error) {
	t.Helper()
	m := mocks()
	var pp *gcp.PeerPods
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		var opts []pulumi.ResourceOption
		if withProvider {
			p, err := gcpp.NewProvider(ctx, "gcp", &gcpp.ProviderArgs{})
			if err != nil {
				return err
			}
			opts = append(opts, pulumi.Provider(p))
		}
		var err error
		pp, err = gcp.NewPeerPods(ctx, "peerpods", args, opts...)
		return err
	})
	return m, pp, err
}

func TestFirewallAndValues(t *testing.T) {
	args := baseArgs()
	args.InfraID = "mycluster-x7k2p"
	args.Credentials = pulumi.String(`{"type":"service_account"}`)
	args.Identity = contract.IdentityStatic
	m, pp, err := deploy(t, args, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"gcp:compute/firewall:Firewall peerpods-firewall",
		"peerpods:gcp:PeerPods peerpods",
		"pulumi:providers:gcp gcp",
	}
	if got := m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("graph %v\nwant %v", got, want)
	}
	fw := m.Get(t, "gcp:compute/firewall:Firewall", "peerpods-firewall")
	wantFW := map[string]any{
		"name": "mycluster-x7k2p-peerpods", "project": "my-openshift-project", "network": selfLink,
		"direction": "INGRESS",
		"allows": []any{
			map[string]any{"protocol": "tcp", "ports": []any{"9000", "15150"}},
			map[string]any{"protocol": "udp", "ports": []any{"9000"}},
		},
		// No target tags: the rule reaches the machine network only.
		"sourceRanges": []any{"10.0.0.0/16"}, "destinationRanges": []any{"10.0.0.0/16"},
		"description": "peer pods: kata agent and tunnel, managed by peerpods",
	}
	if got := fw.Inputs.Mappable(); !reflect.DeepEqual(got, wantFW) {
		t.Errorf("firewall %v\nwant %v", got, wantFW)
	}
	if fw.Parent != m.Get(t, gcp.PeerPodsType, "peerpods").URN || fw.Provider != m.Get(t, "pulumi:providers:gcp", "gcp").Ref() {
		t.Errorf("parent %s provider %s", fw.Parent, fw.Provider)
	}
	cm, _ := pulumitest.Await(t, pp.ConfigMap)
	wantCM := map[string]string{
		"CLOUD_PROVIDER": "gcp", "VXLAN_PORT": "9000", "PROXY_TIMEOUT": "5m", "PEERPODS_LIMIT_PER_NODE": "10",
		"ROOT_VOLUME_SIZE": "6",
		"GCP_PROJECT_ID":   "my-openshift-project", "GCP_ZONE": "us-central1-a", "GCP_NETWORK": "global/networks/mycluster-x7k2p-network",
		"GCP_MACHINE_TYPE": "e2-medium", // no PODVM_IMAGE_NAME: the operator's unless set
	}
	if !reflect.DeepEqual(cm, wantCM) {
		t.Errorf("ConfigMap %v\nwant %v", cm, wantCM)
	}
	sec, secret := pulumitest.Await(t, pp.Values.SecretOutput())
	if !secret || sec.(map[string]string)["GCP_CREDENTIALS"] != `{"type":"service_account"}` {
		t.Errorf("secret %v %v", sec, secret)
	}
	if err := pp.Values.Check(true); err != nil {
		t.Error(err)
	}
	if len(pp.Rules) != 1 || len(pp.Rules[0].Ports) != 3 || len(pp.Values.Ready) != 1 ||
		!reflect.DeepEqual(pp.Rules[0].Sources, []string{"10.0.0.0/16"}) || !reflect.DeepEqual(pp.Rules[0].Destinations, []string{"10.0.0.0/16"}) {
		t.Errorf("rules %+v", pp.Rules)
	}
}

// TestDestinationRanges: gcp.destinationRanges, when set, are the rule's
// destinations (and the declared rule's), the sources unchanged.
func TestDestinationRanges(t *testing.T) {
	args := baseArgs()
	args.DestinationRanges = []string{"10.0.32.0/19", "10.0.64.0/19"}
	m, pp, err := deploy(t, args, true)
	if err != nil {
		t.Fatal(err)
	}
	in := m.Get(t, "gcp:compute/firewall:Firewall", "peerpods-firewall").Inputs.Mappable()
	if !reflect.DeepEqual(in["destinationRanges"], []any{"10.0.32.0/19", "10.0.64.0/19"}) || !reflect.DeepEqual(in["sourceRanges"], []any{"10.0.0.0/16"}) || in["targetTags"] != nil {
		t.Errorf("firewall %v", in)
	}
	if !reflect.DeepEqual(pp.Rules[0].Destinations, args.DestinationRanges) {
		t.Errorf("declared %v", pp.Rules[0].Destinations)
	}
}

// With the default identity (the operator's CCO flow), no
// peer-pods-secret: the operator maps the CCO Secret's service_account.json
// itself.
func TestCCOHasNoSecret(t *testing.T) {
	_, pp, err := deploy(t, baseArgs(), true)
	if err != nil {
		t.Fatal(err)
	}
	if pp.Values.Identity != contract.IdentityCCO || pp.Values.Secret != nil {
		t.Errorf("identity %s secret %v", pp.Values.Identity, pp.Values.Secret)
	}
	if err := pp.Values.CheckComplete(); err != nil {
		t.Error(err)
	}
}

func TestTunnelUDPOnly(t *testing.T) {
	args := baseArgs()
	args.Settings.TunnelPort, args.Settings.TunnelProtocols = pulumi.IntRef(4789), []string{"udp"}
	m, _, err := deploy(t, args, true)
	if err != nil {
		t.Fatal(err)
	}
	allows := m.Get(t, "gcp:compute/firewall:Firewall", "peerpods-firewall").Inputs.Mappable()["allows"]
	want := []any{map[string]any{"protocol": "tcp", "ports": []any{"15150"}}, map[string]any{"protocol": "udp", "ports": []any{"4789"}}}
	if !reflect.DeepEqual(allows, want) {
		t.Errorf("allows %v", allows)
	}
}

func TestBadInputRegistersNothing(t *testing.T) {
	cases := []struct {
		name    string
		change  func(*gcp.Args)
		noProv  bool
		setting string
		fix     string
	}{
		{"open to the world", func(a *gcp.Args) { a.SourceRanges = []string{"10.0.0.0/16", "0.0.0.0/0"} }, false, "gcp.sourceRanges[1]", "opens the peer-pods ports to every IPv4 address"},
		{"open to the world v6", func(a *gcp.Args) { a.SourceRanges = []string{"::/0"} }, false, "gcp.sourceRanges[0]", "every IPv6 address"},
		{"no ranges", func(a *gcp.Args) { a.SourceRanges = nil }, false, "gcp.sourceRanges", "machine network"},
		{"range with host bits", func(a *gcp.Args) { a.SourceRanges = []string{"10.0.0.1/16"} }, false, "gcp.sourceRanges[0]", `"10.0.0.0/16"`},
		{"bad project", func(a *gcp.Args) { a.ProjectID = "My_Project" }, false, "gcp.projectId", "project ID"},
		{"no zone", func(a *gcp.Args) { a.Zone = "" }, false, "gcp.zone", "us-central1-a"},
		{"region for zone", func(a *gcp.Args) { a.Zone = "us-central1" }, false, "gcp.zone", "us-central1-a"},
		{"bad network", func(a *gcp.Args) { a.Network = "Net_1" }, false, "gcp.network", "network's name"},
		{"target tags", func(a *gcp.Args) { a.TargetTags = []string{"mycluster-x7k2p-worker"} }, false, "gcp.targetTags", "remove gcp.targetTags: the rule is limited to gcp.destinationRanges"},
		{"destinations open to the world", func(a *gcp.Args) { a.DestinationRanges = []string{"0.0.0.0/0"} }, false, "gcp.destinationRanges[0]", "opens the peer-pods ports to every IPv4 address"},
		{"public destination", func(a *gcp.Args) { a.DestinationRanges = []string{"34.0.0.0/16"} }, false, "gcp.destinationRanges[0]", "peerpods:allowPublicRanges"},
		{"destination not a CIDR", func(a *gcp.Args) { a.DestinationRanges = []string{"10.0.0.0"} }, false, "gcp.destinationRanges[0]", "CIDR"},
		{"empty destinations", func(a *gcp.Args) { a.DestinationRanges = []string{} }, false, "gcp.destinationRanges", "leave gcp.destinationRanges out"},
		{"bad machine type", func(a *gcp.Args) { a.MachineType = "medium" }, false, "gcp.machineType", "e2-medium"},
		{"bad image", func(a *gcp.Args) { a.ImageName = "Pod VM" }, false, "gcp.podvmImageName", "image name"},
		{"limit -1", func(a *gcp.Args) { a.Settings.LimitPerNode = pulumi.IntRef(-1) }, false, "limitPerNode", "at least 1"},
		{"no provider", func(*gcp.Args) {}, true, "provider", "never uses a default provider"},
		{"key in cco mode", func(a *gcp.Args) { a.Credentials = pulumi.String("{}") }, false, "gcpCredentials", "set peerpods:identity to static"},
		{"workload", func(a *gcp.Args) { a.Identity = contract.IdentityWorkload }, false, "identity", "AWS and Azure only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := baseArgs()
			c.change(&args)
			m, _, err := deploy(t, args, !c.noProv)
			pulumitest.RequireInputError(t, err, c.setting, c.fix)
			if n := len(m.Resources()); n > 1 || len(m.Invokes()) != 0 {
				t.Errorf("registered %v, invoked %v", m.Summary(), m.Invokes())
			}
		})
	}
}

func TestUnknownNetwork(t *testing.T) {
	args := baseArgs()
	args.Network = "other-network"
	m, _, err := deploy(t, args, true)
	// A failed lookup is reported as a bad setting, with a fix; only the
	// provider is registered.
	pulumitest.RequireInputError(t, err, "gcp.network", "gcloud compute networks list")
	if !strings.Contains(err.Error(), "network other-network not found") {
		t.Errorf("the cloud's own message is lost: %v", err)
	}
	if len(m.Resources()) != 1 {
		t.Errorf("registered %v", m.Summary())
	}
}

// TestSourceRanges checks gcp.sourceRanges on their union
// (netrules.CheckExposure): errors name the full setting and carry the
// fix.
func TestSourceRanges(t *testing.T) {
	cases := []struct {
		name    string
		ranges  []string
		setting string // "" when accepted
		problem string
	}{
		{"machine network", []string{"10.0.0.0/16"}, "", ""},
		{"private 10/8", []string{"10.0.0.0/8"}, "", ""},
		{"two ranges within one /8's worth", []string{"10.0.0.0/9", "172.16.0.0/12", "fd00::/8"}, "", ""},
		{"IPv4 halves", []string{"0.0.0.0/1", "128.0.0.0/1"}, "gcp.sourceRanges",
			"has 0.0.0.0/1 (gcp.sourceRanges[0]) and 128.0.0.0/1 (gcp.sourceRanges[1]), which together open the peer-pods ports to every IPv4 address"},
		{"IPv6 halves", []string{"10.0.0.0/16", "::/1", "8000::/1"}, "gcp.sourceRanges",
			"has ::/1 (gcp.sourceRanges[1]) and 8000::/1 (gcp.sourceRanges[2]), which together open the peer-pods ports to every IPv6 address"},
		{"more than a /8 together", []string{"10.0.0.0/8", "192.168.0.0/16"}, "gcp.sourceRanges", "16842752 IPv4 addresses"},
		{"one range over the limit", []string{"10.0.0.0/7"}, "gcp.sourceRanges[0]", "33554432 (2^25) IPv4 addresses"},
		{"given twice", []string{"10.0.0.0/16", "10.0.0.0/16"}, "gcp.sourceRanges[1]", "gcp.sourceRanges[0] already lists"},
		{"contained", []string{"10.0.0.0/16", "10.0.8.0/24"}, "gcp.sourceRanges[1]", "gcp.sourceRanges[0] (10.0.0.0/16) already contains"},
		{"a public /8", []string{"34.0.0.0/8"}, "gcp.sourceRanges[0]", "has 34.0.0.0/8, which is public address space"},
		{"a public IPv6 /8", []string{"2a00::/8"}, "gcp.sourceRanges[0]", "has 2a00::/8, which is public address space"},
		{"IPv4-mapped public", []string{"::ffff:34.1.0.0/112"}, "gcp.sourceRanges[0]", "(the IPv4 34.1.0.0/16), which is public"},
		{"IPv4-mapped private", []string{"::ffff:10.1.0.0/112"}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := baseArgs()
			a.SourceRanges = c.ranges
			ies := problems.InputErrors(a.WithDefaults().Validate())
			if c.setting == "" {
				if len(ies) != 0 {
					t.Fatalf("refused: %v", ies)
				}
				return
			}
			if len(ies) != 1 || ies[0].Setting != c.setting || !strings.Contains(ies[0].Problem, c.problem) || ies[0].Fix == "" {
				t.Fatalf("want one error on %s saying %q, got %v", c.setting, c.problem, ies)
			}
			if !strings.Contains(c.problem, "already") && !strings.Contains(c.problem, "public") && !strings.Contains(ies[0].Fix, "machine network") {
				t.Errorf("fix %q", ies[0].Fix)
			}
		})
	}
}

// TestNames checks the GCP names against RFC 1035 (1-63 characters),
// boundaries included.
func TestNames(t *testing.T) {
	name63 := "a" + strings.Repeat("b", 61) + "c"
	cases := []struct {
		name    string
		change  func(*gcp.Args)
		setting string // "" when accepted
	}{
		{"63-character firewall name", func(a *gcp.Args) { a.FirewallName = name63 }, ""},
		{"64-character firewall name", func(a *gcp.Args) { a.FirewallName = name63 + "d" }, "gcp.firewallName"},
		{"one-letter network", func(a *gcp.Args) { a.Network = "n" }, ""},
		{"64-character network", func(a *gcp.Args) { a.Network = name63 + "d" }, "gcp.network"},
		{"network ending in -", func(a *gcp.Args) { a.Network = "net-" }, "gcp.network"},
		{"network starting with a digit", func(a *gcp.Args) { a.Network = "1net" }, "gcp.network"},
		{"63-character image", func(a *gcp.Args) { a.ImageName = name63 }, ""},
		{"64-character image", func(a *gcp.Args) { a.ImageName = name63 + "d" }, "gcp.podvmImageName"},
		{"64-character subnetwork", func(a *gcp.Args) { a.Subnetwork = name63 + "d" }, "gcp.subnetwork"},
		{"63-character subnetwork path", func(a *gcp.Args) { a.Subnetwork = "regions/us-central1/subnetworks/" + name63 }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := baseArgs()
			c.change(&a)
			pulumitest.RequireInputError(t, a.WithDefaults().Validate(), c.setting, "; fix: set it to")
		})
	}
}

// TestFirewallNamePerCluster: the rule is named after the cluster, so two
// clusters in one project (two stacks) create two rules, never one name
// twice; without the infrastructure name, after the network; cut to GCP's
// 63 characters; an explicit name wins.
func TestFirewallNamePerCluster(t *testing.T) {
	name := func(mutate func(*gcp.Args)) string {
		t.Helper()
		a := baseArgs()
		mutate(&a)
		m, _, err := deploy(t, a, true)
		if err != nil {
			t.Fatal(err)
		}
		return m.Get(t, "gcp:compute/firewall:Firewall", "peerpods-firewall").Inputs.Mappable()["name"].(string)
	}
	one := name(func(a *gcp.Args) { a.InfraID = "cluster-one-abcde" })
	// In the same network (a shared VPC), too.
	two := name(func(a *gcp.Args) { a.InfraID = "cluster-two-fghij" })
	if one != "cluster-one-abcde-peerpods" || two != "cluster-two-fghij-peerpods" {
		t.Errorf("two clusters' rules: %q, %q", one, two)
	}
	if got := name(func(*gcp.Args) {}); got != "mycluster-x7k2p-network-peerpods" {
		t.Errorf("without infraId: %q", got)
	}
	if got := gcp.DefaultFirewallName("", strings.Repeat("n", 55)+"-network"); len(got) != 63 || got != strings.Repeat("n", 55)+"-network" {
		t.Errorf("a long network's rule name %q (%d characters)", got, len(got))
	}
	if got := gcp.DefaultFirewallName("", strings.Repeat("n", 54)+"-network"); len(got) > 63 || strings.HasSuffix(got, "-") {
		t.Errorf("cut at a dash: %q (%d characters)", got, len(got))
	}
	if got := name(func(a *gcp.Args) { a.InfraID = "c-abcde"; a.FirewallName = "my-rule" }); got != "my-rule" {
		t.Errorf("explicit name: %q", got)
	}
}

// TestFirewallKeepsItsResource: the rule's resource has one name whatever
// the rule is called, with the names earlier versions gave it (after the
// rule's name, and the docs' default) as aliases: upgrading moves it
// instead of deleting it, and renaming the rule replaces it (the new rule
// created before the old one is deleted) instead of deleting one resource
// and creating another.
func TestFirewallKeepsItsResource(t *testing.T) {
	a := baseArgs()
	a.InfraID = "mycluster-x7k2p"
	m, _, err := deploy(t, a, true)
	if err != nil {
		t.Fatal(err)
	}
	fw := m.Get(t, "gcp:compute/firewall:Firewall", "peerpods-firewall")
	var names []string
	for _, al := range fw.Aliases {
		if i := strings.LastIndex(al, "::"); i >= 0 { // a URN
			al = al[i+2:]
		}
		names = append(names, al)
	}
	if want := []string{"peerpods-mycluster-x7k2p-peerpods", "peerpods-" + gcp.DocsFirewallName}; !reflect.DeepEqual(names, want) {
		t.Errorf("aliases %v (%v), want the names %v", names, fw.Aliases, want)
	}
}

// A rule made with the docs' command is adopted by name: the stack's rule
// resource imports it (the engine refuses the import if the rule is not
// what the stack declares), keeps it on destroy and never rewrites its
// description; it is reported as adopted. Naming a rule of its own too is
// refused.
func TestDocsMadeFirewallAdopted(t *testing.T) {
	a := baseArgs()
	a.AdoptFirewall = gcp.DocsFirewallName
	m, pp, err := deploy(t, a, true)
	if err != nil {
		t.Fatal(err)
	}
	fw := m.Get(t, "gcp:compute/firewall:Firewall", "peerpods-firewall")
	if fw.ImportID != "projects/"+a.ProjectID+"/global/firewalls/"+gcp.DocsFirewallName || !fw.Retain ||
		!reflect.DeepEqual(fw.IgnoreChanges, []string{"description"}) || fw.Inputs["name"].StringValue() != gcp.DocsFirewallName {
		t.Errorf("firewall: import %q retain %t ignore %v name %v", fw.ImportID, fw.Retain, fw.IgnoreChanges, fw.Inputs["name"])
	}
	if len(pp.Rules) != 1 || !pp.Rules[0].Adopted || pp.Rules[0].Name != gcp.DocsFirewallName {
		t.Errorf("rules %+v", pp.Rules)
	}

	a.FirewallName = "mine"
	pulumitest.RequireInputError(t, a.WithDefaults().Validate(), "gcp.adoptFirewall", "set only one")
}
