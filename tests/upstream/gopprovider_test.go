package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// The bugs of pulumi-go-provider reproduced here, described in
// docs/upstream/pulumi-go-provider.md, and worked around in
// libvirt/provider/unknowns.go.

// Thing is a resource with one string input, for a Check.
type Thing struct{}

// ThingArgs are Thing's inputs.
type ThingArgs struct {
	Key string `pulumi:"key"`
}

// ThingState is Thing's state.
type ThingState struct {
	ThingArgs
}

// Create creates nothing.
func (*Thing) Create(_ context.Context, req infer.CreateRequest[ThingArgs]) (infer.CreateResponse[ThingState], error) {
	return infer.CreateResponse[ThingState]{ID: "thing", Output: ThingState{req.Inputs}}, nil
}

// Config is a provider configuration with one secret string.
type Config struct {
	Key string `pulumi:"key,optional" provider:"secret"`
}

// newServer serves a provider of Thing and Config, built with infer.
func newServer(t *testing.T) integration.Server {
	t.Helper()
	prov, err := infer.NewProviderBuilder().
		WithNamespace("upstream").
		WithConfig(infer.Config(&Config{})).
		WithResources(infer.Resource(&Thing{})).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(t.Context(), "upstream", semver.MustParse("1.0.0"), integration.WithProvider(prov))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// thing is the URN of a Thing.
var thing = resource.NewURN("stack", "project", "", "upstream:upstream:Thing", "thing")

// providerURN is the URN of the provider's default instance.
var providerURN = resource.NewURN("stack", "project", "", "pulumi:providers:upstream", "default")

// unknown is an unknown input, as the engine sends one in a preview.
func unknown() property.Value { return property.New(property.Computed) }

const fixedCheck = "the bug is fixed upstream (pulumi-go-provider's infer Check keeps a secret unknown input unknown): " +
	"remove the workaround keepUnknowns in libvirt/provider/unknowns.go and this test, and update docs/upstream/pulumi-go-provider.md"

// TestInferCheckSecretUnknownBecomesKnown: infer's Check and CheckConfig
// return a secret unknown input as a known secret "" (infer/apply_secrets.go,
// secretsWalker.walk), while they keep an unknown that is not secret.
func TestInferCheckSecretUnknownBecomesKnown(t *testing.T) {
	s := newServer(t)
	checks := map[string]func(p.CheckRequest) (p.CheckResponse, error){
		"Check":       s.Check,
		"CheckConfig": s.CheckConfig,
	}
	urns := map[string]resource.URN{
		"Check":       thing,
		"CheckConfig": providerURN,
	}
	for name, check := range checks {
		t.Run(name, func(t *testing.T) {
			checked := func(in property.Value) property.Value {
				t.Helper()
				resp, err := check(p.CheckRequest{Urn: urns[name], Inputs: property.NewMap(map[string]property.Value{"key": in})})
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Failures) > 0 {
					t.Fatalf("check failures: %v", resp.Failures)
				}
				return resp.Inputs.Get("key")
			}

			// The control: an unknown that is not secret stays unknown.
			if got := checked(unknown()); !got.IsComputed() {
				t.Fatalf("an unknown input comes back as %v, want it unknown: the reproduction no longer holds", got)
			}

			got := checked(unknown().WithSecret(true))
			switch {
			case got.IsComputed():
				t.Fatalf("a secret unknown input comes back unknown (%v): %s", got, fixedCheck)
			case got.IsString() && got.AsString() == "" && got.Secret():
				t.Logf("a secret unknown input comes back as %v: the bug is still there", got)
			default:
				t.Fatalf("a secret unknown input comes back as %v, neither unknown nor a secret \"\": check the workaround in libvirt/provider/unknowns.go", got)
			}
		})
	}
}

// reproEnv names the reproduction the test binary runs in a subprocess.
const reproEnv = "PEERPODS_UPSTREAM_REPRO"

// survived is what the subprocess prints when CheckConfig returns.
const survived = "CheckConfig returned"

const fixedConfig = "the bug is fixed upstream (pulumi-go-provider's complexconfig fixEncoding ends on an output value): " +
	"remove the workaround hideUnknownConfig in libvirt/provider/unknowns.go and this test, and update docs/upstream/pulumi-go-provider.md"

// TestComplexConfigOutputOverflows: infer's CheckConfig, wrapped in
// middleware/complexconfig, recurses without end in fixEncoding on a
// configuration value that converts to a resource.Output: one with
// dependencies, such as a secret unknown output of another resource. The
// process dies of a stack overflow. The call runs in a subprocess (this test binary, run again),
// with its stack limit lowered to 64 MiB so that it dies fast and small.
func TestComplexConfigOutputOverflows(t *testing.T) {
	if os.Getenv(reproEnv) == "complexconfig" {
		debug.SetMaxStack(64 << 20)
		s := newServer(t)
		resp, err := s.CheckConfig(p.CheckRequest{
			Urn:    providerURN,
			Inputs: property.NewMap(map[string]property.Value{"key": unknown().WithSecret(true).WithDependencies([]resource.URN{thing})}),
		})
		fmt.Printf("%s: %v, %v\n", survived, resp.Inputs, err)
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestComplexConfigOutputOverflows$", "-test.count=1")
	cmd.Env = append(os.Environ(), reproEnv+"=complexconfig")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := out.String()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("the subprocess did not end within the timeout (%v); its output:\n%s", ctx.Err(), tail(text))
	case strings.Contains(text, survived):
		t.Fatalf("CheckConfig of a value with dependencies returned: %s\n%s", fixedConfig, tail(text))
	case !errors.As(err, &exit):
		t.Fatalf("running the subprocess: %v", err)
	case !strings.Contains(text, "goroutine stack exceeds") || !strings.Contains(text, "stack overflow"):
		t.Fatalf("the subprocess failed (%v) but not of a stack overflow: %s\n%s", err, fixedConfig, tail(text))
	case !strings.Contains(text, "middleware/complexconfig.fixEncoding"):
		t.Fatalf("the subprocess died of a stack overflow, but not in complexconfig.fixEncoding:\n%s", tail(text))
	default:
		t.Logf("CheckConfig of a value with dependencies dies of a stack overflow in complexconfig.fixEncoding (%v): the bug is still there", err)
	}
}

// tail is the end of a subprocess's output, for a message.
func tail(s string) string {
	const n = 4000
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
