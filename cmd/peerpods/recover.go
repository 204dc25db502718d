package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/peerpods/provisioner/cmd/peerpods/proc"
	"github.com/peerpods/provisioner/components/backoff"
	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// What an interrupted run leaves behind, and how the next up, refresh or
// destroy resolves it before its own engine run:
//
//   - a lock of a DIY backend in file:// or s3:// (azblob:// and gs://
//     are left to the engine and pulumi cancel; Pulumi Cloud has no lock
//     file): removed only when its pulumi process is provably gone
//     (judgeLock): same host name, and the lock predates
//     this boot, or peerpods recorded that process (records.go) in this
//     boot and PID namespace and its pid no longer runs pulumi. A live
//     one is left to the engine's refusal; any other is an error naming
//     the holder and pulumi cancel.
//   - pending operations: resolved by the engine itself, one
//     pulumi refresh --clear-pending-creates (optrefresh.ClearPendingCreates).
//     Pending creates: cleared by that flag (pkg/v3
//     cmd/pulumi/operations/refresh.go, filterMapPendingCreates); the
//     resource is created again and provider.Interrupted says what the cut
//     create may have left (a volume is replaced only when its create
//     marker proves it is this resource's: libvirt/provider/marker.go).
//     Pending updates, deletes and reads: every engine snapshot keeps only
//     the base's pending creates (pkg/v3 backend/snapshot.go,
//     SnapshotManager.Snap; backend/journal.go,
//     JournalReplayer.GenerateDeployment), so the refresh drops them; the
//     resource keeps its last recorded state and the next run does the
//     operation again.
//   - not used: --import-pending-creates URN ID. In v3.250.0 it turns the
//     operation into a pending "importing" one (refresh.go,
//     pendingCreatesToImports) that nothing reads and the refresh's
//     snapshot drops: the resource is lost from the state, not imported
//     (measured: docs/operations.md, Interrupted runs).
//   - the engine's edit of pending creates is a read of the state and a
//     write under the lock (cmd/pulumi/state/io.go, TotalStateEdit;
//     backend/diy/backend.go, ImportDeployment locks only the write), not
//     one locked operation with the refresh: a run that starts in between
//     makes the write fail on its lock; one that starts and ends in
//     between would be overwritten. peerpods adds no edit of its own.

// diyLock is the content of a lock file of Pulumi's DIY backend
// (pulumi/pkg/v3 backend/diy/lock.go, lockContent).
type diyLock struct {
	Pid       int       `json:"pid"`
	Username  string    `json:"username"`
	Hostname  string    `json:"hostname"`
	Timestamp time.Time `json:"timestamp"`
	// path is where the lock is, as said to the user.
	path string
	// drop removes the lock.
	drop func() error
}

// holder names the process that took the lock.
func (l diyLock) holder() string {
	return fmt.Sprintf("pulumi, pid %d, %s@%s, since %s", l.Pid, l.Username, l.Hostname, l.Timestamp.Format(time.RFC3339))
}

// stackLocks returns the lock files of the stack in the file:// backend
// at root. The lock directory is the backend's
// .pulumi/locks/<org>/<project>/<stack> (pulumi/pkg/v3 backend/diy/lock.go,
// stackLockDir), or the layout of a backend without projects,
// .pulumi/locks/<stack>. A file that is not a lock is returned with pid 0.
func stackLocks(root, project, stack string) ([]diyLock, error) {
	var files []string
	for _, pattern := range []string{
		filepath.Join(root, ".pulumi", "locks", "*", project, stack, "*.json"),
		filepath.Join(root, ".pulumi", "locks", stack, "*.json"),
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	var locks []diyLock
	for _, f := range files {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, err
		}
		var l diyLock
		_ = json.Unmarshal(b, &l)
		l.path = f
		l.drop = func() error {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			// The file blob store keeps the file's attributes beside it.
			_ = os.Remove(f + ".attrs")
			return nil
		}
		locks = append(locks, l)
	}
	return locks, nil
}

