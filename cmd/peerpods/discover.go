package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/stacks"
	"gopkg.in/yaml.v3"
)

// discoverOptions are the flags of peerpods discover.
type discoverOptions struct {
	kubeconfig, context string
	write               bool
}

// readFacts connects to the cluster of a kubeconfig (its contents) and
// reads its facts, for init and discover; tests replace it.
var readFacts = func(ctx context.Context, kubeconfig []byte, kubeContext string) (cluster.Facts, error) {
	clients, err := cluster.Connect(kubeconfig, kubeContext)
	if err != nil {
		return cluster.Facts{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, 2*cluster.Timeout)
	defer cancel()
	return cluster.Read(rctx, clients)
}

// discover compares the stack file of an existing stack with what its
// cluster says now (stacks.Compare) and prints each difference; with
// --write it updates the file (stacks.Record), keeping its comments and
// other keys. Without --write nothing changes, and differences exit 7
// (changes found) as refresh --expect-no-changes does.
func discover(ctx context.Context, o options, in discoverOptions, stdout io.Writer) error {
	file, err := stackFile(o.stack)
	if err != nil {
		return err
	}
	dir := o.dir
	if dir == "" {
		if dir, err = findProject(); err != nil {
			return err
		}
	}
	path := filepath.Join(dir, file)
	content, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return noStackError{fmt.Sprintf("stack %q has no stack file %s in %s: peerpods init --stack %s writes one", o.stack, file, dir, o.stack)}
	} else if err != nil {
		return err
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	kubeContext := in.context
	if kubeContext == "" {
		kubeContext, _ = doc.Config[stacks.Namespace+":kubeContext"].(string)
	}
	var kubeconfig []byte
	from := "--kubeconfig " + in.kubeconfig
	if in.kubeconfig != "" {
		if kubeconfig, err = os.ReadFile(in.kubeconfig); err != nil {
			return fmt.Errorf("--kubeconfig: %w", err)
		}
	} else {
		// The stack's own, decrypted by its secrets provider.
		from = "peerpods:kubeconfig of stack " + o.stack
		s, err := open(ctx, o)
		if err != nil {
			return err
		}
		v, err := s.GetConfig(ctx, stacks.Namespace+":kubeconfig")
		if err != nil || v.Value == "" {
			return usageError{fmt.Sprintf("stack %s has no readable peerpods:kubeconfig (%v): pass --kubeconfig", o.stack, err)}
		}
		kubeconfig = []byte(v.Value)
	}
	facts, err := readFacts(ctx, kubeconfig, kubeContext)
	if err != nil {
		return fmt.Errorf("reading the cluster of %s: %w", from, err)
	}
	changes, err := stacks.Compare(content, facts)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(changes) == 0 {
		fmt.Fprintf(stdout, "%s agrees with the cluster %s (platform %s)\n", path, facts.InfraName, facts.PlatformType)
		return nil
	}
	fmt.Fprintf(stdout, "%s and the cluster %s (platform %s) differ:\n", path, facts.InfraName, facts.PlatformType)
	for _, c := range changes {
		fmt.Fprintln(stdout, "  "+c.String())
	}
	if !in.write {
		fmt.Fprintf(stdout, "nothing written; peerpods discover --stack %s --write updates the stack file\n", o.stack)
		return changesFound
	}
	out, err := stacks.Record(content, changes)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d %s to %s; review it (git diff) and run peerpods preview --stack %s\n",
		len(changes), plural(len(changes), "setting"), path, o.stack)
	return nil
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}
