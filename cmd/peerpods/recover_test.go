package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerpods/provisioner/cmd/peerpods/proc"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// writeLock writes a DIY lock file as pulumi's backend/diy/lock.go does.
func writeLock(t *testing.T, root, name string, pid int, host string) string {
	t.Helper()
	dir := filepath.Join(root, ".pulumi", "locks", "organization", "peerpods", "dev")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"pid": pid, "username": "root", "hostname": host, "timestamp": time.Now()})
	f := filepath.Join(dir, name+".json")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// startNamed starts a process whose comm is name (a copy of sleep), and
// returns it; it is killed at the end of the test.
func startNamed(t *testing.T, name string) *exec.Cmd {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// TestStaleLocks tells the locks of processes that are gone from those of
// real runs, with real processes: a pulumi that runs holds its lock; a
// pid that exited, or that now runs another program, does not; a lock of
// another host is never judged.
func TestStaleLocks(t *testing.T) {
	root := t.TempDir()
	host, _ := os.Hostname()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	other := startNamed(t, "not-pulumi")
	live := startNamed(t, "pulumi")
	goneLock := writeLock(t, root, "a", gone.Process.Pid, host)
	reusedLock := writeLock(t, root, "b", other.Process.Pid, host)
	writeLock(t, root, "c", live.Process.Pid, host)
	writeLock(t, root, "d", 1, "another-host")

	stale, liveN, err := staleLocks(root, "peerpods", "dev")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range stale {
		got = append(got, l.path)
	}
	if strings.Join(got, ",") != goneLock+","+reusedLock || liveN != 2 {
		t.Errorf("stale %v, live %d; want %s and %s stale, 2 live", got, liveN, goneLock, reusedLock)
	}
	if s, l, err := staleLocks(root, "peerpods", "prod"); err != nil || len(s) != 0 || l != 0 {
		t.Errorf("another stack's locks: %v %d %v", s, l, err)
	}
}

func TestFileBackend(t *testing.T) {
	home, _ := os.UserHomeDir()
	for url, want := range map[string]string{
		"file:///var/lib/peerpods":          "/var/lib/peerpods",
		"file:///tmp/state?no_tmp_dir=true": "/tmp/state",
		"file://~/.peerpods-state":          filepath.Join(home, ".peerpods-state"),
		"s3://bucket/state":                 "",
		"https://api.pulumi.com":            "",
	} {
		got, ok := fileBackend(url)
		if got != want || ok != (want != "") {
			t.Errorf("fileBackend(%q) = %q, %v; want %q", url, got, ok, want)
		}
	}
}

// TestZombieIsNotRunning: a pulumi that exited but was not reaped (its
// parent killed, no init reaping it) holds no lock.
func TestZombieIsNotRunning(t *testing.T) {
	true_, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(true_)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "pulumi")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st, _, _ := proc.Stat(cmd.Process.Pid); st == proc.Zombie {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the process did not exit")
		}
	}
	if running(cmd.Process.Pid, "pulumi") {
		t.Error("a zombie pulumi counts as running")
	}
}

// TestResolveOperations resolves each kind of pending operation of a
// state as pulumi writes it (apitype.DeploymentV3).
func TestResolveOperations(t *testing.T) {
	const stack = "urn:pulumi:dev::peerpods::"
	res := func(typ, name string, inputs map[string]any) apitype.ResourceV3 {
		return apitype.ResourceV3{URN: resource.URN(stack + "peerpods:libvirt:PeerPods$" + typ + "::" + name), Type: tokens.Type(typ), Custom: true, Inputs: inputs}
	}
	vol := res("peerpods:libvirt:StorageVolume", "vol", map[string]any{"pool": "pp", "name": "podvm.qcow2", "source": "/img"})
	pool := res("peerpods:libvirt:StoragePool", "pool", map[string]any{"name": "pp"})
	rule := res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rule", nil)
	done := res("peerpods:libvirt:StorageVolume", "done", map[string]any{"pool": "pp", "name": "done"})
	upd := res("peerpods:libvirt:StoragePool", "upd", nil)
	d := apitype.DeploymentV3{
		Resources: []apitype.ResourceV3{pool, done, upd},
		PendingOperations: []apitype.OperationV2{
			{Resource: vol, Type: apitype.OperationTypeCreating},
			{Resource: pool, Type: apitype.OperationTypeCreating},
			{Resource: rule, Type: apitype.OperationTypeCreating},
			{Resource: done, Type: apitype.OperationTypeCreating},
			{Resource: upd, Type: apitype.OperationTypeUpdating},
		},
	}
	got, recorded, notes := resolveOperations(d)
	if len(got.PendingOperations) != 0 {
		t.Errorf("pending operations left: %v", got.PendingOperations)
	}
	if len(got.Resources) != 4 || got.Resources[3].URN != vol.URN || got.Resources[3].ID != "pp/podvm.qcow2" || got.Resources[3].Outputs["source"] != "/img" {
		t.Errorf("resources: %+v", got.Resources)
	}
	if len(recorded) != 1 || recorded[0] != string(vol.URN) {
		t.Errorf("recorded %v", recorded)
	}
	want := []string{
		"the create of vol (peerpods:libvirt:StorageVolume) was interrupted: recorded as pp/podvm.qcow2",
		"the create of pool (peerpods:libvirt:StoragePool) was interrupted; the state has it: cleared",
		"the create of rule (aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule) was interrupted: cleared; it is created again, and whatever",
		"the create of done (peerpods:libvirt:StorageVolume) was interrupted; the state has it: cleared",
		"the update of upd (peerpods:libvirt:StoragePool) was interrupted: cleared; it runs again",
	}
	if len(notes) != len(want) {
		t.Fatalf("notes: %q", notes)
	}
	for i, w := range want {
		if !strings.HasPrefix(notes[i], w) {
			t.Errorf("note %d: %q, want it to start with %q", i, notes[i], w)
		}
	}
	// A volume replaced delete-before-replace: the deleted one, kept as
	// pendingReplacement, gives its place to the cut replacement.
	old := vol
	old.ID, old.PendingReplacement = "pp/old.qcow2", true
	got, rec, _ := resolveOperations(apitype.DeploymentV3{Resources: []apitype.ResourceV3{pool, old}, PendingOperations: []apitype.OperationV2{{Resource: vol, Type: apitype.OperationTypeCreating}}})
	if len(got.Resources) != 2 || got.Resources[1].ID != "pp/podvm.qcow2" || got.Resources[1].PendingReplacement || len(rec) != 1 {
		t.Errorf("a cut delete-before-replace: %+v, recorded %v", got.Resources, rec)
	}

	// A pool whose create was cut and that no later run made: created
	// again (the provider adopts a pool that exists).
	_, rec, notes = resolveOperations(apitype.DeploymentV3{PendingOperations: []apitype.OperationV2{{Resource: pool, Type: apitype.OperationTypeCreating}}})
	if len(rec) != 0 || !strings.Contains(notes[0], "adopted") {
		t.Errorf("pool: %v %q", rec, notes)
	}
}
