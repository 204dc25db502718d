package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	common "github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/leftovers"
	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/peerpods/provisioner/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// sweepOptions are the flags of peerpods sweep.
type sweepOptions struct {
	// delete removes cloud-api-adaptor's leftovers (libvirt), after a
	// confirmation unless yes.
	delete, yes bool
	// includeRunning lets --delete remove running pod VMs too.
	includeRunning bool
	// noCluster skips reading the cluster (destroy's check, which only
	// needs to know whether anything is left).
	noCluster bool
}

// addSweepFlags declares the flags of sweep, and destroy's
// --ignore-leftovers.
func addSweepFlags(fs *flag.FlagSet, cmd string, o *sweepOptions, ignore *bool) {
	switch cmd {
	case "sweep":
		fs.BoolVar(&o.delete, "delete", false, "remove cloud-api-adaptor's leftovers (libvirt; on a cloud the commands to run are printed)")
		fs.BoolVar(&o.yes, "yes", false, "do not ask before --delete (needed without a terminal, as in CI)")
		fs.BoolVar(&o.includeRunning, "include-running", false, "with --delete, also remove running pod VMs that no pod of the cluster uses (else they are kept)")
	case "destroy":
		fs.BoolVar(ignore, "ignore-leftovers", false, "destroy even though cloud-api-adaptor left pod VMs, disks or NICs in the stack's pool or network (see peerpods sweep)")
	}
}

// found is what a search for leftovers found in a stack.
type found struct {
	items []common.Item
	// remove deletes cloud-api-adaptor's items and returns those it
	// removed; nil where peerpods deletes nothing (the clouds).
	remove func() ([]common.Item, error)
}

// findLeftovers finds what cloud-api-adaptor left in the stack's pool or
// network: on libvirt on the stack's hosts (connected as the stack's
// provider is), on a cloud with the cloud's invokes (stacks.Sweeper) in a
// read-only program. A stack without outputs (never up, or destroyed)
// has none.
var findLeftovers = func(ctx context.Context, s *stack, o sweepOptions) (found, error) {
	outs, err := s.Outputs(ctx)
	if err != nil {
		return found{}, fmt.Errorf("reading the outputs of %s: %w", s.name, err)
	}
	name, _ := outs[stacks.OutputCloud].Value.(string)
	if name == "" {
		return found{}, nil
	}
	if contract.Cloud(name) == contract.Libvirt {
		state, err := s.exportState(ctx)
		if err != nil {
			return found{}, err
		}
		var acct common.Accounting
		if !o.noCluster {
			if acct, err = readPodVMs(ctx, s); err != nil {
				return found{}, err
			}
		}
		return libvirtLeftovers(state, acct, o.includeRunning)
	}
	c, ok := stacks.CloudNamed(contract.Cloud(name))
	if !ok {
		return found{}, fmt.Errorf("stack %s is on cloud %q, which this build of peerpods leaves out", s.name, name)
	}
	sw, ok := c.(stacks.Sweeper)
	if !ok {
		return found{}, fmt.Errorf("cloud %q has no search for cloud-api-adaptor's leftovers", name)
	}
	items, err := s.runSweeper(ctx, sw, configMapOutput(outs))
	return found{items: items}, err
}

// configMapOutput is the stack's peer-pods-cm (its configMap output).
func configMapOutput(outs auto.OutputMap) map[string]string {
	cm := map[string]string{}
	if m, ok := outs[stacks.OutputConfigMap].Value.(map[string]any); ok {
		for k, v := range m {
			if s, ok := v.(string); ok {
				cm[k] = s
			}
		}
	}
	return cm
}

// runSweeper runs sw in a read-only program of the stack (runInvokes).
func (s *stack) runSweeper(ctx context.Context, sw stacks.Sweeper, cm map[string]string) ([]common.Item, error) {
	var items []common.Item
	err := s.runInvokes(ctx, "searching for cloud-api-adaptor's leftovers", func(ctx *pulumi.Context) (err error) {
		items, err = sw.Leftovers(ctx, cm)
		return err
	})
	return items, err
}

// runInvokes runs program in a preview of the stack whose program is only
// a provider and invokes: nothing is created, changed or recorded (the
// preview's plan, which would delete the stack's resources, is never
// applied, and its display is not shown). what names the run in errors.
func (s *stack) runInvokes(ctx context.Context, what string, program pulumi.RunFunc) error {
	ws := s.Workspace()
	saved := ws.Program()
	defer ws.SetProgram(saved)
	ws.SetProgram(program)
	var progress strings.Builder
	if _, err := s.Preview(ctx, optpreview.ProgressStreams(&progress), optpreview.ErrorProgressStreams(&progress)); err != nil {
		return engineError{msg: fmt.Sprintf("%s of %s: %s", what, s.name, engineMessage(err)), detail: err.Error() + "\n" + progress.String()}
	}
	return nil
}