// lockVerdict is what is known of a lock's process.
type lockVerdict int

const (
	// lockUnproven: nothing proves the process gone; the lock stays.
	lockUnproven lockVerdict = iota
	// lockLive: the process runs; the engine refuses with its message.
	lockLive
	// lockGone: the process provably no longer runs.
	lockGone
)

// machine is what a lock's process is judged against: this process's
// host name, kernel boot and PID namespace (package proc).
type machine struct {
	host, bootID, pidNS string
	boot                time.Time
}

// thisMachine reads the machine of this process.
func thisMachine() machine {
	host, _ := os.Hostname()
	return machine{host: host, bootID: proc.BootID(), pidNS: proc.PidNS(), boot: proc.BootTime()}
}

// judgeLock decides whether the process that took lock l is gone, with
// rec the record of the engine process peerpods started with l's pid on
// l's host (nil when there is none), and runs telling whether a pid of
// this PID namespace runs pulumi. A process is provably gone only on the
// same host name and either
//
//   - the lock predates this boot: no process of an earlier boot runs; or
//   - peerpods started it (rec) in this boot and this PID namespace, and
//     its pid no longer runs pulumi here.
//
// Anything else (another host, another PID namespace, a process peerpods
// did not start) cannot be told from here: the lock is unproven, with the
// reason.
func judgeLock(l diyLock, self machine, rec *engineRecord, runs func(pid int) bool) (lockVerdict, string) {
	switch {
	case l.Pid <= 0 || l.Hostname == "":
		return lockUnproven, "the lock file names no process"
	case l.Hostname != self.host:
		return lockUnproven, "it was taken on another host"
	case !self.boot.IsZero() && l.Timestamp.Before(self.boot):
		return lockGone, fmt.Sprintf("it was taken before this host booted (%s)", self.boot.Format(time.RFC3339))
	case rec == nil:
		return lockUnproven, "peerpods did not start that process (no record of it), so its PID namespace is unknown"
	case rec.BootID != self.bootID || self.bootID == "":
		return lockUnproven, "the record of that process is of another boot or machine"
	case rec.PidNS != self.pidNS || self.pidNS == "":
		return lockUnproven, "that process ran in another PID namespace (" + rec.PidNS + "), where its pid cannot be checked from here"
	case runs(l.Pid):
		return lockLive, "it runs"
	}
	return lockGone, "that process no longer runs (same host, boot and PID namespace)"
}

// running reports whether process pid runs the program named comm (as
// /proc/<pid>/comm shows it); a zombie has exited.
func running(pid int, comm string) bool {
	if _, err := os.Stat("/proc/self"); err != nil {
		return true // no /proc: assume it runs
	}
	return proc.Alive(pid) && proc.Comm(pid) == comm
}

// orphanWait bounds the wait for the plugins of an interrupted run.
const orphanWait = 30 * time.Second

// awaitOrphans waits until no provider plugin of an interrupted run of
// the project in dir runs any more: a plugin (pulumi-resource-*, working
// in the project directory) whose engine is gone. This project's plugin
// exits within a fraction of a second of its engine
// (cmd/pulumi-resource-peerpods); another one would go on until its SDK's
// health check, minutes later, and is reported after orphanWait.
func awaitOrphans(ctx context.Context, dir string, w io.Writer) error {
	said := false
	var pids []int
	gone, err := backoff.Poll(ctx, backoff.Backoff{First: 20 * time.Millisecond, Max: time.Second, Bound: orphanWait}, nil, func(context.Context) (bool, error) {
		pids = orphanPlugins(dir)
		if len(pids) > 0 && !said {
			fmt.Fprintf(w, "peerpods: waiting for the provider plugins of the interrupted run to stop (pids %v)\n", pids)
			said = true
		}
		return len(pids) == 0, nil
	})
	switch {
	case err != nil:
		return err
	case !gone:
		return fmt.Errorf("provider plugins of an interrupted run still run after %s (pids %v); stop them (kill %v), then run again", orphanWait, pids, strings.Trim(fmt.Sprint(pids), "[]"))
	}
	return nil
}

