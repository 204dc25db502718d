package components

import (
	"fmt"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RequireProvider finds the provider of type P among the Provider and
// Providers options, so that a component never falls back to a default
// provider. what names the provider in the error, such as "AWS".
func RequireProvider[P pulumi.ProviderResource](what string, opts []pulumi.ResourceOption) (P, error) {
	var zero P
	o, err := pulumi.NewResourceOptions(opts...)
	if err != nil {
		return zero, err
	}
	candidates := append([]pulumi.ProviderResource{o.Provider}, o.Providers...)
	for _, c := range candidates {
		if p, ok := c.(P); ok && !isNil(p) {
			return p, nil
		}
	}
	return zero, Invalid("provider", fmt.Sprintf("for %s is not given", what),
		fmt.Sprintf("pass an explicit %s provider with pulumi.Providers(p) or pulumi.Provider(p); this component never uses a default provider", what))
}

func isNil(p pulumi.ProviderResource) bool {
	if p == nil {
		return true
	}
	v := reflect.ValueOf(p)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// OptionalString is a string input for a provider argument, nil for "" so
// that the provider uses its own default.
func OptionalString(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}
