// Command peerpods drives the project's stacks from CI with the Pulumi
// Automation API: the program runs in this process (no language plugin),
// the stack files are those of stacks/.
//
//	peerpods init    --stack S --kubeconfig FILE [--context C] [--identity cco|static|workload]
//	peerpods preview --stack S [--json] [--report-json FILE] [--markdown FILE] [--expect-no-changes]
//	peerpods up      --stack S [--no-wait] [--json]
//	peerpods check   --stack S [--json] [--smoke]
//	peerpods destroy --stack S [--remove] [--ignore-leftovers] [--json]
//	peerpods sweep   --stack S [--delete [--yes]]
//	peerpods refresh --stack S [--expect-no-changes] [--json]
//	peerpods outputs --stack S [--show-secrets] [--configmap | --manifests] [--file FILE]
//	peerpods version (also --version)
//
// Common flags: --backend URL (default PULUMI_BACKEND_URL, else the Pulumi
// default), --dir DIR (the project; default: the directory of the nearest
// Pulumi.yaml). File backends need PULUMI_CONFIG_PASSPHRASE (or _FILE).
//
// --json prints what the Pulumi CLI prints with --json: preview its
// preview digest (previewDigest), up, refresh and destroy the engine
// events as JSON lines (runJSON); peerpods' own result under the key
// "peerpods".
//
// Exit codes, those of the Pulumi CLI where the meaning is the same
// (https://www.pulumi.com/docs/iac/cli/exit-codes/): 0 success (with
// --expect-no-changes: no changes, no drift), 1 failure, 2 bad command
// line, 3, 4, 5 and 9 the engine's (authentication, resource error, policy
// violation, timeout), 6 no such stack (no stack file), 7 preview or
// refresh --expect-no-changes found changes, sweep found leftovers that
// remain, check found a fact that does not hold, 8 canceled (SIGINT,
// SIGTERM, or a confirmation answered no), 255 internal error (a panic);
// and 64 (EX_USAGE of sysexits.h: Pulumi has no code for it) for a --stack
// value that is not a valid stack name, refused before any file is looked
// at.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/peerpods/provisioner/components/smoke"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// Exit codes: the Pulumi CLI's stable exit codes (its "Error categories",
// from v3.226.1) where peerpods means the same. The Go runtime's own exit
// status for a crash outside the main goroutine is 2; it is a failure too.
const (
	// exitOK is success; preview and refresh --expect-no-changes: no
	// changes.
	exitOK = 0
	// exitFailure is any other failure (Pulumi: generic error), an engine
	// failure or an error diagnostic among them.
	exitFailure = 1
	// exitUsage is a bad command line (Pulumi: configuration and
	// validation error, "invalid or missing arguments"), but for an invalid
	// stack name (exitBadStackName).
	exitUsage = 2
	// exitAuthentication, exitResource, exitPolicy and exitTimeout are
	// passed through from the engine (engineExitCode): Pulumi's
	// authentication error, resource error (an operation of a provider
	// failed), policy violation and timeout.
	exitAuthentication = 3
	exitResource       = 4
	exitPolicy         = 5
	exitTimeout        = 9
	// exitNoStack is a stack without a stack file (Pulumi: stack not
	// found).
	exitNoStack = 6
	// exitChanges is a preview --expect-no-changes that found changes, a
	// refresh --expect-no-changes that found drift, a sweep that found leftovers
	// of cloud-api-adaptor that remain, or a check that found a fact that
	// does not hold (Pulumi: "no changes", an expectation about changes
	// not met).
	exitChanges = 7
	// exitCanceled is a command stopped by SIGINT or SIGTERM (Pulumi:
	// canceled run).
	exitCanceled = 8
	// exitBadStackName is a --stack value that is not a valid stack name
	// (path separators, "..", "." alone, an empty part, control characters
	// or characters Pulumi refuses). Pulumi has no code for it: it is
	// EX_USAGE of sysexits.h, a command-line usage error.
	exitBadStackName = 64
	// exitInternal is a panic in peerpods (Pulumi: internal error), never
	// the code of changes.
	exitInternal = 255
)

func main() {
	// The first SIGINT or SIGTERM cancels (the engine's graceful cancel),
	// a second one terminates the engine at once (see engine).
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	terminate := make(chan struct{})
	go func() {
		<-signals
		cancel()
		<-signals
		close(terminate)
	}()
	runner = func() (auto.PulumiCommand, error) { return newEngine(terminate) }
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	signal.Stop(signals)
	os.Exit(code)
}

// version is this command's version: make release sets it at link time
// (-ldflags -X main.version=X.Y.Z); peerpods version prints it.
var version = "dev"

// runner returns the Pulumi CLI runner of the workspaces; main sets it to
// an engine, tests leave the Automation API's own.
var runner = func() (auto.PulumiCommand, error) { return auto.NewPulumiCommand(nil) }

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// stackNameError is a --stack value that is not a valid stack name; its
// message names --stack and the fix.
type stackNameError struct{ msg string }

