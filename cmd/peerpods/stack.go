package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/peerpods/provisioner/internal/diffreport"
	"github.com/peerpods/provisioner/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// options are the flags every command shares.
type options struct {
	stack, backend, dir string
	run                 runOptions
}

// stack is an opened stack of the project, running stacks.Run inline.
type stack struct {
	name string
	auto.Stack
}

// open selects (or creates) the stack in the project directory.
func open(ctx context.Context, o options) (*stack, error) {
	dir := o.dir
	if dir == "" {
		var err error
		if dir, err = findProject(); err != nil {
			return nil, err
		}
	}
	file, err := stackFile(o.stack)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	if _, err := os.Stat(filepath.Join(dir, file)); errors.Is(err, fs.ErrNotExist) {
		return nil, noStackError{fmt.Sprintf("stack %q has no stack file %s in %s", o.stack, file, dir)}
	} else if err != nil {
		return nil, fmt.Errorf("stack %q: %w", o.stack, err)
	}
	env := map[string]string{}
	if o.backend != "" {
		env["PULUMI_BACKEND_URL"] = o.backend
	}
	ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(dir), auto.Program(stacks.Run), auto.EnvVars(env))
	if err != nil {
		return nil, fmt.Errorf("opening the project in %s: %w", dir, err)
	}
	s, err := auto.UpsertStack(ctx, o.stack, ws)
	if err != nil {
		return nil, fmt.Errorf("opening stack %s: %w", o.stack, err)
	}
	return &stack{name: o.stack, Stack: s}, nil
}

// stackFile returns the stack file of a stack name, relative to the
// project: stacks/Pulumi.<stack>.yaml, where <stack> is the last element of
// a fully qualified name (org/project/stack, or org/stack) as the Pulumi
// CLI names stack files. Each element is letters, digits, '-', '_' and
// '.' (the characters Pulumi allows), the stack at most 100 of them; a
// name with "..", an empty element or more than three elements is refused,
// so the file is always inside stacks/.
func stackFile(name string) (string, error) {
	elems := strings.Split(name, "/")
	switch {
	case strings.Contains(name, ".."):
		return "", fmt.Errorf("stack name %q: \"..\" is not allowed", name)
	case len(elems) > 3:
		return "", fmt.Errorf("stack name %q: at most org/project/stack", name)
	case len(elems[len(elems)-1]) > 100:
		return "", fmt.Errorf("stack name %q: the stack part exceeds 100 characters", name)
	}
	for _, e := range elems {
		if e == "" || e == "." {
			return "", fmt.Errorf("stack name %q: an empty or \".\" element; use stack, org/stack or org/project/stack", name)
		}
		if i := strings.IndexFunc(e, func(r rune) bool { return !stackNameChar(r) }); i >= 0 {
			return "", fmt.Errorf("stack name %q: only letters, digits, '-', '_' and '.' (and '/' between org, project and stack) are allowed, not %q", name, []rune(e[i:])[0])
		}
	}
	return filepath.Join("stacks", "Pulumi."+elems[len(elems)-1]+".yaml"), nil
}

// stackNameChar reports whether r may be in an element of a stack name.
func stackNameChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
}

// findProject returns the nearest directory, from the working directory
// up, that holds Pulumi.yaml.
func findProject() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no Pulumi.yaml here or above; run in the project or pass --dir")
		}
		dir = parent
	}
}

// up runs the update, after showing the plan and asking when r.yes is
// not set. The engine's progress goes to stderr, the result to stdout.
func (s *stack) up(ctx context.Context, r runOptions, interactive bool, stdin io.Reader, stdout, stderr io.Writer) error {
	if !r.yes {
		plan := func(ctx context.Context) (auto.PreviewResult, error) {
			return s.Preview(ctx, append(r.preview(), optpreview.ProgressStreams(stderr), optpreview.ErrorProgressStreams(stderr))...)
		}
		if err := confirm(ctx, "up", s.name, interactive, plan, stdin, stderr); err != nil {
			return err
		}
	}
	res, err := s.Up(ctx, append(r.up(), optup.ProgressStreams(stderr), optup.ErrorProgressStreams(stderr))...)
	if err != nil {
		return fmt.Errorf("up of %s failed: %w", s.name, err)
	}
	fmt.Fprintf(stdout, "\nup of %s: %s\n", s.name, counts(deref(res.Summary.ResourceChanges)))
	return nil
}

