// Package providertest serves a provider built like the plugin's in
// pulumi-go-provider's integration server (in process, no engine), under
// the plugin's name and version, for the tests of the provider, the
// plugin and the resources it serves.
package providertest

import (
	"testing"

	"github.com/blang/semver"
	"github.com/peerpods/provisioner/libvirt/provider"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
)

// Server builds the provider with build (such as provider.New or
// plugin.New) and serves it with opts; a failure of either fails the
// test.
func Server(t testing.TB, build func() (p.Provider, error), opts ...integration.ServerOption) integration.Server {
	t.Helper()
	prov, err := build()
	if err != nil {
		t.Fatalf("building the provider: %v", err)
	}
	s, err := integration.NewServer(t.Context(), provider.Name, semver.MustParse(provider.Version),
		append([]integration.ServerOption{integration.WithProvider(prov)}, opts...)...)
	if err != nil {
		t.Fatalf("serving the provider: %v", err)
	}
	return s
}
