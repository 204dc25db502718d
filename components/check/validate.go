package check

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"k8s.io/apimachinery/pkg/util/validation"
)

// CheckPort checks that n is a TCP/UDP port number.
func Port(setting string, n int) error {
	if n < 1 || n > 65535 {
		return problems.Invalid(setting, fmt.Sprintf("is %d, outside 1-65535", n), "use a port number from 1 to 65535")
	}
	return nil
}

// CheckAtLeast checks that n >= min.
func AtLeast(setting string, n, min int, fix string) error {
	if n < min {
		return problems.Invalid(setting, fmt.Sprintf("is %d, less than %d", n, min), fix)
	}
	return nil
}

// CheckPattern checks that value matches re; what describes a valid value,
// such as "a subnet ID (subnet- and 8 or 17 hex digits)".
func Pattern(setting, value string, re *regexp.Regexp, what string) error {
	if value == "" {
		return problems.Invalid(setting, "is empty", "set it to "+what)
	}
	if !re.MatchString(value) {
		return problems.Invalid(setting, fmt.Sprintf("is %q, which is not %s", value, what), "set it to "+what)
	}
	return nil
}

// CheckEach runs CheckPattern on every value of a list and checks that no
// value is repeated.
func Each(setting string, values []string, re *regexp.Regexp, what string) error {
	seen := map[string]bool{}
	for i, v := range values {
		if err := Pattern(fmt.Sprintf("%s[%d]", setting, i), v, re, what); err != nil {
			return err
		}
		if seen[v] {
			return problems.Invalid(setting, fmt.Sprintf("lists %q twice", v), "list each value once")
		}
		seen[v] = true
	}
	return nil
}

// CheckDuration checks that value is a Go duration such as "5m", above zero.
func Duration(setting, value string) error {
	d, err := time.ParseDuration(value)
	if err != nil || d <= 0 {
		return problems.Invalid(setting, fmt.Sprintf("is %q, which is not a positive duration", value), `use a duration such as "5m" or "90s"`)
	}
	return nil
}

// CheckName checks a libvirt object name (storage pool, volume, network):
// not empty, no "/" (libvirt refuses it in pool, volume and network names,
// and a directory pool's volume name is a file name), no control character
// (a line break or NUL would end up in libvirt's XML, in file names and in
// logs) and no surrounding white space.
func Name(setting, value string) error {
	if value == "" {
		return problems.Invalid(setting, "is empty", "give it a name")
	}
	if strings.Contains(value, "/") {
		return problems.Invalid(setting, fmt.Sprintf("is %q, which contains %q", value, "/"), "use a plain name without /")
	}
	if i := strings.IndexFunc(value, unicode.IsControl); i >= 0 {
		c, _ := utf8.DecodeRuneInString(value[i:])
		return problems.Invalid(setting, fmt.Sprintf("is %q, which contains the control character %U", value, c), "use a name of printable characters, without line breaks or tabs")
	}
	if strings.TrimSpace(value) != value {
		return problems.Invalid(setting, fmt.Sprintf("is %q, which has surrounding white space", value), "remove the white space")
	}
	return nil
}

// CheckTags checks tags for the TAGS key (key=value,...): keys and values
// must not contain "," or "=", and keys must not be empty. Problems are
// reported for every tag, in key order.
func Tags(setting string, tags map[string]string) error {
	var p problems.List
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if k == "" || strings.ContainsAny(k, ",=") {
			p.Add(problems.Invalid(setting, fmt.Sprintf("has the key %q", k), "use tag keys that are not empty and contain no ',' or '='"))
			continue
		}
		if v := tags[k]; strings.ContainsAny(v, ",=") {
			p.Add(problems.Invalid(fmt.Sprintf("%s.%s", setting, k), fmt.Sprintf("is %q, which contains ',' or '='", v), "use a tag value without ',' or '='"))
		}
	}
	return p.Err()
}

// TagLimits are a cloud's documented limits on the tags cloud-api-adaptor
// puts on the pod VMs from TAGS. Lengths count characters.
type TagLimits struct {
	// MaxKey and MaxValue are the longest key and value.
	MaxKey, MaxValue int
	// ReservedPrefix, when set, may not start a key, in any case.
	ReservedPrefix string
	// BadKeyChars are characters a key may not contain.
	BadKeyChars string
	// Source is where the limits are documented.
	Source string
}

