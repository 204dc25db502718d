package diffreport

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// Path states: what the change does to a path.
const (
	Added    = "added"
	Removed  = "removed"
	Replaced = "replaced" // the same path, its resource recreated
	Kept     = "kept"
)

// Path is one way through the network the stack's resources open, from a
// source to what it reaches (the pod VMs and workers behind a security
// group, an NSG or a firewall rule; the Internet through a NAT gateway; a
// peered VNet; the KVM host, its storage pool and volume), and what the
// change does to it.
type Path struct {
	From End `json:"from"`
	To   End `json:"to"`
	// Via are the ports (15150/tcp), or outbound, peering, ssh ...,
	// sorted.
	Via []string `json:"via"`
	// State is Added, Removed, Replaced or Kept.
	State string `json:"state"`
	// Kind is rule, nat, peering or kvm: what check verifies of it.
	Kind string `json:"kind"`
}

// End is one end of a path: a stable key and a label, lines separated by
// "\n".
type End struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// Path kinds.
const (
	kindRule    = "rule"
	kindNAT     = "nat"
	kindPeering = "peering"
	kindKVM     = "kvm"
)

// unknown is how a value the engine knows only after up is shown.
const unknown = "(known after up)"

// resourceState is what the events say of one resource: its operation and
// its old and new inputs.
type resourceState struct {
	op       string
	typ      string
	old, new map[string]any
	provider string // the provider reference of the new (else old) state
}

// paths derives the network paths of a preview from its engine events:
// each resource's paths before (old inputs) and after (new inputs) the
// change, compared; paths of the same ends, state and kind merged, sorted.
func paths(events []apitype.EngineEvent) []Path {
	var order []string
	res := map[string]*resourceState{}
	for _, e := range events {
		if e.ResourcePreEvent == nil {
			continue
		}
		md := e.ResourcePreEvent.Metadata
		op := string(md.Op)
		switch md.Op {
		case apitype.OpCreateReplacement, apitype.OpDeleteReplaced, apitype.OpReplace, apitype.OpDiscardReplaced:
			op = string(apitype.OpReplace)
		}
		r, ok := res[md.URN]
		if !ok {
			r = &resourceState{op: op, typ: md.Type}
			res[md.URN] = r
			order = append(order, md.URN)
		}
		if md.Old != nil && len(r.old) == 0 {
			r.old = md.Old.Inputs
		}
		if md.New != nil && len(r.new) == 0 {
			r.new = md.New.Inputs
		}
		if r.provider == "" {
			r.provider = md.Provider
		}
	}
	x := extractor{res: res}
	type key struct{ from, to, state, kind string }
	merged := map[key]*Path{}
	for _, urn := range order {
		r := res[urn]
		var before, after []Path
		switch apitype.OpType(r.op) {
		case apitype.OpCreate, apitype.OpImport:
			after = x.of(r, r.new)
		case apitype.OpDelete:
			before = x.of(r, r.old)
		case apitype.OpRead, apitype.OpReadReplacement, apitype.OpReadDiscard, apitype.OpRefresh:
			continue
		default: // same, update, replace
			before, after = x.of(r, r.old), x.of(r, r.new)
			if r.new == nil {
				after = before
			}
		}
		for _, p := range compare(before, after, r.op == string(apitype.OpReplace)) {
			k := key{p.From.Key, p.To.Key, p.State, p.Kind}
			if m, ok := merged[k]; ok {
				m.Via = append(m.Via, p.Via...)
				continue
			}
			c := p
			merged[k] = &c
		}
	}
	out := make([]Path, 0, len(merged))
	for _, p := range merged {
		p.Via = sortVia(p.Via)
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.From.Key != b.From.Key {
			return a.From.Key < b.From.Key
		}
		if a.To.Key != b.To.Key {
			return a.To.Key < b.To.Key
		}
		return stateRank(a.State) < stateRank(b.State)
	})
	return out
}

// compare splits a resource's paths into those it adds, removes and keeps
// (replaced, when the resource is recreated), one Via each.
func compare(before, after []Path, replaced bool) []Path {
	id := func(p Path, via string) string {
		return p.From.Key + "\x00" + p.To.Key + "\x00" + p.Kind + "\x00" + via
	}
	had := map[string]bool{}
	for _, p := range before {
		for _, v := range p.Via {
			had[id(p, v)] = true
		}
	}
	has := map[string]bool{}
	var out []Path
	for _, p := range after {
		for _, v := range p.Via {
			has[id(p, v)] = true
			state := Added
			if had[id(p, v)] {
				state = Kept
				if replaced {
					state = Replaced
				}
			}
			out = append(out, Path{From: p.From, To: p.To, Via: []string{v}, State: state, Kind: p.Kind})
		}
	}
	for _, p := range before {
		for _, v := range p.Via {
			if !has[id(p, v)] {
				out = append(out, Path{From: p.From, To: p.To, Via: []string{v}, State: Removed, Kind: p.Kind})
			}
		}
	}
	return out
}

