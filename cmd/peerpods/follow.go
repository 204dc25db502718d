package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/readiness"
	"github.com/peerpods/provisioner/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// stackClients connects to the stack's cluster (peerpods:kubeconfig and
// kubeContext, decrypted by Pulumi); ok is false for a stack without a
// kubeconfig.
var stackClients = func(ctx context.Context, s *stack) (c cluster.Clients, ok bool, err error) {
	kubeconfig, err := s.GetConfig(ctx, stacks.Namespace+":kubeconfig")
	if err != nil || kubeconfig.Value == "" {
		return c, false, nil
	}
	kubeContext, _ := s.GetConfig(ctx, stacks.Namespace+":kubeContext")
	c, err = cluster.Connect([]byte(kubeconfig.Value), kubeContext.Value)
	if err != nil {
		return c, false, fmt.Errorf("the cluster of peerpods:kubeconfig: %w", err)
	}
	return c, true, nil
}

// followSleep pauses between reads of the cluster (nil: a timer); tests
// set it.
var followSleep func(context.Context, time.Duration) error

// handoffWant is what a stack's outputs say the cluster should show: the
// KataConfig it wrote (none: any) and PEERPODS_LIMIT_PER_NODE. ok is
// false unless the handoff wrote into the cluster.
func handoffWant(outs auto.OutputMap) (w readiness.Want, ok bool) {
	h, _ := outs[stacks.OutputHandoff].Value.(map[string]any)
	ok = h != nil && h["mode"] == string(handoff.ModeCluster)
	objects, _ := h["objects"].([]any)
	for _, o := range objects {
		if name, found := strings.CutPrefix(fmt.Sprint(o), handoff.KataConfigKind+"/"); found {
			w.KataConfig = name
		}
	}
	w.Limit = common.DefaultLimitPerNode
	if cm, _ := outs[stacks.OutputConfigMap].Value.(map[string]any); cm != nil {
		if n, err := strconv.Atoi(fmt.Sprint(cm[contract.KeyPeerPodsLimitPerNode])); err == nil {
			w.Limit = n
		}
	}
	return w, ok
}

// errNotReady is a follow or check whose facts do not all hold; the
// facts were printed.
var errNotReady = errors.New("peer pods do not work yet")

// follow follows the operator after an up whose handoff wrote into the
// cluster, at most peerpods:waitTimeout: progress on stderr as the facts
// change, then one line per fact on stdout. A failed fact, or facts still
// pending at the bound, fail the command.
func (s *stack) follow(ctx context.Context, stdout, stderr io.Writer) error {
	outs, err := s.Outputs(ctx)
	if err != nil {
		return fmt.Errorf("reading the outputs of %s: %w", s.name, err)
	}
	want, ok := handoffWant(outs)
	if !ok {
		return nil
	}
	v, err := s.GetConfig(ctx, stacks.Namespace+":waitTimeout")
	bound, err := stacks.WaitTimeout(v.Value, err == nil)
	if err != nil {
		return err
	}
	c, ok, err := stackClients(ctx, s)
	if err != nil || !ok {
		return err
	}
	return followCluster(ctx, c, want, bound, stdout, stderr)
}

// followCluster is follow on the cluster of c.
func followCluster(ctx context.Context, c cluster.Clients, want readiness.Want, bound time.Duration, stdout, stderr io.Writer) error {
	fmt.Fprintf(stderr, "\nfollowing the operator (at most %s, peerpods:waitTimeout; up --no-wait skips this):\n", bound)
	b := readiness.DefaultBackoff
	b.Bound = bound
	read := func(ctx context.Context) (readiness.Report, error) { return readiness.Read(ctx, c, want) }
	r, ended, err := readiness.Follow(ctx, read, b, stderr, followSleep)
	if err != nil {
		return fmt.Errorf("following the operator: %w", err)
	}
	fmt.Fprintln(stdout)
	for _, f := range r {
		fmt.Fprintln(stdout, f.Line())
	}
	switch {
	case r.Done():
		return nil
	case !ended:
		return fmt.Errorf("%w after %s (peerpods:waitTimeout): the facts above are still pending; peerpods check --stack S reads them again", errNotReady, bound)
	}
	return fmt.Errorf("%w: a fact above failed, with its fix", errNotReady)
}
