package leftovers_test

import (
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/leftovers"
)

// TestIsPodVMName: the names cloud-api-adaptor's GenerateInstanceName
// makes (podvm-<sanitized pod>-<8 of the sandbox ID>, at most 63) and
// others.
func TestIsPodVMName(t *testing.T) {
	for name, want := range map[string]bool{
		"podvm-nginx-1a2b3c4d":            true,
		"podvm-my-app-7d9f-x2kq-0123abcd": true,
		"podvm--0123abcd":                 true,
		"podvm-base.qcow2":                false,
		"podvm-Nginx-1a2b3c4d":            false,
		"myvm-nginx-1a2b3c4d":             false,
		"podvm":                           false,
		"podvm-" + strings.Repeat("a", 48) + "-0123abcd": true,
		"podvm-" + strings.Repeat("a", 49) + "-0123abcd": false,
	} {
		if got := leftovers.IsPodVMName(name); got != want {
			t.Errorf("IsPodVMName(%q) = %v, want %v", name, got, want)
		}
	}
	if vm, ok := leftovers.PodVMOf("podvm-nginx-1a2b3c4d-net", "-net"); !ok || vm != "podvm-nginx-1a2b3c4d" {
		t.Errorf("PodVMOf: %q %v", vm, ok)
	}
	if _, ok := leftovers.PodVMOf("worker-net", "-net"); ok {
		t.Error("PodVMOf(worker-net) is a pod VM")
	}
}

// TestReport: one line per item, the sweep command when some are
// cloud-api-adaptor's, the hand commands of the others.
func TestReport(t *testing.T) {
	items := []leftovers.Item{
		{Kind: "volume", Name: "podvm-a-12345678-root.qcow2", Where: "storage pool p (/d)", CAA: true, Command: "virsh vol-delete a"},
		{Kind: "volume", Name: "notes.txt", Where: "storage pool p (/d)", Command: "virsh vol-delete --pool p notes.txt"},
	}
	leftovers.Sort(items)
	got := leftovers.Report("prod", items, true)
	for _, want := range []string{
		"  - volume notes.txt in storage pool p (/d), not cloud-api-adaptor's\n",
		"  - volume podvm-a-12345678-root.qcow2 in storage pool p (/d)\n",
		"fix: peerpods sweep --stack prod --delete removes cloud-api-adaptor's",
		"remove the others by hand:\n    virsh vol-delete --pool p notes.txt",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "virsh vol-delete a") {
		t.Errorf("report gives the hand command of a swept item:\n%s", got)
	}
	if got := leftovers.Report("", items[1:], true); !strings.Contains(got, "peerpods sweep --stack <stack> --delete removes them") {
		t.Errorf("report without a stack: %s", got)
	}
	if got := leftovers.Report("s", items, false); strings.Contains(got, "peerpods sweep") || !strings.Contains(got, "\n    virsh vol-delete a") || !strings.Contains(got, "cloud's CLI") {
		t.Errorf("report of a cloud: %s", got)
	}
	if got := leftovers.Report("s", items[:1], true); !strings.HasSuffix(got, "fix: remove them by hand:\n    virsh vol-delete --pool p notes.txt") {
		t.Errorf("report without a stack: %s", got)
	}
	one := leftovers.Item{Kind: "instance", Name: "podvm-a-1", ID: "i-1", Where: "subnet s", CAA: true, Note: "running"}
	if s := one.String(); s != "instance podvm-a-1 (i-1) in subnet s, running" {
		t.Errorf("String() = %q", s)
	}
}
