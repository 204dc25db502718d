package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"gopkg.in/yaml.v3"
)

// initOptions are the flags of peerpods init.
type initOptions struct {
	kubeconfig, context, identity string
}

// initStack writes the stack file of a new stack from what the cluster of
// the kubeconfig says (stacks.StackFile), with the kubeconfig set as an
// encrypted config value through the Automation API, and refuses to touch
// an existing stack file. Nothing is written when the cluster cannot be
// read.
func initStack(ctx context.Context, o options, in initOptions, stdout io.Writer) error {
	file, err := stackFile(o.stack)
	if err != nil {
		return err
	}
	if in.kubeconfig == "" {
		return usageError{"--kubeconfig is required: the kubeconfig file of the cluster"}
	}
	dir := o.dir
	if dir == "" {
		if dir, err = findProject(); err != nil {
			return err
		}
	}
	path := filepath.Join(dir, file)
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists; peerpods init never overwrites a stack file: choose another --stack, or edit that file", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	kubeconfig, err := os.ReadFile(in.kubeconfig)
	if err != nil {
		return fmt.Errorf("--kubeconfig: %w", err)
	}
	facts, err := readFacts(ctx, kubeconfig, in.context)
	if err != nil {
		return fmt.Errorf("reading the cluster of --kubeconfig %s: %w", in.kubeconfig, err)
	}
	n := stacks.NewStack{Facts: facts, Identity: contract.Identity(in.identity), KubeContext: in.context}
	// Checked before the stack is created: a bad --identity creates nothing.
	if _, err := stacks.StackFile(n); err != nil {
		return usageError{err.Error()}
	}

	// The stack and its encrypted kubeconfig, through the engine: Pulumi
	// writes a stack file with its secrets provider's keys and the
	// ciphertext, which the commented file keeps.
	env := map[string]string{}
	if o.backend != "" {
		env["PULUMI_BACKEND_URL"] = o.backend
	}
	pulumiCmd, err := runner()
	if err != nil {
		return fmt.Errorf("the Pulumi CLI: %w", err)
	}
	ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(dir), auto.Program(stacks.Program(dir)), auto.EnvVars(env), auto.Pulumi(pulumiCmd))
	if err != nil {
		return fmt.Errorf("opening the project in %s: %w", dir, err)
	}
	s, err := auto.NewStack(ctx, o.stack, ws)
	if err != nil {
		return fmt.Errorf("creating stack %s: %w", o.stack, err)
	}
	// Only the chosen context, its cluster and user, and on the CLI's
	// stdin: the Automation API's SetConfig would put the value in the
	// command line, which every user of the machine can read
	// (/proc/<pid>/cmdline).
	minified, err := stacks.MinifyKubeconfig(kubeconfig, in.context)
	if err != nil {
		return fmt.Errorf("--kubeconfig %s: %w", in.kubeconfig, err)
	}
	var envList []string
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	if _, stderr, _, err := pulumiCmd.Run(ctx, dir, bytes.NewReader(minified), nil, nil, envList,
		"config", "set", "--secret", "--stack", s.Name(), stacks.Namespace+":kubeconfig"); err != nil {
		return fmt.Errorf("storing the kubeconfig in stack %s: %w: %s", o.stack, err, strings.TrimSpace(stderr))
	}
	written, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the stack file Pulumi wrote: %w", err)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
		Rest   map[string]any `yaml:",inline"`
	}
	if err := yaml.Unmarshal(written, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	n.Secure, n.Secrets = map[string]string{}, map[string]string{}
	for k, v := range doc.Rest {
		if s, ok := v.(string); ok {
			n.Secure[k] = s
		}
	}
	for k, v := range doc.Config {
		if m, ok := v.(map[string]any); ok {
			if c, ok := m["secure"].(string); ok {
				n.Secrets[k] = c
			}
		}
	}
	if n.Secrets[stacks.Namespace+":kubeconfig"] == "" {
		return fmt.Errorf("%s: Pulumi wrote no encrypted peerpods:kubeconfig", path)
	}
	out, err := stacks.StackFile(n)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return err
	}
	_, id := n.Mode()
	fmt.Fprintf(stdout, "wrote %s for the %s cluster %s (identity %s, %s); next: peerpods preview --stack %s\n",
		path, strings.ToLower(facts.PlatformType), facts.InfraName, id, operatorSays(facts), o.stack)
	return nil
}

// operatorSays names the operator version the cluster runs and the line
// each run writes for (read again at every run, never pinned in the
// stack file).
func operatorSays(f cluster.Facts) string {
	if f.OperatorVersion == "" {
		return "no operator installed by OLM yet: each run writes for the line the cluster then runs"
	}
	l, w, err := contract.ParseVersion(f.OperatorVersion)
	switch {
	case err != nil:
		return "operator " + f.OperatorVersion + ": " + err.Error()
	case w != "":
		return w
	}
	return fmt.Sprintf("operator %s: objects written for line %s", f.OperatorVersion, l)
}
