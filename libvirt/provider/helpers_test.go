package provider_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/peerpods/provisioner/tests/testkit/providertest"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Helpers shared by the unit tests and the e2e tests (build tag e2e).

// server runs the provider in pulumi-go-provider's integration server
// (in process, no engine).
func server(t *testing.T) integration.Server {
	t.Helper()
	return providertest.Server(t, func() (p.Provider, error) { return provider.New() })
}

// configured runs the provider configured as the engine configures a
// provider instance: CheckConfig, then Configure with the checked values.
func configured(t *testing.T, cfg map[string]any) integration.Server {
	t.Helper()
	s, err := tryConfigured(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tryConfigured is configured, returning check failures and errors.
func tryConfigured(t *testing.T, cfg map[string]any) (integration.Server, error) {
	t.Helper()
	s := server(t)
	resp, err := s.CheckConfig(p.CheckRequest{Urn: urn(providerType), Inputs: props(cfg)})
	if err != nil {
		return nil, fmt.Errorf("CheckConfig: %w", err)
	}
	if len(resp.Failures) > 0 {
		return nil, checkError(resp.Failures)
	}
	if err := s.Configure(p.ConfigureRequest{Args: resp.Inputs}); err != nil {
		return nil, fmt.Errorf("Configure: %w", err)
	}
	return s, nil
}

// props builds a property map from plain values (int as number, []string
// as an array) and property.Values.
func props(m map[string]any) property.Map {
	out := map[string]property.Value{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = property.New(v)
		case int:
			out[k] = property.New(float64(v))
		case bool:
			out[k] = property.New(v)
		case []string:
			var a []property.Value
			for _, e := range v {
				a = append(a, property.New(e))
			}
			out[k] = property.New(a)
		case property.Value:
			out[k] = v
		default:
			panic(k)
		}
	}
	return property.NewMap(out)
}

// urn is the URN of a test resource of type typ.
func urn(typ string) resource.URN {
	return resource.NewURN("test", "provider", "", tokens.Type(typ), "test")
}

// Resource tokens.
const (
	poolType   = "peerpods:libvirt:StoragePool"
	volumeType = "peerpods:libvirt:StorageVolume"
	accessType = "peerpods:libvirt:KvmHostAccess"
	// providerType is the type of a provider instance.
	providerType = "pulumi:providers:peerpods"
)

// checkError is check failures as an error.
type checkError []p.CheckFailure

func (c checkError) Error() string {
	var parts []string
	for _, f := range c {
		parts = append(parts, f.Property+": "+f.Reason)
	}
	return "check failed: " + strings.Join(parts, "; ")
}

// wantErr fails unless err is an error containing every one of parts.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got none", parts)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Fatalf("want an error containing %q, got: %v", part, err)
		}
	}
}
