package provider

import (
	"context"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Unknown inputs.
//
// In a preview, an input fed by an output of a resource that is yet to be
// created or updated (KvmHostAccess's libvirtUri, privateKey and hostKey,
// for the pool and the volume) is unknown. pulumi-go-provider's infer
// decodes the inputs into the args struct with infer/internal/ende
// (ende.walk): an unknown string becomes "", an unknown number 0, an
// unknown optional a pointer to that zero value. So a Check or Diff that
// only looks at the struct takes an unknown for a value. This file keeps
// track of which inputs are unknown:
//
//   - Check gets the inputs as a property.Map (infer.CheckRequest.NewInputs)
//     and reads the unknowns from it (unknownInputs); it validates only
//     the known inputs. The args it returns come from infer.DefaultCheck,
//     whose encoder puts the unknowns back where they were
//     (infer/resource.go, derivedResourceController.Check re-encodes the
//     returned args with it; ende.Encoder.Encode), so the checked inputs
//     keep them, but for secret ones (see withUnknownInputs).

// unknowns is the set of a request's top-level inputs that are, or hold,
// unknown values.
type unknowns map[string]bool

// unknownInputs returns the top-level inputs of m that are, or hold,
// unknown (computed) values, secret or not.
func unknownInputs(m property.Map) unknowns {
	u := unknowns{}
	for k, v := range m.All {
		if v.HasComputed() {
			u[k] = true
		}
	}
	return u
}

// withUnknownInputs wraps prov so that unknown inputs stay unknown:
//
//   - Check: an input unknown in the request is unknown in the checked
//     inputs. infer returns a secret unknown input as a known secret ""
//     (pulumi-go-provider v1.4.0 infer/apply_secrets.go,
//     secretsWalker.walk: the deferred MakeSecret(p) overwrites what the
//     deferred MakeComputed(p) returned), which would turn
//     KvmHostAccess.privateKey, unknown in a preview, into an empty key.
//     The value the engine sent is put back.
func withUnknownInputs(prov p.Provider) p.Provider {
	if check := prov.Check; check != nil {
		prov.Check = func(ctx context.Context, req p.CheckRequest) (p.CheckResponse, error) {
			resp, err := check(ctx, req)
			if err != nil {
				return resp, err
			}
			for k, in := range req.Inputs.All {
				if out, ok := resp.Inputs.GetOk(k); in.IsComputed() && ok && !out.IsComputed() {
					resp.Inputs = resp.Inputs.Set(k, in.WithSecret(in.Secret() || out.Secret()))
				}
			}
			return resp, nil
		}
	}
	return prov
}
