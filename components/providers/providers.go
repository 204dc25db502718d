package providers

import (
	"fmt"
	"reflect"

	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RequireProvider finds the provider of package pkg (aws, azure-native,
// kubernetes, ...) among the Provider and Providers options, so that a
// component never falls back to a default provider. It accepts a typed
// provider of the package's Go SDK and a provider passed from another
// language to the plugin's component (a provider reference, which the Go
// SDK makes an untyped ProviderResourceState). what names the provider
// in the error, such as "AWS".
func RequireProvider(pkg, what string, opts []pulumi.ResourceOption) (pulumi.ProviderResource, error) {
	o, err := pulumi.NewResourceOptions(opts...)
	if err != nil {
		return nil, err
	}
	candidates := append([]pulumi.ProviderResource{o.Provider}, o.Providers...)
	for _, c := range candidates {
		if ProviderPackage(c) == pkg {
			return c, nil
		}
	}
	return nil, problems.Invalid("provider", fmt.Sprintf("for %s is not given", what),
		fmt.Sprintf("pass an explicit %s provider (package %s) with pulumi.Providers(p) or pulumi.Provider(p), or the providers resource option in another language; this component never uses a default provider", what, pkg))
}

// ProviderPackage returns the package of provider p, as the engine knows
// it (the type pulumi:providers:<package>), "" for nil. The Go SDK keeps
// it unexported in ProviderResourceState (the getPackage method), which
// every provider, typed or a reference, embeds or is.
func ProviderPackage(p pulumi.ProviderResource) string {
	v := reflect.ValueOf(p)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	state := reflect.TypeFor[pulumi.ProviderResourceState]()
	if v.Type() != state {
		f, ok := v.Type().FieldByName(state.Name())
		if !ok || f.Type != state {
			return ""
		}
		v = v.FieldByIndex(f.Index)
	}
	pkg := v.FieldByName("pkg")
	if pkg.Kind() != reflect.String {
		return ""
	}
	return pkg.String()
}

// OptionalString is a string input for a provider argument, nil for "" so
// that the provider uses its own default.
func OptionalString(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}
