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
	"unicode"
	"unicode/utf8"

	"github.com/peerpods/provisioner/cmd/peerpods/diffreport"
	"github.com/peerpods/provisioner/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// options are the flags every command shares.
type options struct {
	stack, backend, dir string
	run                 runOptions
}

// stack is an opened stack of the project, running stacks.Run inline.
type stack struct {
	name string
	// backend is the --backend flag (empty: PULUMI_BACKEND_URL, else the
	// workspace's).
	backend string
	auto.Stack
}

// open selects (or creates) the stack in the project directory.
func open(ctx context.Context, o options) (*stack, error) {
	// The name first: nothing is looked up for an invalid one.
	file, err := stackFile(o.stack)
	if err != nil {
		return nil, err
	}
	dir := o.dir
	if dir == "" {
		if dir, err = findProject(); err != nil {
			return nil, err
		}
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
	pulumiCmd, err := runner()
	if err != nil {
		return nil, fmt.Errorf("the Pulumi CLI: %w", err)
	}
	ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(dir), auto.Program(stacks.Program(dir)), auto.EnvVars(env), auto.Pulumi(pulumiCmd))
	if err != nil {
		return nil, fmt.Errorf("opening the project in %s: %w", dir, err)
	}
	s, err := auto.UpsertStack(ctx, o.stack, ws)
	if err != nil {
		return nil, fmt.Errorf("opening stack %s: %w", o.stack, err)
	}
	return &stack{name: o.stack, backend: o.backend, Stack: s}, nil
}

// stackFile returns the stack file of a stack name, relative to the
// project: stacks/Pulumi.<stack>.yaml, where <stack> is the last part of
// a fully qualified name (org/project/stack, or org/stack) as the Pulumi
// CLI names stack files. The name is checked by validStackName first, so
// the file is always inside stacks/; the error is a stackNameError.
func stackFile(name string) (string, error) {
	if err := validStackName(name); err != nil {
		return "", err
	}
	parts := strings.Split(name, "/")
	return filepath.Join("stacks", "Pulumi."+parts[len(parts)-1]+".yaml"), nil
}

// stackNameFix is how to write a valid --stack value; every stackNameError
// ends with it.
const stackNameFix = "use a stack name of letters, digits, '-', '_' and '.' (stacks/Pulumi.<stack>.yaml), or org/stack or org/project/stack"

// validStackName checks a --stack value without touching the file system:
// stack, org/stack or org/project/stack, as the Pulumi CLI takes it. Each
// part must be non-empty, ASCII, free of control characters, of path
// separators ('\'; '/' separates the parts), of "." alone and ".."
// anywhere: these checks are this command's own, as the name becomes a
// file name, and hold even when PULUMI_DISABLE_VALIDATION turns Pulumi's
// off. Then each part must be a name Pulumi accepts: the stack by
// tokens.ParseStackName, the project by tokens.ValidateProjectName, the org
// by tokens.IsName (letters, digits, '-', '_' and '.'; the stack and the
// project at most 100 of them). The error is a stackNameError naming
// --stack and the fix.
func validStackName(name string) error {
	bad := func(format string, a ...any) error {
		return stackNameError{fmt.Sprintf("--stack %q is not a valid stack name: %s; %s", name, fmt.Sprintf(format, a...), stackNameFix)}
	}
	if name == "" {
		return bad("it is empty")
	}
	parts := strings.Split(name, "/")
	if len(parts) > 3 {
		return bad("%d parts separated by '/', at most three (org/project/stack)", len(parts))
	}
	roles := map[int][]string{1: {"stack"}, 2: {"org", "stack"}, 3: {"org", "project", "stack"}}[len(parts)]
	for i, p := range parts {
		role := roles[i]
		if i := strings.IndexFunc(p, unicode.IsControl); i >= 0 {
			return bad("the %s part has the control character %q", role, []rune(p[i:])[0])
		}
		switch {
		case p == "":
			return bad("the %s part is empty", role)
		case strings.ContainsRune(p, '\\'):
			return bad("the %s part %q has the path separator '\\'", role, p)
		case p == "." || p == "..":
			return bad("the %s part is %q", role, p)
		case strings.Contains(p, ".."):
			return bad("the %s part %q has \"..\"", role, p)
		}
		if i := strings.IndexFunc(p, func(r rune) bool { return r >= utf8.RuneSelf }); i >= 0 {
			// Pulumi refuses it too, but names a byte of it.
			return bad("the %s part %q has %q, not an ASCII letter or digit", role, p, []rune(p[i:])[0])
		}
		var err error
		switch role {
		case "stack":
			_, err = tokens.ParseStackName(p)
		case "project":
			err = tokens.ValidateProjectName(p)
		default:
			if !tokens.IsName(p) {
				err = errors.New("an org name may only contain alphanumerics, hyphens, underscores, and periods")
			}
		}
		if err != nil {
			return bad("the %s part %q: %v", role, p, err)
		}
	}
	return nil
}