func stateRank(s string) int {
	return slices.Index([]string{Added, Removed, Replaced, Kept}, s)
}

// sortVia sorts ports by number then protocol, words after them,
// without repeats.
func sortVia(via []string) []string {
	num := func(s string) int {
		n, err := strconv.Atoi(strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' })[0])
		if err != nil {
			return 1 << 30
		}
		return n
	}
	sort.Slice(via, func(i, j int) bool {
		if a, b := num(via[i]), num(via[j]); a != b {
			return a < b
		}
		return via[i] < via[j]
	})
	return slices.Compact(via)
}

// extractor turns a resource's inputs into its paths; res gives the
// other resources of the preview, to name what an unknown ID points to.
type extractor struct{ res map[string]*resourceState }

// The resource types whose inputs open paths.
const (
	typeAWSIngress   = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	typeAzureRule    = "azure-native:network:SecurityRule"
	typeAzureNAT     = "azure-native:network:NatGateway"
	typeAzureAssoc   = "azure:network/subnetNatGatewayAssociation:SubnetNatGatewayAssociation"
	typeAzureSubnet  = "azure-native:network:Subnet"
	typeAzureVNet    = "azure-native:network:VirtualNetwork"
	typeAzurePeering = "azure-native:network:VirtualNetworkPeering"
	typeGCPFirewall  = "gcp:compute/firewall:Firewall"
	typeKVMAccess    = "peerpods:libvirt:KvmHostAccess"
	typePool         = "peerpods:libvirt:StoragePool"
	typeVolume       = "peerpods:libvirt:StorageVolume"
	typeProvider     = "pulumi:providers:peerpods"
)

var (
	internet = End{Key: "internet", Label: "Internet"}
	cluster  = End{Key: "cluster", Label: "cluster\n(cloud-api-adaptor)"}
)

// of is the paths a resource of r's type opens with inputs in.
func (x extractor) of(r *resourceState, in map[string]any) []Path {
	if in == nil {
		return nil
	}
	switch r.typ {
	case typeAWSIngress:
		return awsIngress(in)
	case typeAzureRule:
		return azureRule(in)
	case typeAzureNAT:
		name := str(in, "natGatewayName")
		return []Path{{From: natEnd(name), To: internet, Via: []string{"outbound"}, Kind: kindNAT}}
	case typeAzureAssoc:
		subnet := lastSegment(str(in, "subnetId"))
		from := End{Key: "subnet:" + strings.ToLower(subnet), Label: "pod VMs and workers\nsubnet " + subnet}
		return []Path{{From: from, To: natEnd(x.nameOf(str(in, "natGatewayId"), typeAzureNAT, "natGatewayName")), Via: []string{"outbound"}, Kind: kindNAT}}
	case typeAzureSubnet:
		gw := str(in, "natGateway", "id")
		if gw == "" {
			return nil
		}
		name := str(in, "subnetName")
		label := fmt.Sprintf("pod VMs\nsubnet %s %s\nVNet %s", name, str(in, "addressPrefix"), str(in, "virtualNetworkName"))
		from := End{Key: "subnet:" + strings.ToLower(name), Label: label}
		return []Path{{From: from, To: natEnd(x.nameOf(gw, typeAzureNAT, "natGatewayName")), Via: []string{"outbound"}, Kind: kindNAT}}
	case typeAzurePeering:
		from := vnetEnd(str(in, "virtualNetworkName"))
		to := vnetEnd(x.nameOf(str(in, "remoteVirtualNetwork", "id"), typeAzureVNet, "virtualNetworkName"))
		return []Path{{From: from, To: to, Via: []string{"peering"}, Kind: kindPeering}}
	case typeGCPFirewall:
		return gcpFirewall(in)
	case typeKVMAccess:
		host := kvmEnd(str(in, "user"), str(in, "host"), num(in, "port"))
		return []Path{{From: cluster, To: host, Via: []string{fmt.Sprintf("ssh %s/tcp", portOr(num(in, "port"), "22"))}, Kind: kindKVM}}
	case typePool:
		name := str(in, "name")
		pool := End{Key: "pool:" + name, Label: fmt.Sprintf("storage pool %s\n%s", name, str(in, "path"))}
		return []Path{{From: x.libvirtHost(r.provider), To: pool, Via: []string{"libvirt"}, Kind: kindKVM}}
	case typeVolume:
		// The pool input is the pool's name output: unknown while the
		// pool is to be created.
		pool := x.nameOf(str(in, "pool"), typePool, "name")
		vol := End{Key: "volume:" + pool + "/" + str(in, "name"), Label: fmt.Sprintf("volume %s\n%s", str(in, "name"), str(in, "format"))}
		return []Path{{From: End{Key: "pool:" + pool, Label: "storage pool " + pool}, To: vol, Via: []string{"pod VM image"}, Kind: kindKVM}}
	}
	return nil
}

// nameOf names what an ID points to: its last segment, or, while the ID
// is unknown, the name input of the one resource of typ in the preview.
func (x extractor) nameOf(id, typ, nameInput string) string {
	if id != unknown && id != "" {
		return lastSegment(id)
	}
	var names []string
	for _, r := range x.res {
		if r.typ == typ && r.new != nil {
			names = append(names, str(r.new, nameInput))
		}
	}
	if len(names) == 1 {
		return names[0]
	}
	return unknown
}

// libvirtHost is the host the peerpods provider instance provider (a
// reference "<urn>::<id>") connects to, from its uri input; the one KVM
// host of the preview when that is not known.
func (x extractor) libvirtHost(provider string) End {
	urn := provider
	if i := strings.LastIndex(provider, "::"); i >= 0 {
		urn = provider[:i]
	}
	if p, ok := x.res[urn]; ok && p.typ == typeProvider {
		in := p.new
		if in == nil {
			in = p.old
		}
		if u, err := url.Parse(str(in, "uri")); err == nil && u.Scheme != "" {
			if u.Host == "" {
				return End{Key: "kvm:local", Label: "libvirtd on this host\n" + u.Scheme + "://" + u.Path}
			}
			return kvmEnd(u.User.Username(), u.Hostname(), u.Port())
		}
	}
	var hosts []End
	for _, r := range x.res {
		if r.typ == typeKVMAccess && r.new != nil {
			hosts = append(hosts, kvmEnd(str(r.new, "user"), str(r.new, "host"), num(r.new, "port")))
		}
	}
	if len(hosts) == 1 {
		return hosts[0]
	}
	return End{Key: "kvm:unknown", Label: "libvirt host"}
}

func natEnd(name string) End {
	return End{Key: "nat:" + strings.ToLower(name), Label: "NAT gateway\n" + name}
}

func vnetEnd(name string) End {
	return End{Key: "vnet:" + strings.ToLower(name), Label: "VNet " + name}
}

func kvmEnd(user, host, port string) End {
	port = portOr(port, "22")
	addr := host + ":" + port
	if user != "" {
		addr = user + "@" + addr
	}
	return End{Key: "kvm:" + strings.ToLower(host) + ":" + port, Label: "KVM host\n" + addr}
}

func portOr(port, def string) string {
	if port == "" || port == "0" {
		return def
	}
	return port
}

// awsIngress: the group's members (or a CIDR) reach the pod VMs and
// workers of the group the rule belongs to.
func awsIngress(in map[string]any) []Path {
	sg := str(in, "securityGroupId")
	to := End{Key: "sg:" + sg, Label: "pod VMs and workers\nin security group " + sg}
	var from End
	switch {
	case str(in, "referencedSecurityGroupId") != "":
		src := str(in, "referencedSecurityGroupId")
		from = End{Key: "src-sg:" + src, Label: "members of\nsecurity group " + src}
	case str(in, "cidrIpv4") != "":
		from = prefixEnd(str(in, "cidrIpv4"))
	case str(in, "cidrIpv6") != "":
		from = prefixEnd(str(in, "cidrIpv6"))
	case str(in, "prefixListId") != "":
		from = End{Key: "prefix-list:" + str(in, "prefixListId"), Label: "prefix list " + str(in, "prefixListId")}
	default:
		return nil
	}
	proto := strings.ToLower(str(in, "ipProtocol"))
	via := portRange(num(in, "fromPort"), num(in, "toPort"), proto)
	if proto == "-1" {
		via = "all traffic"
	}
	return []Path{{From: from, To: to, Via: []string{via}, Kind: kindRule}}
}

// azureRule: an inbound allow rule of an NSG, from its source prefixes to
// the pod VMs and workers of its destination prefixes.
func azureRule(in map[string]any) []Path {
	if !strings.EqualFold(str(in, "direction"), "Inbound") || !strings.EqualFold(str(in, "access"), "Allow") {
		return nil
	}
	nsg := str(in, "networkSecurityGroupName")
	dst := list(in, "destinationAddressPrefixes", "destinationAddressPrefix")
	to := End{Key: "nsg:" + strings.ToLower(nsg) + ":" + strings.Join(dst, ","),
		Label: "pod VMs and workers\nNSG " + nsg + "\n" + strings.Join(dst, ", ")}
	proto := strings.ToLower(str(in, "protocol"))
	if proto == "*" {
		proto = "any"
	}
	var via []string
	for _, r := range list(in, "destinationPortRanges", "destinationPortRange") {
		via = append(via, r+"/"+proto)
	}
	var out []Path
	for _, src := range list(in, "sourceAddressPrefixes", "sourceAddressPrefix") {
		out = append(out, Path{From: prefixEnd(src), To: to, Via: via, Kind: kindRule})
	}
	return out
}

// gcpFirewall: an ingress rule from its source ranges to the instances of
// its target tags and destination ranges (or all of the network's).
func gcpFirewall(in map[string]any) []Path {
	if d := str(in, "direction"); d != "" && !strings.EqualFold(d, "INGRESS") {
		return nil
	}
	network := lastSegment(str(in, "network"))
	tags := list(in, "targetTags", "")
	dests := list(in, "destinationRanges", "")
	who := "every instance"
	if len(tags) > 0 {
		who = "instances tagged " + strings.Join(tags, ", ")
	}
	if len(dests) > 0 {
		who += " in " + strings.Join(dests, ", ")
	}
	key := "fw:" + network + ":" + strings.Join(tags, ",")
	if len(dests) > 0 {
		key += ":" + strings.Join(dests, ",")
	}
	to := End{Key: key,
		Label: fmt.Sprintf("pod VMs and workers\n%s\nof network %s\nfirewall %s", who, network, str(in, "name"))}
	var via []string
	allows, _ := in["allows"].([]any)
	for _, a := range allows {
		m, _ := a.(map[string]any)
		proto := strings.ToLower(str(m, "protocol"))
		ports := list(m, "ports", "")
		if len(ports) == 0 {
			via = append(via, "all/"+proto)
		}
		for _, p := range ports {
			via = append(via, p+"/"+proto)
		}
	}
	var out []Path
	for _, src := range list(in, "sourceRanges", "") {
		out = append(out, Path{From: prefixEnd(src), To: to, Via: via, Kind: kindRule})
	}
	for _, tag := range list(in, "sourceTags", "") {
		out = append(out, Path{From: End{Key: "tag:" + tag, Label: "instances tagged " + tag}, To: to, Via: via, Kind: kindRule})
	}
	return out
}

func prefixEnd(p string) End { return End{Key: "prefix:" + p, Label: p} }

func portRange(from, to, proto string) string {
	if to == "" || to == from {
		return from + "/" + proto
	}
	return from + "-" + to + "/" + proto
}

// str is the string at a path of nested maps, "" when absent; an unknown
// value is unknown, a secret Secret.
func str(m map[string]any, path ...string) string {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[k]
	}
	return scalar(mask(v))
}

func scalar(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		if t == plugin.UnknownStringValue {
			return unknown
		}
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case int:
		return strconv.Itoa(t)
	case bool:
		return strconv.FormatBool(t)
	}
	return fmt.Sprint(v)
}

// num is a number input as a string.
func num(m map[string]any, key string) string { return str(m, key) }

// list is the strings of a list input key, or of the single-value input
// one (NSG rules have both forms).
func list(m map[string]any, key, one string) []string {
	var out []string
	if a, ok := mask(m[key]).([]any); ok {
		for _, v := range a {
			if s := scalar(v); s != "" {
				out = append(out, s)
			}
		}
	} else if s := str(m, key); s != "" {
		out = append(out, s) // unknown or secret in place of the list
	}
	if len(out) == 0 && one != "" {
		if s := str(m, one); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func lastSegment(id string) string {
	id = strings.TrimSuffix(id, "/")
	return id[strings.LastIndex(id, "/")+1:]
}
