package provider

import (
	"context"

	p "github.com/pulumi/pulumi-go-provider"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// urnKey keys the URN of the resource a Delete serves in its context.
type urnKey struct{}

// withDeleteURN passes the URN of the resource being deleted to the
// resource's Delete in its context: infer's DeleteRequest carries only
// the ID and the state, and a refusal names the stack's sweep command.
func withDeleteURN(prov p.Provider) p.Provider {
	del := prov.Delete
	if del == nil {
		return prov
	}
	prov.Delete = func(ctx context.Context, req p.DeleteRequest) error {
		return del(context.WithValue(ctx, urnKey{}, req.Urn), req)
	}
	return prov
}

// stackOf returns the stack of the resource a Delete serves, "" outside
// one.
func stackOf(ctx context.Context) string {
	u, ok := ctx.Value(urnKey{}).(presource.URN)
	if !ok || !u.IsValid() {
		return ""
	}
	return u.Stack().String()
}