// TagRules are the tag limits of the clouds whose cloud-api-adaptor turns
// TAGS into tags of the pod VM: EC2 tags (CAA aws provider, CreateTags)
// and Azure resource tags (CAA azure provider, getResourceTags). GCP's
// TAGS name Resource Manager tags that must already exist in the project
// (CAA looks each key and value up, and refuses the pod VM otherwise), and
// libvirt's contract has no TAGS: neither has limits here.
var TagRules = map[contract.Cloud]TagLimits{contract.AWS: {MaxKey: 128, MaxValue: 256, ReservedPrefix: "aws:",
	Source: "AWS tagging rules: key 1-128 and value 0-256 Unicode characters, aws: reserved"}, contract.Azure: {MaxKey: 512, MaxValue: 256, BadKeyChars: `<>%&\?/`,
	Source: "Azure tag limitations: name up to 512 and value up to 256 characters, no < > % & \\ ? / in names"},
}

// CheckTagsFor checks tags against cloud's TagRules (nothing when the
// cloud has none); CheckTags checks what the TAGS format itself needs.
func TagsFor(setting string, cloud contract.Cloud, tags map[string]string) error {
	rule, ok := TagRules[cloud]
	if !ok {
		return nil
	}
	var p problems.List
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if k == "" {
			continue // CheckTags
		}
		v := tags[k]
		switch n := utf8.RuneCountInString(k); {
		case n > rule.MaxKey:
			p.Add(problems.Invalid(setting, fmt.Sprintf("has the key %q, %d characters long, more than %s allows (%d)", k, n, cloud, rule.MaxKey),
				fmt.Sprintf("use a tag key of at most %d characters (%s)", rule.MaxKey, rule.Source)))
		case rule.ReservedPrefix != "" && len(k) >= len(rule.ReservedPrefix) && strings.EqualFold(k[:len(rule.ReservedPrefix)], rule.ReservedPrefix):
			p.Add(problems.Invalid(setting, fmt.Sprintf("has the key %q, whose prefix %q %s reserves for itself", k, rule.ReservedPrefix, cloud),
				fmt.Sprintf("use a key that does not start with %q, in any case (%s)", rule.ReservedPrefix, rule.Source)))
		case strings.ContainsAny(k, rule.BadKeyChars):
			p.Add(problems.Invalid(setting, fmt.Sprintf("has the key %q, which contains one of %s", k, strings.Join(strings.Split(rule.BadKeyChars, ""), " ")),
				fmt.Sprintf("rename the tag without those characters (%s)", rule.Source)))
		}
		if n := utf8.RuneCountInString(v); n > rule.MaxValue {
			p.Add(problems.Invalid(fmt.Sprintf("%s.%s", setting, k), fmt.Sprintf("is %d characters long, more than %s allows (%d)", n, cloud, rule.MaxValue),
				fmt.Sprintf("use a tag value of at most %d characters (%s)", rule.MaxValue, rule.Source)))
		}
	}
	return p.Err()
}

// FormatTags renders tags as TAGS wants them: key=value pairs, sorted by
// key, joined by commas.
func FormatTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + tags[k]
	}
	return strings.Join(pairs, ",")
}

// ParsePrefix parses a CIDR prefix such as "10.0.0.0/14", requiring it to be
// in canonical form (no host bits set).
func ParsePrefix(setting, value string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(value)
	if err != nil {
		return netip.Prefix{}, problems.Invalid(setting, fmt.Sprintf("is %q, which is not a CIDR prefix", value), `use a prefix such as "192.168.0.0/16"`)
	}
	if p.Masked() != p {
		return netip.Prefix{}, problems.Invalid(setting, fmt.Sprintf("is %q, which has host bits set", value), fmt.Sprintf("use %q", p.Masked().String()))
	}
	return p, nil
}