// findProject returns the nearest directory, from the working directory
// up, that holds Pulumi.yaml (or Pulumi.yml).
func findProject() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := stacks.ProjectFile(dir); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no Pulumi.yaml (or Pulumi.yml) here or above; run in the project or pass --dir")
		}
		dir = parent
	}
}

// up runs the update, after showing the plan and asking when r.yes is
// not set. The engine's progress goes to stderr, the result to stdout.
func (s *stack) up(ctx context.Context, r runOptions, interactive bool, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := s.recoverInterrupted(ctx, "up", s.backend, stderr); err != nil {
		return err
	}
	if !r.yes {
		plan := func(ctx context.Context) (auto.PreviewResult, error) {
			return s.Preview(ctx, append(r.preview(), optpreview.ProgressStreams(stderr), optpreview.ErrorProgressStreams(stderr))...)
		}
		if err := confirm(ctx, "up", s.name, interactive, plan, stdin, stderr); err != nil {
			return err
		}
	}
	op := func(ctx context.Context, ch chan<- events.EngineEvent) (map[string]int, error) {
		o := append(r.up(), optup.ProgressStreams(stderr), optup.ErrorProgressStreams(stderr))
		if ch != nil {
			o = append(o, optup.EventStreams(ch))
		}
		res, err := s.Up(ctx, o...)
		return deref(res.Summary.ResourceChanges), err
	}
	if err := s.run(ctx, "up", "update", r.json, op, stdout, stderr); err != nil {
		return err
	}
	if r.noWait {
		return nil
	}
	if r.json {
		// Standard output holds the JSON alone.
		stdout = stderr
	}
	return s.follow(ctx, stdout, stderr)
}

// destroy deletes the stack's resources, after showing the plan and
// asking when r.yes is not set.
func (s *stack) destroy(ctx context.Context, r runOptions, remove, interactive bool, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := s.recoverInterrupted(ctx, "destroy", s.backend, stderr); err != nil {
		return err
	}
	if !r.yes {
		plan := func(ctx context.Context) (auto.PreviewResult, error) {
			return s.PreviewDestroy(ctx, append(r.destroy(), optdestroy.ProgressStreams(stderr), optdestroy.ErrorProgressStreams(stderr))...)
		}
		if err := confirm(ctx, "destroy", s.name, interactive, plan, stdin, stderr); err != nil {
			return err
		}
	}
	op := func(ctx context.Context, ch chan<- events.EngineEvent) (map[string]int, error) {
		o := append(r.destroy(), optdestroy.ProgressStreams(stderr), optdestroy.ErrorProgressStreams(stderr))
		if ch != nil {
			o = append(o, optdestroy.EventStreams(ch))
		}
		res, err := s.Destroy(ctx, o...)
		return deref(res.Summary.ResourceChanges), err
	}
	if err := s.run(ctx, "destroy", "destroy", r.json, op, stdout, stderr); err != nil {
		return err
	}
	if r.json {
		stdout = stderr
	}
	if remove {
		// Workspace.RemoveStack would delete stacks/Pulumi.<stack>.yaml, a
		// file of the repository: keep it.
		if _, err := s.pulumi(ctx, "stack", "rm", "--yes", "--preserve-config", s.name); err != nil {
			return fmt.Errorf("removing stack %s: %w", s.name, err)
		}
		fmt.Fprintf(stdout, "stack %s removed from the backend (its stack file is kept)\n", s.name)
	}
	return nil
}