func (e stackNameError) Error() string { return e.msg }

// noStackError is a stack name without a stack file.
type noStackError struct{ msg string }

func (e noStackError) Error() string { return e.msg }

// codedError is a failure with its exit code: an engine failure whose
// code engineExitCode passes through.
type codedError struct {
	code int
	err  error
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }

// engineCode finds the Pulumi CLI's exit code in an Automation API error:
// the error type is unexported, its message says "\ncode: N\nstdout: ".
var engineCode = regexp.MustCompile(`\ncode: (-?[0-9]+)\nstdout: `)

// engineExitCode is the exit code of a failed engine run: the CLI's own
// when it is one of the codes that name the cause (authentication,
// resource error, policy violation, timeout), else exitFailure.
func engineExitCode(err error) int {
	if err == nil {
		return exitFailure
	}
	m := engineCode.FindStringSubmatch(err.Error())
	if m == nil {
		return exitFailure
	}
	switch code, _ := strconv.Atoi(m[1]); code {
	case exitAuthentication, exitResource, exitPolicy, exitTimeout:
		return code
	}
	return exitFailure
}

// changesFound is returned when a preview or refresh with --expect-no-changes
// has changes.
var changesFound = errors.New("changes found")

const usage = `usage: peerpods <init|discover|preview|up|destroy|refresh|outputs|sweep|check> --stack STACK [flags]
       peerpods fleet render --clusters FILE [--out DIR]
       peerpods version
run "peerpods <command> -h" for the flags of a command`

// run executes one command and returns the exit code; a panic is an
// internal error (exitInternal), printed with its stack.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "peerpods: internal error: %v\n%s", r, debug.Stack())
			code = exitInternal
		}
	}()
	return exitCode(ctx, dispatch(ctx, args, stdout, stderr), stderr)
}