// destroy deletes the stack's resources, after showing the plan and
// asking when r.yes is not set.
func (s *stack) destroy(ctx context.Context, r runOptions, remove, interactive bool, stdin io.Reader, stdout, stderr io.Writer) error {
	if !r.yes {
		plan := func(ctx context.Context) (auto.PreviewResult, error) {
			return s.PreviewDestroy(ctx, append(r.destroy(), optdestroy.ProgressStreams(stderr), optdestroy.ErrorProgressStreams(stderr))...)
		}
		if err := confirm(ctx, "destroy", s.name, interactive, plan, stdin, stderr); err != nil {
			return err
		}
	}
	res, err := s.Destroy(ctx, append(r.destroy(), optdestroy.ProgressStreams(stderr), optdestroy.ErrorProgressStreams(stderr))...)
	if err != nil {
		return fmt.Errorf("destroy of %s failed: %w", s.name, err)
	}
	fmt.Fprintf(stdout, "\ndestroy of %s: %s\n", s.name, counts(deref(res.Summary.ResourceChanges)))
	if remove {
		// Workspace.RemoveStack would delete stacks/Pulumi.<stack>.yaml, a
		// file of the repository: keep it.
		ws := s.Workspace()
		var env []string
		for k, v := range ws.GetEnvVars() {
			env = append(env, k+"="+v)
		}
		if _, stderr, _, err := ws.PulumiCommand().Run(ctx, ws.WorkDir(), nil, nil, nil, env,
			"stack", "rm", "--yes", "--preserve-config", s.name); err != nil {
			return fmt.Errorf("removing stack %s: %w: %s", s.name, err, stderr)
		}
		fmt.Fprintf(stdout, "stack %s removed from the backend (its stack file is kept)\n", s.name)
	}
	return nil
}

func (s *stack) refresh(ctx context.Context, r runOptions, expectNoChanges bool, stdout, stderr io.Writer) error {
	if expectNoChanges {
		// A drift check changes no state.
		res, err := s.PreviewRefresh(ctx, append(r.refreshOpts(), optrefresh.ProgressStreams(stderr), optrefresh.ErrorProgressStreams(stderr))...)
		if err != nil {
			return fmt.Errorf("refresh preview of %s failed: %w", s.name, err)
		}
		fmt.Fprintf(stdout, "\nrefresh of %s: %s\n", s.name, counts(res.ChangeSummary))
		if changed(res.ChangeSummary) {
			fmt.Fprintf(stdout, "drift: the cloud differs from the state of %s\n", s.name)
			return changesFound
		}
		return nil
	}
	res, err := s.Refresh(ctx, append(r.refreshOpts(), optrefresh.ProgressStreams(stderr), optrefresh.ErrorProgressStreams(stderr))...)
	if err != nil {
		return fmt.Errorf("refresh of %s failed: %w", s.name, err)
	}
	fmt.Fprintf(stdout, "\nrefresh of %s: %s\n", s.name, counts(deref(res.Summary.ResourceChanges)))
	return nil
}

// What peerpods outputs writes.
const (
	outputJSON      = iota // the stack outputs as one JSON object
	outputConfigMap        // the peer-pods-cm manifest
	outputManifests        // the manifests output (handoff manifests)
)

// outputs writes the stack outputs in format, secrets masked unless
// showSecrets. Files are written readable by the owner only.
func (s *stack) outputs(ctx context.Context, showSecrets bool, format int, file string, stdout io.Writer) error {
	outs, err := s.Outputs(ctx)
	if err != nil {
		return fmt.Errorf("reading the outputs of %s: %w", s.name, err)
	}
	rendered := renderOutputs(outs, showSecrets)
	var b []byte
	switch format {
	case outputConfigMap:
		b, err = configMapManifest(rendered)
	case outputManifests:
		m, ok := rendered["manifests"].(string)
		if !ok {
			return fmt.Errorf("stack %s has no manifests output: set peerpods:handoff to manifests and run up", s.name)
		}
		b = []byte(m)
	default:
		b, err = json.MarshalIndent(rendered, "", "  ")
		b = append(b, '\n')
	}
	if err != nil {
		return err
	}
	if file != "" {
		return os.WriteFile(file, b, 0o600)
	}
	_, err = stdout.Write(b)
	return err
}

// renderOutputs maps output names to values, "[secret]" for secrets unless
// showSecrets.
func renderOutputs(outs auto.OutputMap, showSecrets bool) map[string]any {
	m := make(map[string]any, len(outs))
	for k, v := range outs {
		if v.Secret && !showSecrets {
			m[k] = diffreport.Secret
		} else {
			m[k] = v.Value
		}
	}
	return m
}

// counts renders a change summary such as "2 create, 5 same".
func counts[K ~string](summary map[K]int) string {
	if len(summary) == 0 {
		return "no resources"
	}
	var parts []string
	for k, n := range summary {
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// changed reports whether a change summary has changes, as the engine
// decides it (diffreport.IsChange).
func changed[K ~string](summary map[K]int) bool {
	return diffreport.ChangeCount(summary) > 0
}

func deref(m *map[string]int) map[string]int {
	if m == nil {
		return nil
	}
	return *m
}
