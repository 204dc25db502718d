package main

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	common "github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/leftovers"
)

// TestLibvirtPools: the pools of an exported state, each with its
// provider's connection (the private key a secret as stack export
// --show-secrets writes it), the stack's volumes in it and whether it was
// adopted; a pool of provider 0.1.0 with the connection it kept.
func TestLibvirtPools(t *testing.T) {
	state := `{"version": 3, "deployment": {"resources": [
	  {"urn": "urn:pulumi:s::p::pulumi:providers:peerpods::host", "type": "pulumi:providers:peerpods", "id": "pid",
	   "inputs": {"uri": "qemu+ssh://root@kvm/system", "privateKey": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "\"KEY\""}, "hostKey": "ssh-ed25519 AAAA"}},
	  {"urn": "urn:pulumi:s::p::peerpods:libvirt:StoragePool::pool", "type": "peerpods:libvirt:StoragePool", "id": "pp",
	   "provider": "urn:pulumi:s::p::pulumi:providers:peerpods::host::pid", "outputs": {"name": "pp", "adopted": false}},
	  {"urn": "urn:pulumi:s::p::peerpods:libvirt:StorageVolume::vol", "type": "peerpods:libvirt:StorageVolume", "id": "v",
	   "outputs": {"name": "podvm-base.qcow2", "pool": "pp"}},
	  {"urn": "urn:pulumi:s::p::peerpods:libvirt:StoragePool::old", "type": "peerpods:libvirt:StoragePool", "id": "default",
	   "outputs": {"name": "default", "adopted": true, "uri": "qemu:///system"}}
	]}}`
	got, err := libvirtPools([]byte(state))
	if err != nil {
		t.Fatal(err)
	}
	want := []libvirtPool{
		{uri: "qemu+ssh://root@kvm/system", creds: conn.Credentials{PrivateKey: "KEY", HostKey: "ssh-ed25519 AAAA"},
			pool: leftovers.Pool{Name: "pp", Keep: []string{"podvm-base.qcow2"}}},
		{uri: "qemu:///system", pool: leftovers.Pool{Name: "default", Shared: true}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pools\n got %+v\nwant %+v", got, want)
	}
	if _, err := libvirtPools([]byte(`{"deployment": {"resources": [{"type": "peerpods:libvirt:StoragePool", "outputs": {"name": "x"}}]}}`)); err == nil || !strings.Contains(err.Error(), `storage pool "x": the state has no libvirt uri`) {
		t.Errorf("a pool without connection: %v", err)
	}
	if _, err := libvirtPools([]byte(`nope`)); err == nil {
		t.Error("a broken state is read")
	}
}

// fakeLeftovers makes findLeftovers return items, with a remover that
// records its call when removable.
func fakeLeftovers(t *testing.T, items []common.Item, removable bool) *bool {
	t.Helper()
	removed := new(bool)
	old := findLeftovers
	t.Cleanup(func() { findLeftovers = old })
	findLeftovers = func(context.Context, *stack, sweepOptions) (found, error) {
		f := found{items: items}
		if removable {
			f.remove = func() ([]common.Item, error) {
				*removed = true
				var done []common.Item
				for _, i := range items {
					if i.CAA {
						done = append(done, i)
					}
				}
				return done, nil
			}
		}
		return f, nil
	}
	return removed
}

var (
	caaVolume = common.Item{Kind: "volume", Name: "podvm-a-12345678-root.qcow2", Where: "storage pool pp (/d)", CAA: true, Command: "virsh vol-delete"}
	foreign   = common.Item{Kind: "volume", Name: "notes.img", Where: "storage pool pp (/d)", Command: "virsh -c 'qemu:///system' vol-delete --pool pp notes.img"}
)

// TestSweep: the outcomes of peerpods sweep and their exit codes: none
// (0), listed (7), --delete without a terminal and without --yes (2,
// nothing removed), declined (8), confirmed or --yes (removed; 0, or 7
// while others' objects remain), a cloud's (7, the commands printed,
// nothing removed).
func TestSweep(t *testing.T) {
	s := &stack{name: "dev"}
	cases := []struct {
		name        string
		items       []common.Item
		removable   bool
		opts        sweepOptions
		interactive bool
		answer      string
		code        int
		removed     bool
		want        []string
	}{
		{"none", nil, true, sweepOptions{}, false, "", exitOK, false, []string{"no leftovers of cloud-api-adaptor in dev"}},
		{"listed", []common.Item{caaVolume}, true, sweepOptions{}, false, "", exitChanges, false,
			[]string{"dev has 1 leftover(s)", "  - volume podvm-a-12345678-root.qcow2 in storage pool pp (/d)", "peerpods sweep --stack dev --delete removes them"}},
		{"no terminal", []common.Item{caaVolume}, true, sweepOptions{delete: true}, false, "", exitUsage, false, []string{"pass --yes"}},
		{"declined", []common.Item{caaVolume}, true, sweepOptions{delete: true}, true, "n\n", exitCanceled, false, []string{"[y/N]", "declined"}},
		{"confirmed", []common.Item{caaVolume}, true, sweepOptions{delete: true}, true, "yes\n", exitOK, true, []string{"deleted volume podvm-a-12345678-root.qcow2"}},
		{"yes, others left", []common.Item{caaVolume, foreign}, true, sweepOptions{delete: true, yes: true}, false, "", exitChanges, true,
			[]string{"deleted volume podvm-a-12345678-root.qcow2", "1 object(s) are left: kept, or not cloud-api-adaptor's", "vol-delete --pool pp notes.img"}},
		{"only others", []common.Item{foreign}, true, sweepOptions{delete: true, yes: true}, false, "", exitChanges, false, []string{"none of them is a leftover of cloud-api-adaptor that may go"}},
		{"cloud", []common.Item{{Kind: "instance", Name: "podvm-a-1", ID: "i-1", Where: "subnet s", CAA: true, Command: "aws ec2 terminate-instances --instance-ids i-1"}}, false,
			sweepOptions{delete: true, yes: true}, false, "", exitChanges, false,
			[]string{"cloud's CLI", "\n    aws ec2 terminate-instances --instance-ids i-1", "peerpods does not delete cloud objects"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			removed := fakeLeftovers(t, c.items, c.removable)
			var out, errOut bytes.Buffer
			err := s.sweep(context.Background(), c.opts, c.interactive, strings.NewReader(c.answer), &out)
			code := exitCode(context.Background(), err, &errOut)
			all := out.String() + errOut.String()
			if code != c.code || *removed != c.removed {
				t.Errorf("exit %d, removed %v; want %d, %v\n%s", code, *removed, c.code, c.removed, all)
			}
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestDestroyChecksLeftovers: destroy is refused (exit 1, nothing run)
// while leftovers exist, with the list and the sweep command; a failed
// search names --ignore-leftovers.
func TestDestroyChecksLeftovers(t *testing.T) {
	s := &stack{name: "dev"}
	fakeLeftovers(t, nil, true)
	if err := s.checkLeftovers(context.Background()); err != nil {
		t.Errorf("no leftovers: %v", err)
	}
	fakeLeftovers(t, []common.Item{caaVolume}, true)
	err := s.checkLeftovers(context.Background())
	var errOut bytes.Buffer
	if code := exitCode(context.Background(), err, &errOut); code != exitFailure {
		t.Errorf("exit %d", code)
	}
	for _, w := range []string{"destroy of dev refused, nothing was changed", "podvm-a-12345678-root.qcow2", "peerpods sweep --stack dev --delete", "--ignore-leftovers"} {
		if !strings.Contains(errOut.String(), w) {
			t.Errorf("message lacks %q: %s", w, errOut.String())
		}
	}
	old := findLeftovers
	findLeftovers = func(context.Context, *stack, sweepOptions) (found, error) {
		return found{}, errors.New("cloud says no")
	}
	defer func() { findLeftovers = old }()
	if err := s.checkLeftovers(context.Background()); err == nil || !strings.Contains(err.Error(), "cloud says no; fix: pass --ignore-leftovers") {
		t.Errorf("failed search: %v", err)
	}
}

// TestSweepCommandLine: sweep needs --stack and takes --delete and --yes;
// destroy takes --ignore-leftovers (the stack file is looked for next).
func TestSweepCommandLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sweep"}, exitUsage, "--stack is required"},
		{[]string{"sweep", "--stack", "x", "--ignore-leftovers"}, exitUsage, "flag provided but not defined: -ignore-leftovers"},
		{[]string{"sweep", "--stack", "no-such-stack", "--delete", "--yes", "--dir", "../.."}, exitNoStack, "no stack file"},
		{[]string{"destroy", "--stack", "no-such-stack", "--ignore-leftovers", "--dir", "../.."}, exitNoStack, "no stack file"},
		{[]string{"sweep", "-h"}, exitOK, "  -delete"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, &out, &errOut)
		if all := out.String() + errOut.String(); code != c.code || !strings.Contains(all, c.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, all, c.code, c.want)
		}
	}
}
