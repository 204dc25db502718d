package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerpods/provisioner/cmd/peerpods/proc"
	"github.com/peerpods/provisioner/components/backoff"
	"github.com/peerpods/provisioner/tests/testkit/s3test"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"gocloud.dev/blob"
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

// TestStackLocks reads the lock files of one stack of a file:// backend,
// as pulumi's backend/diy/lock.go writes them, and no other stack's.
func TestStackLocks(t *testing.T) {
	root := t.TempDir()
	a := writeLock(t, root, "a", 42, "h1")
	locks, err := stackLocks(root, "peerpods", "dev")
	if err != nil || len(locks) != 1 || locks[0].path != a || locks[0].Pid != 42 || locks[0].Hostname != "h1" || locks[0].Username != "root" {
		t.Errorf("stackLocks = %+v, %v; want the lock %s of pid 42", locks, err, a)
	}
	if l, err := stackLocks(root, "peerpods", "prod"); err != nil || len(l) != 0 {
		t.Errorf("another stack's locks: %v %v", l, err)
	}
}

// TestJudgeLock decides each case of the lock proof on facts made up
// here (a host, its boot and PID namespace, a record of the engine): a
// lock is removed only when its process is provably gone, left to the
// engine when it runs, and otherwise unproven with the reason.
func TestJudgeLock(t *testing.T) {
	boot := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	self := machine{host: "h1", bootID: "b1", pidNS: "pid:[1]", boot: boot}
	taken := boot.Add(time.Hour)
	lock := diyLock{Pid: 42, Username: "u", Hostname: "h1", Timestamp: taken}
	rec := &engineRecord{Pid: 42, Host: "h1", User: "u", BootID: "b1", PidNS: "pid:[1]", Started: taken.Add(-time.Second)}
	with := func(f func(*diyLock, *engineRecord)) (diyLock, *engineRecord) {
		l, r := lock, *rec
		f(&l, &r)
		return l, &r
	}
	dead := func(int) bool { return false }
	for _, tc := range []struct {
		name   string
		lock   diyLock
		rec    *engineRecord
		runs   func(int) bool
		want   lockVerdict
		reason string
	}{
		{"recorded, this boot and namespace, pid gone", lock, rec, dead, lockGone, "no longer runs"},
		{"recorded, pid runs pulumi", lock, rec, func(pid int) bool { return pid == 42 }, lockLive, "it runs"},
		{"before this boot, no record", func() diyLock { l := lock; l.Timestamp = boot.Add(-time.Minute); return l }(), nil, dead, lockGone, "before this host booted"},
		{"before this boot, pid now runs pulumi", func() diyLock { l := lock; l.Timestamp = boot.Add(-time.Minute); return l }(), nil, func(int) bool { return true }, lockGone, "before this host booted"},
		{"another host", func() diyLock { l := lock; l.Hostname = "h2"; l.Timestamp = boot.Add(-time.Hour); return l }(), nil, dead, lockUnproven, "another host"},
		{"no record", lock, nil, dead, lockUnproven, "did not start that process"},
		{"record of another namespace", func() diyLock { l, _ := with(func(*diyLock, *engineRecord) {}); return l }(), func() *engineRecord {
			_, r := with(func(_ *diyLock, r *engineRecord) { r.PidNS = "pid:[2]" })
			return r
		}(), dead, lockUnproven, "another PID namespace"},
		{"record of another boot", lock, func() *engineRecord { _, r := with(func(_ *diyLock, r *engineRecord) { r.BootID = "b0" }); return r }(), dead, lockUnproven, "another boot"},
		{"no pid", diyLock{Hostname: "h1", Timestamp: taken}, nil, dead, lockUnproven, "names no process"},
	} {
		got, reason := judgeLock(tc.lock, self, tc.rec, tc.runs)
		if got != tc.want || !strings.Contains(reason, tc.reason) {
			t.Errorf("%s: %v (%s), want %v (%s)", tc.name, got, reason, tc.want, tc.reason)
		}
	}
	// Without a known boot time, a lock is not judged by its age.
	noBoot := self
	noBoot.boot = time.Time{}
	if got, _ := judgeLock(diyLock{Pid: 42, Hostname: "h1", Timestamp: boot.Add(-time.Hour)}, noBoot, nil, dead); got != lockUnproven {
		t.Errorf("unknown boot time: %v, want unproven", got)
	}
}

