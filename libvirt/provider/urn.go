package provider

import (
	"context"

	p "github.com/pulumi/pulumi-go-provider"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// urnKey keys the URN of the resource a Create or Delete serves in its
// context.
type urnKey struct{}

// withURN passes the URN of the resource being created or deleted to the
// resource's Create and Delete in their context: infer's requests carry
// no URN, and a volume's create marker names its resource (marker.go), a
// refusal to delete names the stack's sweep command.
func withURN(prov p.Provider) p.Provider {
	if del := prov.Delete; del != nil {
		prov.Delete = func(ctx context.Context, req p.DeleteRequest) error {
			return del(context.WithValue(ctx, urnKey{}, req.Urn), req)
		}
	}
	if create := prov.Create; create != nil {
		prov.Create = func(ctx context.Context, req p.CreateRequest) (p.CreateResponse, error) {
			return create(context.WithValue(ctx, urnKey{}, req.Urn), req)
		}
	}
	return prov
}

// urnOf returns the URN of the resource a Create or Delete serves, ""
// outside one.
func urnOf(ctx context.Context) presource.URN {
	u, _ := ctx.Value(urnKey{}).(presource.URN)
	return u
}

// stackOf returns the stack of the resource a Delete serves, "" outside
// one.
func stackOf(ctx context.Context) string {
	u := urnOf(ctx)
	if !u.IsValid() {
		return ""
	}
	return u.Stack().String()
}
