package main

import (
	"bytes"
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
	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// What an interrupted run leaves behind, and how the next up, refresh or
// destroy resolves it before the engine runs:
//
//   - a lock of a file:// backend whose pulumi process is gone (kill -9,
//     a crash): the engine would refuse every later run until someone
//     runs pulumi cancel. A lock of a process that still runs, or of
//     another host, is left alone: the engine refuses with its message.
//   - pending creates in the state: the engine keeps them until someone
//     resolves them (pulumi/pkg/v3 backend/snapshot.go), warning on every
//     run. Each is resolved as its provider says (provider.Interrupted):
//     a volume whose upload was cut is recorded with its ID so that a
//     refresh drops it when it is gone and the up replaces a half-written
//     one; any other create is dropped and runs again, with a note of
//     what it may have left.
//   - other pending operations (update, delete): dropped; the resource
//     keeps its last recorded state, so the next run does the operation
//     again, as the engine itself would after its next update.

// diyLock is the content of a lock file of Pulumi's DIY (file://)
// backend (pulumi/pkg/v3 backend/diy/lock.go, lockContent).
type diyLock struct {
	Pid       int       `json:"pid"`
	Username  string    `json:"username"`
	Hostname  string    `json:"hostname"`
	Timestamp time.Time `json:"timestamp"`
	path      string
}

// staleLocks returns the lock files of the stack in the file:// backend
// at root whose pulumi process is gone: taken on this host by a process
// that no longer runs, or whose pid now belongs to another program. The
// lock directory is the backend's .pulumi/locks/<org>/<project>/<stack>
// (pulumi/pkg/v3 backend/diy/lock.go, stackLockDir), or the layout of a
// backend without projects, .pulumi/locks/<stack>.
func staleLocks(root, project, stack string) (stale []diyLock, live int, err error) {
	host, err := os.Hostname()
	if err != nil {
		return nil, 0, err
	}
	var files []string
	for _, pattern := range []string{
		filepath.Join(root, ".pulumi", "locks", "*", project, stack, "*.json"),
		filepath.Join(root, ".pulumi", "locks", stack, "*.json"),
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			return nil, 0, err
		}
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, 0, err
		}
		var l diyLock
		if err := json.Unmarshal(b, &l); err != nil || l.Pid <= 0 || l.Hostname != host || running(l.Pid, "pulumi") {
			live++
			continue
		}
		l.path = f
		stale = append(stale, l)
	}
	return stale, live, nil
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
	deadline := time.Now().Add(orphanWait)
	said := false
	for {
		pids := orphanPlugins(dir)
		if len(pids) == 0 {
			return nil
		}
		if !said {
			fmt.Fprintf(w, "peerpods: waiting for the provider plugins of the interrupted run to stop (pids %v)\n", pids)
			said = true
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("provider plugins of an interrupted run still run after %s (pids %v); stop them (kill %v), then run again", orphanWait, pids, strings.Trim(fmt.Sprint(pids), "[]"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
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
// backend, printing each thing it did to w. It changes nothing while
// another run holds the stack's lock.
func (s *stack) recoverInterrupted(ctx context.Context, backend string, w io.Writer) error {
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
	if root, ok := fileBackend(backend); ok {
		ps, err := s.Workspace().ProjectSettings(ctx)
		if err != nil {
			return err
		}
		parts := strings.Split(s.name, "/")
		stale, live, err := staleLocks(root, ps.Name.String(), parts[len(parts)-1])
		if err != nil {
			return fmt.Errorf("reading the locks of stack %s: %w", s.name, err)
		}
		if live > 0 {
			return nil // the engine refuses with the holder's name
		}
		for _, l := range stale {
			if err := os.Remove(l.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("removing the stale lock %s: %w", l.path, err)
			}
			// The file blob store keeps the file's attributes beside it.
			_ = os.Remove(l.path + ".attrs")
			fmt.Fprintf(w, "peerpods: removed the lock of stack %s left by an interrupted run (pulumi, pid %d, %s@%s, %s): that process no longer runs\n",
				s.name, l.Pid, l.Username, l.Hostname, l.Timestamp.Format(time.RFC3339))
		}
		if len(stale) > 0 {
			if err := awaitOrphans(ctx, s.Workspace().WorkDir(), w); err != nil {
				return err
			}
		}
	}
	return s.resolvePending(ctx, w)
}

// resolvePending resolves the pending operations of the stack's state
// (see the comment at the top of this file) and refreshes the resources
// it recorded, so that the state matches what exists.
func (s *stack) resolvePending(ctx context.Context, w io.Writer) error {
	exported, err := s.Export(ctx)
	if err != nil {
		return fmt.Errorf("reading the state of %s: %w", s.name, err)
	}
	if len(exported.Deployment) == 0 {
		return nil // a new stack
	}
	var d apitype.DeploymentV3
	dec := json.NewDecoder(bytes.NewReader(exported.Deployment))
	dec.UseNumber() // numbers stay as written
	if err := dec.Decode(&d); err != nil {
		return fmt.Errorf("reading the state of %s: %w", s.name, err)
	}
	if len(d.PendingOperations) == 0 {
		return nil
	}
	fixed, recorded, notes := resolveOperations(d)
	raw, err := json.Marshal(fixed)
	if err != nil {
		return err
	}
	exported.Deployment = raw
	if err := s.Import(ctx, exported); err != nil {
		return fmt.Errorf("writing the state of %s: %w", s.name, err)
	}
	for _, n := range notes {
		fmt.Fprintf(w, "peerpods: %s\n", n)
	}
	if len(recorded) == 0 {
		return nil
	}
	if _, err := s.Refresh(ctx, optrefresh.Target(recorded), optrefresh.ProgressStreams(w), optrefresh.ErrorProgressStreams(w)); err != nil {
		return fmt.Errorf("refreshing what the interrupted run left: %w", err)
	}
	return nil
}

// resolveOperations returns the deployment without pending operations,
// with the resources whose interrupted create is resolved by ID recorded
// (their URNs), and a note for each operation.
func resolveOperations(d apitype.DeploymentV3) (apitype.DeploymentV3, []string, []string) {
	var recorded, notes []string
	// Where each URN is in the state: a resource deleted by a
	// delete-before-replace whose replacement was cut is kept as
	// pendingReplacement; its replacement takes its place.
	live, replaced := map[resource.URN]bool{}, map[resource.URN]int{}
	for i, r := range d.Resources {
		switch {
		case r.PendingReplacement:
			replaced[r.URN] = i
		case !r.Delete:
			live[r.URN] = true
		}
	}
	for _, op := range d.PendingOperations {
		r := op.Resource
		what := fmt.Sprintf("the %s of %s (%s) was interrupted", operationName(op.Type), r.URN.Name(), r.Type)
		if op.Type == apitype.OperationTypeCreating && live[r.URN] {
			// The engine keeps a pending create even after a later run
			// created the resource (or while a create-before-delete
			// replacement was cut: the old one is still live).
			notes = append(notes, what+"; the state has it: cleared (if that create was a replacement's, check for what it made)")
			continue
		}
		if op.Type != apitype.OperationTypeCreating {
			notes = append(notes, what+": cleared; it runs again from the last recorded state")
			continue
		}
		how, ours := provider.Interrupted(string(r.Type), r.Inputs)
		switch {
		case ours && how.ID != "":
			r.ID = resource.ID(how.ID)
			r.Outputs = make(map[string]any, len(r.Inputs))
			for k, v := range r.Inputs {
				r.Outputs[k] = v
			}
			if i, ok := replaced[r.URN]; ok {
				d.Resources[i] = r
				delete(replaced, r.URN)
			} else {
				d.Resources = append(d.Resources, r)
			}
			recorded = append(recorded, string(r.URN))
			notes = append(notes, fmt.Sprintf("%s: recorded as %s for a refresh to check; a half-made one is replaced by the next up", what, how.ID))
		case ours:
			notes = append(notes, what+": cleared; "+how.Note)
		default:
			notes = append(notes, what+": cleared; it is created again, and whatever the interrupted create made is not in the state: check for it and delete it (or pulumi import it)")
		}
	}
	d.PendingOperations = nil
	return d, recorded, notes
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