// TestEngineRecord writes the record of a real child process as the
// engine runner does, finds it for that process's lock and not for a
// lock of the same pid taken long after or by another user, and judges
// the lock with this machine's real facts: gone once the child exited,
// live while a recorded pulumi runs.
func TestEngineRecord(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	started := time.Now()
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	path := writeRecord(cmd.Process.Pid, started)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if path == "" {
		t.Fatal("no record written")
	}
	self := thisMachine()
	u, _ := user.Current()
	l := diyLock{Pid: cmd.Process.Pid, Username: u.Username, Hostname: self.host, Timestamp: time.Now()}
	rec := findRecord(l)
	if rec == nil || rec.BootID != self.bootID || rec.PidNS != self.pidNS {
		t.Fatalf("findRecord = %+v, want this machine's boot %s and namespace %s", rec, self.bootID, self.pidNS)
	}
	if v, reason := judgeLock(l, self, rec, func(pid int) bool { return running(pid, "pulumi") }); v != lockGone {
		t.Errorf("the lock of an exited recorded process: %v (%s), want gone", v, reason)
	}
	// A recorded pulumi that runs holds its lock.
	live := startNamed(t, "pulumi")
	writeRecord(live.Process.Pid, started)
	ll := diyLock{Pid: live.Process.Pid, Username: u.Username, Hostname: self.host, Timestamp: time.Now()}
	if v, reason := judgeLock(ll, self, findRecord(ll), func(pid int) bool { return running(pid, "pulumi") }); v != lockLive {
		t.Errorf("the lock of a running recorded pulumi: %v (%s), want live", v, reason)
	}
	later := l
	later.Timestamp = started.Add(recordWindow + time.Minute)
	other := l
	other.Username = "someone-else"
	for _, x := range []diyLock{later, other} {
		if r := findRecord(x); r != nil {
			t.Errorf("findRecord(%+v) = %+v, want none", x, r)
		}
	}
	dropRecord(l)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the record %s stays after dropRecord: %v", path, err)
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
	if !backoff.Until(t.Context(), backoff.Backoff{First: 5 * time.Millisecond, Max: time.Second, Bound: 10 * time.Second}, func() bool {
		st, _, _ := proc.Stat(cmd.Process.Pid)
		return st == proc.Zombie
	}) {
		t.Fatal("the process did not exit")
	}
	if running(cmd.Process.Pid, "pulumi") {
		t.Error("a zombie pulumi counts as running")
	}
}

// TestResolveOperations says what becomes of each kind of pending
// operation of a state as pulumi writes it (apitype.DeploymentV3), and
// what the engine's refresh that clears them refreshes.
func TestResolveOperations(t *testing.T) {
	const stack = "urn:pulumi:dev::peerpods::"
	res := func(typ, name string, inputs map[string]any) apitype.ResourceV3 {
		return apitype.ResourceV3{URN: resource.URN(stack + "peerpods:libvirt:PeerPods$" + typ + "::" + name), Type: tokens.Type(typ), Custom: true, Inputs: inputs}
	}
	root := apitype.ResourceV3{URN: resource.URN(stack + "pulumi:pulumi:Stack::peerpods-dev"), Type: resource.RootStackType}
	vol := res("peerpods:libvirt:StorageVolume", "vol", map[string]any{"pool": "pp", "name": "podvm.qcow2", "source": "/img"})
	pool := res("peerpods:libvirt:StoragePool", "pool", map[string]any{"name": "pp"})
	rule := res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rule", nil)
	done := res("peerpods:libvirt:StorageVolume", "done", map[string]any{"pool": "pp", "name": "done"})
	upd := res("peerpods:libvirt:StoragePool", "upd", nil)
	d := apitype.DeploymentV3{
		Resources: []apitype.ResourceV3{root, pool, done, upd},
		PendingOperations: []apitype.OperationV2{
			{Resource: vol, Type: apitype.OperationTypeCreating},
			{Resource: pool, Type: apitype.OperationTypeCreating},
			{Resource: rule, Type: apitype.OperationTypeCreating},
			{Resource: done, Type: apitype.OperationTypeCreating},
			{Resource: upd, Type: apitype.OperationTypeUpdating},
		},
	}
	targets, notes := resolveOperations(d)
	if strings.Join(targets, ",") != string(upd.URN) {
		t.Errorf("targets %v, want only the updated resource %s", targets, upd.URN)
	}
	want := []string{
		"the create of vol (peerpods:libvirt:StorageVolume) was interrupted: cleared; it is created again: a volume podvm.qcow2 left in pool pp is replaced by the next up only if its create marker proves",
		"the create of pool (peerpods:libvirt:StoragePool) was interrupted; the state has it: cleared",
		"the create of rule (aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule) was interrupted: cleared; it is created again, and whatever",
		"the create of done (peerpods:libvirt:StorageVolume) was interrupted; the state has it: cleared",
		"the update of upd (peerpods:libvirt:StoragePool) was interrupted: cleared by a refresh; it runs again",
	}
	if len(notes) != len(want) {
		t.Fatalf("notes: %q", notes)
	}
	for i, w := range want {
		if !strings.HasPrefix(notes[i], w) {
			t.Errorf("note %d: %q, want it to start with %q", i, notes[i], w)
		}
	}

	// Only creates: the refresh targets the stack's root, refreshing
	// nothing else; a pool that no later run made is created again (the
	// provider adopts a pool that exists).
	targets, notes = resolveOperations(apitype.DeploymentV3{Resources: []apitype.ResourceV3{root}, PendingOperations: []apitype.OperationV2{{Resource: pool, Type: apitype.OperationTypeCreating}}})
	if strings.Join(targets, ",") != string(root.URN) || !strings.Contains(notes[0], "adopted") {
		t.Errorf("pool: %v %q", targets, notes)
	}
}