// CheckListed checks that value, a default instance type or size, is one of
// list: cloud-api-adaptor refuses a pod that asks for a type or size the
// list does not have, and its vCPU and memory fit only picks listed ones
// (CAA src/cloud-providers/util.go SelectInstanceTypeToUse,
// VerifyCloudInstanceType), so an unlisted default could not be asked for.
// It says nothing about a list with duplicates (CheckEach reports them).
func Listed(setting, value, listSetting string, list []string) error {
	if len(list) == 0 || slices.Contains(list, value) || len(slices.Compact(slices.Sorted(slices.Values(list)))) != len(list) {
		return nil
	}
	return problems.Invalid(setting, fmt.Sprintf("is %q, which %s does not list (cloud-api-adaptor refuses pods that ask for it)", value, listSetting),
		fmt.Sprintf("add %q to %s, or set %s to one of %s", value, listSetting, setting, strings.Join(list, ", ")))
}

// CheckContract checks value against the format the contract gives key for
// cloud.
func Contract(setting string, cloud contract.Cloud, key, value string) error {
	k, ok := contract.MustFor(cloud).Key(key)
	if !ok {
		return fmt.Errorf("contract: %s has no key %s", cloud, key)
	}
	if err := k.Format.Check(value); err != nil {
		return problems.Invalid(setting, err.Error(), "set it to "+k.Format.Describe)
	}
	return nil
}

// Kubernetes names and labels are checked with k8s.io/apimachinery's
// validation, the API server's own rules, never with patterns of ours.

// CheckDNSSubdomain checks the name of a Kubernetes object whose name is
// a DNS-1123 subdomain (a node, a cluster-scoped custom resource such as
// the KataConfig): at most 253 lower-case letters, digits, '-' and '.'.
// what names the kind of name, such as "a node name".
func DNSSubdomain(setting, value, what, fix string) error {
	return kubeProblem(setting, value, what, fix, validation.IsDNS1123Subdomain(value))
}

// CheckDNSLabel checks a name that is a DNS-1123 label (a namespace): at
// most 63 lower-case letters, digits and '-'.
func DNSLabel(setting, value, what, fix string) error {
	return kubeProblem(setting, value, what, fix, validation.IsDNS1123Label(value))
}

// CheckLabelValue checks a label (or taint) value: empty, or at most 63
// letters, digits, '-', '_' and '.', starting and ending with a letter or
// digit.
func LabelValue(setting, value, fix string) error {
	return kubeProblem(setting, value, "a label value", fix, validation.IsValidLabelValue(value))
}

// CheckLabels checks a map of labels, such as a node selector: every key
// a qualified name (an optional DNS-subdomain prefix and '/', then a name
// of at most 63 characters), every value a label value. Key problems name
// setting, value problems setting.<key>; all are reported, in key order.
func Labels(setting string, labels map[string]string) error {
	var p problems.List
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			p.Add(problems.Invalid(setting, fmt.Sprintf("has the key %q, which is not a label key: %s", k, strings.Join(errs, "; ")),
				"use a label key such as node-role.kubernetes.io/kata-oc or example.com/peer-pods"))
			continue
		}
		p.Add(LabelValue(setting+"."+k, labels[k], `use a label value such as "" or "true"`))
	}
	return p.Err()
}

func kubeProblem(setting, value, what, fix string, errs []string) error {
	if len(errs) == 0 {
		return nil
	}
	return problems.Invalid(setting, fmt.Sprintf("is %q, which is not %s: %s", value, what, strings.Join(errs, "; ")), fix)
}

// CheckExtra checks the peerpods:extra keys against cloud's contract: each
// must be a key the pass-through may set, with a value of its format.
// Errors name setting.<KEY> and, for a key that has a setting of its own,
// that setting.
func Extra(setting string, cloud contract.Cloud, extra map[string]string) error {
	set, ok := contract.For(cloud)
	if !ok || len(extra) == 0 {
		return nil
	}
	var p problems.List
	names := strings.Join(contract.Names(set.Extras()), ", ")
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		key, known := set.Key(k)
		switch {
		case !known:
			p.Add(problems.Invalid(setting+"."+k, fmt.Sprintf("is not a key cloud-api-adaptor reads for %s", cloud),
				fmt.Sprintf("use one of %s (see the %s key table of docs/handoff.md)", names, cloud)))
		case !key.Extra():
			p.Add(problems.Invalid(setting+"."+k, "is not set through peerpods:extra",
				fmt.Sprintf("set %s instead", key.Setting)))
		default:
			if err := key.Format.Check(extra[k]); err != nil {
				p.Add(problems.Invalid(setting+"."+k, err.Error(), "set it to "+key.Format.Describe))
			}
		}
	}
	return p.Err()
}
