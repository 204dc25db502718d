package providers

import (
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestRequireProviderByPackage: a typed provider of a package's Go SDK
// and an untyped provider state registered for the package (what the Go
// SDK makes of a provider reference from another language) are found by
// package; a provider of another package, or none, is refused naming
// the package.
func TestRequireProviderByPackage(t *testing.T) {
	err := pulumitest.Run(&pulumitest.Mocks{}, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		typed, err := tls.NewProvider(ctx, "tls", &tls.ProviderArgs{})
		if err != nil {
			return err
		}
		var untyped pulumi.ProviderResourceState
		if err := ctx.RegisterResource("pulumi:providers:kubernetes", "k8s", nil, &untyped); err != nil {
			return err
		}
		if got := ProviderPackage(typed); got != "tls" {
			t.Errorf("package of a tls.Provider: %q", got)
		}
		if got := ProviderPackage(&untyped); got != "kubernetes" {
			t.Errorf("package of an untyped kubernetes provider: %q", got)
		}
		if got := ProviderPackage(nil); got != "" {
			t.Errorf("package of nil: %q", got)
		}
		opts := []pulumi.ResourceOption{pulumi.Providers(typed, &untyped)}
		if p, err := RequireProvider("kubernetes", "Kubernetes", opts); err != nil || p != &untyped {
			t.Errorf("kubernetes among the providers: %v, %v", p, err)
		}
		if p, err := RequireProvider("tls", "TLS", []pulumi.ResourceOption{pulumi.Provider(typed)}); err != nil || p != typed {
			t.Errorf("tls as the provider: %v, %v", p, err)
		}
		_, err = RequireProvider("aws", "AWS", opts)
		pulumitest.RequireInputError(t, err, "provider", "pass an explicit AWS provider (package aws)")
		_, err = RequireProvider("aws", "AWS", nil)
		pulumitest.RequireInputError(t, err, "provider", "pass an explicit AWS provider (package aws)")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