// engineError is a failed engine run: the short message, and the engine's
// whole output, where values.GoneRule finds the rule a read found gone.
type engineError struct{ msg, detail string }

// Error implements error.
func (e engineError) Error() string { return e.msg }

// Detail is the engine's whole output.
func (e engineError) Detail() string { return e.detail }

// exportState is the stack's deployment with secrets in plain text (the
// libvirt provider's private key), as pulumi stack export --show-secrets
// gives it.
func (s *stack) exportState(ctx context.Context) ([]byte, error) {
	out, err := s.pulumi(ctx, "stack", "export", "--show-secrets", "--stack", s.name)
	if err != nil {
		return nil, fmt.Errorf("reading the state of %s: %w", s.name, err)
	}
	return []byte(out), nil
}

// libvirtPool is a StoragePool of the stack with its connection.
type libvirtPool struct {
	uri   string
	creds conn.Credentials
	pool  leftovers.Pool
}

// libvirtPools reads the stack's pools from its exported state: each
// with the connection of its provider (or the connection it kept, for a
// pool of provider 0.1.0), the stack's volumes in it and whether it was
// adopted.
func libvirtPools(state []byte) ([]libvirtPool, error) {
	var d struct {
		Deployment apitype.DeploymentV3 `json:"deployment"`
	}
	if err := json.Unmarshal(state, &d); err != nil {
		return nil, fmt.Errorf("reading the exported state: %w", err)
	}
	byURN := map[string]apitype.ResourceV3{}
	keep := map[string][]string{}
	for _, r := range d.Deployment.Resources {
		byURN[string(r.URN)] = r
		if r.Type == provider.TypeStorageVolume {
			pool := plain(r.Outputs["pool"])
			keep[pool] = append(keep[pool], plain(r.Outputs["name"]))
		}
	}
	var pools []libvirtPool
	for _, r := range d.Deployment.Resources {
		if r.Type != provider.TypeStoragePool {
			continue
		}
		name := plain(r.Outputs["name"])
		adopted, _ := r.Outputs["adopted"].(bool)
		cfg := r.Outputs // a 0.1.0 pool's own connection
		if plain(cfg["uri"]) == "" {
			ref := r.Provider
			if i := strings.LastIndex(ref, "::"); i >= 0 {
				ref = ref[:i]
			}
			p := byURN[ref]
			cfg = p.Outputs
			if plain(cfg["uri"]) == "" {
				cfg = p.Inputs
			}
		}
		uri := plain(cfg["uri"])
		if uri == "" {
			return nil, fmt.Errorf("storage pool %q: the state has no libvirt uri for it", name)
		}
		pools = append(pools, libvirtPool{
			uri:   uri,
			creds: conn.Credentials{PrivateKey: plain(cfg["privateKey"]), HostKey: plain(cfg["hostKey"])},
			pool:  leftovers.Pool{Name: name, Keep: keep[name], Shared: adopted},
		})
	}
	return pools, nil
}

// plain is a state value as a string: a string, or a secret as pulumi
// stack export --show-secrets writes it (its JSON in "plaintext").
func plain(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if p, ok := v["plaintext"].(string); ok {
			var s string
			if json.Unmarshal([]byte(p), &s) == nil {
				return s
			}
		}
	}
	return ""
}

// readPodVMs reads what the stack's cluster (peerpods:kubeconfig and
// kubeContext) says of its pod VMs: which serve a pod that exists. A stack
// without a kubeconfig has none to read (nil): then nothing running, and
// nothing in a shared pool, is removed; a kubeconfig whose cluster cannot
// be read is an error, so that nothing is removed unchecked.
var readPodVMs = func(ctx context.Context, s *stack) (common.Accounting, error) {
	clients, ok, err := stackClients(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("reading %w, to keep the pod VMs that serve pods", err)
	}
	if !ok {
		return nil, nil
	}
	v, err := cluster.ReadPodVMs(ctx, clients)
	if err != nil {
		return nil, fmt.Errorf("reading the pods of the cluster of peerpods:kubeconfig, to keep the pod VMs that serve them: %w", err)
	}
	return v, nil
}

