package provider

import (
	"context"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Bootstrap credentials never reach the state.
//
// The engine records a resource's checked inputs, the response of Check,
// in the state as they are (secrets encrypted): pulumi pkg
// resource/deploy/step_generator.go, continueStepsFromImport (the rest of
// generateSteps), sets the new state's inputs to what the provider's Check
// returned (new.Inputs = inputs). An input cannot be marked
// write-only. KvmHostAccess needs its password or bootstrap key only to
// install its key (Create, or the Update of a key found missing). So
// Check takes them out of the inputs it returns and keeps them in the
// plugin process, by the resource's URN; Create and Update get them back.
// The engine checks a resource's inputs, in the same provider process,
// before it creates or updates it in a deployment (generateSteps, then
// the create or update step). Neither the inputs nor the outputs in the
// state hold them: a later run checks them again from the program.

// kvmHostAccessToken is KvmHostAccess's type token.
const kvmHostAccessToken tokens.Type = TypeKvmHostAccess

// bootstrapInputs are the KvmHostAccess inputs kept out of the state.
var bootstrapInputs = []string{"password", "bootstrapPrivateKey"}

// bootstrapStash holds the bootstrap credentials Check took out, by URN.
type bootstrapStash struct {
	mu    sync.Mutex
	byURN map[presource.URN]map[string]property.Value
}

// withBootstrapStash wraps prov's Check, Create and Update of
// KvmHostAccess so that the bootstrap credentials are passed from Check
// to Create and Update inside the process instead of through the state.
func withBootstrapStash(prov p.Provider) p.Provider {
	s := &bootstrapStash{byURN: map[presource.URN]map[string]property.Value{}}
	check, create, update := prov.Check, prov.Create, prov.Update
	prov.Check = func(ctx context.Context, req p.CheckRequest) (p.CheckResponse, error) {
		resp, err := check(ctx, req)
		if err != nil || req.Urn.Type() != kvmHostAccessToken {
			return resp, err
		}
		resp.Inputs = s.take(req.Urn, resp.Inputs)
		return resp, nil
	}
	prov.Create = func(ctx context.Context, req p.CreateRequest) (p.CreateResponse, error) {
		if req.Urn.Type() == kvmHostAccessToken {
			req.Properties = s.give(req.Urn, req.Properties)
		}
		return create(ctx, req)
	}
	prov.Update = func(ctx context.Context, req p.UpdateRequest) (p.UpdateResponse, error) {
		if req.Urn.Type() == kvmHostAccessToken {
			req.Inputs = s.give(req.Urn, req.Inputs)
		}
		return update(ctx, req)
	}
	return prov
}

// take removes the bootstrap credentials from checked inputs, keeping the
// known ones for urn (an unknown one, in a preview, is not needed: a
// preview installs nothing).
func (s *bootstrapStash) take(urn presource.URN, in property.Map) property.Map {
	kept := map[string]property.Value{}
	for _, k := range bootstrapInputs {
		if v, ok := in.GetOk(k); ok {
			if !v.HasComputed() && !v.IsNull() {
				kept[k] = v
			}
			in = in.Delete(k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byURN[urn] = kept
	return in
}

// give puts the credentials Check kept for urn back into inputs.
func (s *bootstrapStash) give(urn presource.URN, in property.Map) property.Map {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.byURN[urn] {
		in = in.Set(k, v)
	}
	return in
}