// refresh refreshes the state; with expectNoChanges it only previews the
// refresh and returns changesFound on drift.
func (s *stack) refresh(ctx context.Context, r runOptions, expectNoChanges bool, stdout, stderr io.Writer) error {
	if expectNoChanges {
		// A drift check changes no state.
		o := append(r.refreshOpts(), optrefresh.ProgressStreams(stderr), optrefresh.ErrorProgressStreams(stderr))
		var c *collector
		if r.json {
			c = newCollector()
			o = append(o, optrefresh.EventStreams(c.ch))
		}
		res, err := s.PreviewRefresh(ctx, o...)
		if r.json {
			c.wait(ctx, err != nil, stderr)
			evs, _ := c.result()
			sum := runSummary{Stack: s.name, Operation: "refresh", Changes: stringKeys(res.ChangeSummary)}
			if err != nil {
				sum.Error = engineMessage(err)
			}
			if werr := writeJSON(stdout, newPreviewDigest(evs, res.ChangeSummary, sum)); werr != nil && err == nil {
				return werr
			}
			stdout = stderr
		}
		if err != nil {
			return fmt.Errorf("refresh preview of %s failed: %w", s.name, err)
		}
		if !r.json {
			fmt.Fprintf(stdout, "\nrefresh of %s: %s\n", s.name, counts(res.ChangeSummary))
		}
		if changed(res.ChangeSummary) {
			fmt.Fprintf(stdout, "drift: the cloud differs from the state of %s\n", s.name)
			return changesFound
		}
		return nil
	}
	if err := s.recoverInterrupted(ctx, "refresh", s.backend, stderr); err != nil {
		return err
	}
	op := func(ctx context.Context, ch chan<- events.EngineEvent) (map[string]int, error) {
		o := append(r.refreshOpts(), optrefresh.ProgressStreams(stderr), optrefresh.ErrorProgressStreams(stderr))
		if ch != nil {
			o = append(o, optrefresh.EventStreams(ch))
		}
		res, err := s.Refresh(ctx, o...)
		return deref(res.Summary.ResourceChanges), err
	}
	return s.run(ctx, "refresh", "refresh", r.json, op, stdout, stderr)
}

// run runs op, the engine's operation of cmd: with asJSON its events and
// its result as JSON lines (runJSON), else its result as one line.
func (s *stack) run(ctx context.Context, cmd, operation string, asJSON bool, op eventOp, stdout, stderr io.Writer) error {
	if asJSON {
		if err := runJSON(ctx, s.name, operation, op, stdout, stderr); err != nil {
			return s.failed(cmd, err)
		}
		return nil
	}
	changes, err := op(ctx, nil)
	if err != nil {
		return s.failed(cmd, err)
	}
	fmt.Fprintf(stdout, "\n%s of %s: %s\n", cmd, s.name, counts(changes))
	return nil
}

// stringKeys is m with string keys.
func stringKeys[K ~string](m map[K]int) map[string]int {
	if m == nil {
		return nil
	}
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

// pulumi runs a Pulumi CLI command the Automation API has no method for,
// in the stack's workspace with its environment, and returns its
// standard output; the error carries its standard error.
func (s *stack) pulumi(ctx context.Context, args ...string) (string, error) {
	ws := s.Workspace()
	var env []string
	for k, v := range ws.GetEnvVars() {
		env = append(env, k+"="+v)
	}
	out, stderr, _, err := ws.PulumiCommand().Run(ctx, ws.WorkDir(), nil, nil, nil, env, args...)
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, stderr)
	}
	return out, nil
}

// failed is the error of a failed command; a run refused because another
// holds the stack's lock says so, and that it changed nothing.
func (s *stack) failed(cmd string, err error) error {
	if auto.IsConcurrentUpdateError(err) {
		return fmt.Errorf("%s of %s refused: another run is changing the stack (the backend's lock names it above); this run changed nothing: wait for that run to end, then run %s again", cmd, s.name, cmd)
	}
	return fmt.Errorf("%s of %s failed: %w", cmd, s.name, err)
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