// TestBlobLocks reads and removes the locks of one stack in a DIY backend
// over S3 (an in-process S3 server): the keys pulumi's backend/diy/lock.go
// writes, under a backend path too, and no other stack's.
func TestBlobLocks(t *testing.T) {
	store := s3test.Start(t, "state")
	for _, kv := range store.Env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	backend := strings.Replace(store.Backend, "s3://state?", "s3://state/sub?", 1)
	b, err := blob.OpenBucket(ctx, store.Backend)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	lock, _ := json.Marshal(diyLock{Pid: 42, Username: "u", Hostname: "h1", Timestamp: time.Now()})
	for _, key := range []string{"sub/.pulumi/locks/organization/peerpods/dev/a.json", "sub/.pulumi/locks/organization/peerpods/prod/b.json", "sub/.pulumi/locks/organization/other/dev/c.json"} {
		if err := b.WriteAll(ctx, key, lock, nil); err != nil {
			t.Fatal(err)
		}
	}
	locks, done, err := blobLocks(ctx, backend, "peerpods", "dev")
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if len(locks) != 1 || locks[0].Pid != 42 || locks[0].Hostname != "h1" || locks[0].path != "s3://state/sub/.pulumi/locks/organization/peerpods/dev/a.json" {
		t.Fatalf("blobLocks = %+v, want the lock a.json of pid 42", locks)
	}
	if err := locks[0].drop(); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Exists(ctx, "sub/.pulumi/locks/organization/peerpods/dev/a.json"); ok || err != nil {
		t.Errorf("the lock stays after drop: %v %v", ok, err)
	}
	if ok, _ := b.Exists(ctx, "sub/.pulumi/locks/organization/peerpods/prod/b.json"); !ok {
		t.Error("another stack's lock was removed")
	}
	for key, want := range map[string]bool{
		".pulumi/locks/o/peerpods/dev/x.json": true, ".pulumi/locks/dev/x.json": true,
		".pulumi/locks/o/peerpods/dev/x.json.attrs": false, ".pulumi/locks/o/peerpods/devx/x.json": false,
	} {
		if got := lockOf(key, "peerpods", "dev"); got != want {
			t.Errorf("lockOf(%q) = %v", key, got)
		}
	}
}

// TestRemoveStaleRefuses: a lock that cannot be judged stops the run with
// its holder named and pulumi cancel, and stays; a live one is left to
// the engine, and stays too.
func TestRemoveStaleRefuses(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // no records
	root := t.TempDir()
	f := writeLock(t, root, "a", 42, "other-host")
	locks, err := stackLocks(root, "peerpods", "dev")
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{name: "dev"}
	var out strings.Builder
	live, err := s.removeStale(context.Background(), locks, thisMachine(), &out)
	if live || err == nil {
		t.Fatalf("a lock of another host: live %v, err %v; want an error", live, err)
	}
	for _, want := range []string{"stack dev is locked by pulumi, pid 42, root@other-host", "taken on another host", "pulumi cancel --stack dev", f} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in %q", want, err)
		}
	}
	if _, err := os.Stat(f); err != nil {
		t.Errorf("the lock is gone: %v", err)
	}

	// A recorded pulumi of this machine that runs.
	self := thisMachine()
	p := startNamed(t, "pulumi")
	writeRecord(p.Process.Pid, time.Now().Add(-time.Second))
	u, _ := user.Current()
	l := diyLock{Pid: p.Process.Pid, Username: u.Username, Hostname: self.host, Timestamp: time.Now(), path: "x", drop: func() error { t.Error("a live lock removed"); return nil }}
	if live, err := s.removeStale(context.Background(), []diyLock{l}, self, &out); !live || err != nil || out.Len() != 0 {
		t.Errorf("a live lock: live %v, err %v, said %q", live, err, out.String())
	}
}