// exitCode prints err (once) and returns its exit code.
func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	var ue usageError
	var ns noStackError
	var sn stackNameError
	var ce codedError
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "peerpods: canceled: %s\n", engineMessage(err))
		return exitCanceled
	case errors.Is(err, changesFound):
		return exitChanges
	case errors.Is(err, errDeclined):
		fmt.Fprintf(stderr, "peerpods: %s\n", err)
		return exitCanceled
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "peerpods: %s\n%s\n", ue.msg, usage)
		return exitUsage
	case errors.As(err, &sn):
		fmt.Fprintf(stderr, "peerpods: %s\n", sn.msg)
		return exitBadStackName
	case errors.As(err, &ns):
		fmt.Fprintf(stderr, "peerpods: %s\n", ns.msg)
		return exitNoStack
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "peerpods: %s\n", engineMessage(err))
		return ce.code
	default:
		fmt.Fprintf(stderr, "peerpods: %s\n", engineMessage(err))
		return engineExitCode(err)
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command"}
	}
	cmd, rest := args[0], args[1:]
	if cmd == "fleet" {
		return fleetCommand(rest, stdout)
	}
	if cmd == "version" || cmd == "--version" || cmd == "-version" {
		_, err := fmt.Fprintf(stdout, "peerpods %s\n", version)
		return err
	}
	fs := flag.NewFlagSet("peerpods "+cmd, flag.ContinueOnError)
	// The flag package would print a parse error and the flags; exitCode
	// prints the error once, -h prints the flags below.
	fs.SetOutput(io.Discard)
	var o options
	fs.StringVar(&o.stack, "stack", "", "stack name (letters, digits, '-', '_' and '.'), or org/stack or org/project/stack as the Pulumi CLI takes it (stacks/Pulumi.<stack>.yaml)")
	fs.StringVar(&o.backend, "backend", "", "state backend URL, such as file:///var/lib/peerpods (default: PULUMI_BACKEND_URL, else the Pulumi default)")
	fs.StringVar(&o.dir, "dir", "", "project directory (default: the nearest directory with Pulumi.yaml)")
	addRunFlags(fs, cmd, &o.run)
	var outFile string
	var previewOpts previewOptions
	var expectNoChanges, showSecrets, remove, configMap, manifests bool
	var initOpts initOptions
	var discoverOpts discoverOptions
	var sweepOpts sweepOptions
	var checkOpts checkOptions
	var ignoreLeftovers bool
	addSweepFlags(fs, cmd, &sweepOpts, &ignoreLeftovers)
	switch cmd {
	case "preview":
		fs.BoolVar(&previewOpts.json, "json", false, "print the preview as pulumi preview --json does (steps, diagnostics, changeSummary), the change report under \"peerpods\", instead of the Markdown report")
		fs.StringVar(&previewOpts.jsonFile, "report-json", "", "write the change report as JSON to this file")
		fs.StringVar(&previewOpts.markdownFile, "markdown", "", "write the change report as Markdown (a pull-request comment) to this file")
		fs.BoolVar(&previewOpts.expectNoChanges, "expect-no-changes", false, "exit 7 if the preview has changes (else changes exit 0), as pulumi preview --expect-no-changes")
	case "refresh":
		fs.BoolVar(&expectNoChanges, "expect-no-changes", false, "only check for drift: change no state, exit 7 on drift")
	case "destroy":
		fs.BoolVar(&remove, "remove", false, "remove the stack and its config history from the backend after destroying")
	case "outputs":
		fs.BoolVar(&showSecrets, "show-secrets", false, "show secret outputs in plain text")
		fs.StringVar(&outFile, "file", "", "write the outputs to this file instead of standard output")
		fs.BoolVar(&configMap, "configmap", false, "write the peer-pods-cm manifest (YAML) instead of the outputs")
		fs.BoolVar(&manifests, "manifests", false, "write every handoff object as YAML (handoff manifests; needs --show-secrets: it holds the secrets)")
	case "init":
		fs.StringVar(&initOpts.kubeconfig, "kubeconfig", "", "the cluster's kubeconfig file (read to discover the cluster; stored encrypted in the stack)")
		fs.StringVar(&initOpts.context, "context", "", "the kubeconfig context (default: its current one)")
		fs.StringVar(&initOpts.identity, "identity", "", "how CAA gets cloud credentials: cco (default), static or workload")
	case "discover":
		fs.StringVar(&discoverOpts.kubeconfig, "kubeconfig", "", "the cluster's kubeconfig file (default: the stack's peerpods:kubeconfig, decrypted by Pulumi)")
		fs.StringVar(&discoverOpts.context, "context", "", "the kubeconfig context (default: the stack's peerpods:kubeContext, else the current one)")
		fs.BoolVar(&discoverOpts.write, "write", false, "update the stack file (without it nothing changes, and a difference exits 7)")
	case "check":
		fs.BoolVar(&checkOpts.json, "json", false, "print the facts as one JSON object (for CI) instead of one line each")
		fs.BoolVar(&checkOpts.smoke, "smoke", false, "also run a pod on a pod VM in a scratch namespace, find its pod VM, delete both and the namespace")
		fs.StringVar(&checkOpts.smokeImage, "smoke-image", smoke.DefaultImage, "the smoke pod's image (it runs sleep 3600)")
		fs.DurationVar(&checkOpts.smokeTimeout, "smoke-timeout", 15*time.Minute, "how long each step of the smoke test waits at most")
	case "up", "sweep":
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "usage: peerpods %s --stack STACK [flags]\n", cmd)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 && cmd == "preview" && previewOpts.json {
		return usageError{fmt.Sprintf("unexpected argument %q: --json takes no file (it prints on standard output); write the report to a file with --report-json FILE", fs.Arg(0))}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	// The stack name is checked before anything looks at the file system.
	stackGiven := false
	fs.Visit(func(f *flag.Flag) { stackGiven = stackGiven || f.Name == "stack" })
	if !stackGiven {
		return usageError{"--stack is required"}
	}
	if err := validStackName(o.stack); err != nil {
		return err
	}
	if manifests && !showSecrets {
		return usageError{"--manifests writes the secrets in plain text: add --show-secrets to confirm"}
	}
	if manifests && configMap {
		return usageError{"--manifests and --configmap exclude each other"}
	}
	if cmd == "init" {
		return initStack(ctx, o, initOpts, stdout)
	}
	if cmd == "discover" {
		return discover(ctx, o, discoverOpts, stdout)
	}
	if cmd == "preview" {
		engine, notes, err := openPreview(ctx, o, stderr)
		if err != nil {
			return err
		}
		for _, n := range notes {
			fmt.Fprintf(stderr, "peerpods: %s\n", n)
		}
		return runPreview(ctx, o.stack, engine, notes, previewOpts, stdout, stderr)
	}
	s, err := open(ctx, o)
	if err != nil {
		return err
	}
	switch cmd {
	case "up":
		return s.up(ctx, o.run, terminal(os.Stdin), os.Stdin, stdout, stderr)
	case "destroy":
		if !ignoreLeftovers {
			if err := s.checkLeftovers(ctx); err != nil {
				return err
			}
		}
		return s.destroy(ctx, o.run, remove, terminal(os.Stdin), os.Stdin, stdout, stderr)
	case "sweep":
		return s.sweep(ctx, sweepOpts, terminal(os.Stdin), os.Stdin, stdout)
	case "check":
		return s.check(ctx, checkOpts, stdout, stderr)
	case "refresh":
		return s.refresh(ctx, o.run, expectNoChanges, stdout, stderr)
	default:
		format := outputJSON
		switch {
		case configMap:
			format = outputConfigMap
		case manifests:
			format = outputManifests
		}
		return s.outputs(ctx, showSecrets, format, outFile, stdout)
	}
}

// engineMessage is the message of an error, for an error of the
// Automation API without the copy of the CLI's standard output and error
// it carries: the commands stream those as progress already.
func engineMessage(err error) string {
	s := err.Error()
	if i := strings.Index(s, "\ncode: "); i >= 0 && strings.Contains(s[i:], "\nstdout: ") {
		s = s[:i]
	}
	return s
}