// libvirtLeftovers finds the leftovers in every pool of the state, each
// kept when acct says a pod uses it, when it runs (unless
// includeRunning), or in a shared pool when acct does not claim it.
func libvirtLeftovers(state []byte, acct common.Accounting, includeRunning bool) (found, error) {
	pools, err := libvirtPools(state)
	if err != nil {
		return found{}, err
	}
	var f found
	perPool := map[int][]common.Item{}
	for i, p := range pools {
		l, err := conn.Open(p.uri, p.creds)
		if err != nil {
			return found{}, fmt.Errorf("storage pool %q: %w", p.pool.Name, err)
		}
		pool := p.pool
		pool.Accounting, pool.IncludeRunning = acct, includeRunning
		items, err := leftovers.Find(l, p.uri, pool)
		_ = l.Disconnect()
		if err != nil {
			return found{}, err
		}
		perPool[i] = items
		f.items = append(f.items, items...)
	}
	f.remove = func() ([]common.Item, error) {
		var done []common.Item
		var errs []error
		for i, p := range pools {
			if len(perPool[i]) == 0 {
				continue
			}
			l, err := conn.Open(p.uri, p.creds)
			if err != nil {
				errs = append(errs, fmt.Errorf("storage pool %q: %w", p.pool.Name, err))
				continue
			}
			d, err := leftovers.Remove(l, p.pool.Name, perPool[i])
			_ = l.Disconnect()
			done = append(done, d...)
			errs = append(errs, err)
		}
		return done, errors.Join(errs...)
	}
	return f, nil
}

// sweep lists the stack's leftovers; with o.delete it removes
// cloud-api-adaptor's after asking (or with o.yes). It returns
// changesFound (exit 7) while leftovers remain: listed, not removable by
// peerpods (not cloud-api-adaptor's, or on a cloud), or declined.
func (s *stack) sweep(ctx context.Context, o sweepOptions, interactive bool, stdin io.Reader, stdout io.Writer) error {
	f, err := findLeftovers(ctx, s, o)
	if err != nil {
		return err
	}
	if len(f.items) == 0 {
		fmt.Fprintf(stdout, "no leftovers of cloud-api-adaptor in %s\n", s.name)
		return nil
	}
	fmt.Fprintf(stdout, "%s has %d leftover(s) of cloud-api-adaptor's pod VMs the stack does not own:\n%s\n",
		s.name, len(f.items), common.Report(s.name, f.items, f.remove != nil))
	if !o.delete {
		return changesFound
	}
	if f.remove == nil {
		fmt.Fprintln(stdout, "--delete: peerpods does not delete cloud objects the stack does not own (Pulumi could only by adopting them into a stack); nothing was deleted: run the commands above")
		return changesFound
	}
	caa := 0
	for _, i := range f.items {
		if i.Removable() {
			caa++
		}
	}
	if caa == 0 {
		fmt.Fprintln(stdout, "--delete: none of them is a leftover of cloud-api-adaptor that may go (the others are kept, or not its own); nothing was deleted")
		return changesFound
	}
	if !o.yes {
		if !interactive {
			return usageError{fmt.Sprintf("sweep --delete removes %d object(s) of %s and there is no terminal to confirm it: pass --yes (as CI does), or run it in a terminal", caa, s.name)}
		}
		fmt.Fprintf(stdout, "Delete the %d object(s) of cloud-api-adaptor listed above? [y/N] ", caa)
		if !answeredYes(stdin) {
			return errDeclined
		}
	}
	done, err := f.remove()
	for _, i := range done {
		fmt.Fprintf(stdout, "deleted %s %s\n", i.Kind, i.Name)
	}
	if err != nil {
		return fmt.Errorf("sweep of %s: %w", s.name, err)
	}
	if len(done) < len(f.items) {
		fmt.Fprintf(stdout, "%d object(s) are left: kept, or not cloud-api-adaptor's (remove those by hand)\n", len(f.items)-len(done))
		return changesFound
	}
	return nil
}

// checkLeftovers refuses a destroy while cloud-api-adaptor's leftovers
// are in the stack's pool or network: the destroy would delete the pool,
// the image volume they are backed by, or the network they are in from
// under them, or fail half-way.
func (s *stack) checkLeftovers(ctx context.Context) error {
	f, err := findLeftovers(ctx, s, sweepOptions{noCluster: true})
	if err != nil {
		return fmt.Errorf("%w; fix: pass --ignore-leftovers to destroy without this check", err)
	}
	if len(f.items) == 0 {
		return nil
	}
	return fmt.Errorf("destroy of %s refused, nothing was changed: cloud-api-adaptor left %d object(s) in the stack's pool or network that destroy does not know:\n%s\nthen destroy again, or pass --ignore-leftovers to destroy anyway",
		s.name, len(f.items), common.Report(s.name, f.items, f.remove != nil))
}