// orphanPlugins returns the pids of the provider plugins working in dir
// whose parent is not a running pulumi engine.
func orphanPlugins(dir string) []int {
	var out []int
	for _, pid := range proc.Pids() {
		state, ppid, ok := proc.Stat(pid)
		if !ok || state == proc.Zombie || !strings.HasPrefix(proc.Comm(pid), "pulumi-resource") || proc.Cwd(pid) != dir || running(ppid, "pulumi") {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// fileBackend returns the directory of a file:// backend URL, and false
// for any other backend.
func fileBackend(backend string) (string, bool) {
	u, err := url.Parse(backend)
	if err != nil || u.Scheme != "file" {
		return "", false
	}
	p := u.Path
	if u.Host != "" {
		p = u.Host + p // file://~/state, file://relative
	}
	if strings.HasPrefix(p, "~") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		p = filepath.Join(home, strings.TrimPrefix(p, "~"))
	}
	return p, true
}

// recoverInterrupted resolves what an interrupted run left in the stack's
// backend, printing each thing it did to w. It removes a lock only when
// its process is provably gone (judgeLock), and fails naming the holder
// of a lock it cannot judge.
func (s *stack) recoverInterrupted(ctx context.Context, cmd, backend string, w io.Writer) error {
	if backend == "" {
		backend = os.Getenv("PULUMI_BACKEND_URL")
	}
	if backend == "" {
		who, err := s.Workspace().WhoAmIDetails(ctx)
		if err != nil {
			return fmt.Errorf("finding the backend of stack %s: %w", s.name, err)
		}
		backend = who.URL
	}
	root, file := fileBackend(backend)
	if file || blobBackend(backend) {
		ps, err := s.Workspace().ProjectSettings(ctx)
		if err != nil {
			return err
		}
		parts := strings.Split(s.name, "/")
		project, name := ps.Name.String(), parts[len(parts)-1]
		var locks []diyLock
		if file {
			locks, err = stackLocks(root, project, name)
		} else {
			var done func()
			locks, done, err = blobLocks(ctx, backend, project, name)
			if err == nil {
				defer done()
			}
		}
		if err != nil {
			return fmt.Errorf("reading the locks of stack %s: %w", s.name, err)
		}
		live, err := s.removeStale(ctx, locks, thisMachine(), w)
		if err != nil || live {
			// A run holds the stack: its pending operations are its own,
			// and the engine refuses this run, naming it.
			return err
		}
	}
	return s.resolvePending(ctx, cmd, w)
}

// removeStale removes the locks whose process is provably gone, then
// waits for that run's orphaned plugins. A live lock leaves everything to
// the engine (it refuses, naming the holder): live is true; a lock that
// cannot be judged is an error naming its holder and what to do.
func (s *stack) removeStale(ctx context.Context, locks []diyLock, self machine, w io.Writer) (live bool, err error) {
	var stale []diyLock
	var why []string
	for _, l := range locks {
		verdict, reason := judgeLock(l, self, findRecord(l), func(pid int) bool { return running(pid, "pulumi") })
		switch verdict {
		case lockLive:
			return true, nil
		case lockGone:
			stale = append(stale, l)
			why = append(why, reason)
		default:
			return false, fmt.Errorf("stack %s is locked by %s (lock %s), which peerpods cannot prove gone: %s; if that run is over (check on %s: ps -p %d), remove the lock with pulumi cancel --stack %s, then run again",
				s.name, l.holder(), l.path, reason, l.Hostname, l.Pid, s.name)
		}
	}
	for i, l := range stale {
		if err := l.drop(); err != nil {
			return false, fmt.Errorf("removing the stale lock %s: %w", l.path, err)
		}
		dropRecord(l)
		fmt.Fprintf(w, "peerpods: removed the lock of stack %s left by an interrupted run (%s): %s\n", s.name, l.holder(), why[i])
	}
	if len(stale) > 0 {
		return false, awaitOrphans(ctx, s.Workspace().WorkDir(), w)
	}
	return false, nil
}

// resolvePending resolves the pending operations of the stack's state
// with one refresh of the engine's own (see the comment at the top of
// this file), after saying what each was and what becomes of it, before
// the command cmd. The state is only read here; the engine edits it.
func (s *stack) resolvePending(ctx context.Context, cmd string, w io.Writer) error {
	exported, err := s.Export(ctx)
	if err != nil {
		return fmt.Errorf("reading the state of %s: %w", s.name, err)
	}
	if len(exported.Deployment) == 0 {
		return nil // a new stack
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(exported.Deployment, &d); err != nil {
		return fmt.Errorf("reading the state of %s: %w", s.name, err)
	}
	if len(d.PendingOperations) == 0 {
		return nil
	}
	targets, notes := resolveOperations(d)
	for _, n := range notes {
		fmt.Fprintf(w, "peerpods: %s\n", n)
	}
	opts := []optrefresh.Option{optrefresh.ClearPendingCreates(), optrefresh.ProgressStreams(w), optrefresh.ErrorProgressStreams(w)}
	if len(targets) > 0 {
		opts = append(opts, optrefresh.Target(targets))
	}
	if _, err := s.Refresh(ctx, opts...); err != nil {
		if auto.IsConcurrentUpdateError(err) {
			return s.failed(cmd, err)
		}
		return fmt.Errorf("%s of %s: resolving what an interrupted run left (pulumi refresh --clear-pending-creates) failed: %w", cmd, s.name, err)
	}
	return nil
}

// resolveOperations returns what the refresh that resolves the
// deployment's pending operations refreshes (the resources of pending
// updates and deletes that the state has, else the stack's root
// resource, so that the refresh stays small), and a note for each
// operation.
func resolveOperations(d apitype.DeploymentV3) (targets, notes []string) {
	live := map[resource.URN]bool{}
	var root string
	for _, r := range d.Resources {
		if !r.Delete {
			live[r.URN] = true
		}
		if r.Type == resource.RootStackType && root == "" {
			root = string(r.URN)
		}
	}
	seen := map[resource.URN]bool{}
	for _, op := range d.PendingOperations {
		r := op.Resource
		what := fmt.Sprintf("the %s of %s (%s) was interrupted", operationName(op.Type), r.URN.Name(), r.Type)
		switch {
		case op.Type != apitype.OperationTypeCreating:
			notes = append(notes, what+": cleared by a refresh; it runs again from the last recorded state")
			if live[r.URN] && !seen[r.URN] {
				targets = append(targets, string(r.URN))
				seen[r.URN] = true
			}
		case live[r.URN]:
			// The engine keeps a pending create even after a later run
			// created the resource (or while a create-before-delete
			// replacement was cut: the old one is still live).
			note := "if that create was a replacement's, check for what it made"
			if n, ours := provider.Interrupted(string(r.Type), r.Inputs); ours {
				note = "if that create was a replacement's, " + n
			}
			notes = append(notes, what+"; the state has it: cleared ("+note+")")
		default:
			if note, ours := provider.Interrupted(string(r.Type), r.Inputs); ours {
				notes = append(notes, what+": cleared; "+note)
			} else {
				notes = append(notes, what+": cleared; it is created again, and whatever the interrupted create made is not in the state: check for it and delete it (or pulumi import it)")
			}
		}
	}
	if len(targets) == 0 && root != "" {
		targets = []string{root}
	}
	return targets, notes
}

// operationName is a pending operation's type as a noun.
func operationName(t apitype.OperationType) string {
	switch t {
	case apitype.OperationTypeCreating:
		return "create"
	case apitype.OperationTypeUpdating:
		return "update"
	case apitype.OperationTypeDeleting:
		return "delete"
	case apitype.OperationTypeReading:
		return "read"
	}
	return string(t)
}
