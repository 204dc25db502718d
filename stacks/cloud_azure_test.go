//go:build !peerpods_clouds || azure

package stacks

import (
	"github.com/peerpods/provisioner/tests/testkit/mocks/azuremock"
	"reflect"
	"slices"
	"testing"

	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// azureInput is a stack's settings as Prepare reads them.
type azureInput struct {
	identity contract.Identity
	set      []string          // top-level settings that are set
	secrets  map[string]string // credential settings
	problems problems.List
}

func (in *azureInput) Settings() *common.Settings   { return common.NewSettings(contract.Azure) }
func (in *azureInput) Handoff() handoff.Mode        { return handoff.ModeOff }
func (in *azureInput) Identity() contract.Identity  { return in.identity }
func (in *azureInput) Raw() (string, bool)          { return "", false }
func (in *azureInput) Has(key string) bool          { return slices.Contains(in.set, key) }
func (in *azureInput) Credential(key string) Secret { return NewSecret(in.secrets[key]) }
func (in *azureInput) Check(err error)              { in.problems.Add(err) }

// stackSecrets are the stack's peer-pods-secret values.
var stackSecrets = map[string]string{
	contract.KeyAzureClientID: "0a1b2c3d-0000-4000-8000-00000000c11d", contract.KeyAzureClientSecret: "s3cr3t", contract.KeyAzureTenantID: "0a1b2c3d-0000-4000-8000-0000000071d0",
}

// deployAzureStack prepares s for identity and deploys it on the test cloud's
// mocks; the stack's secrets are all set.
func deployAzureStack(t *testing.T, s *azureStack, identity contract.Identity) (*pulumitest.Mocks, values.Result, []string) {
	t.Helper()
	in := &azureInput{identity: identity}
	s.Prepare(in)
	if err := in.problems.Err(); err != nil {
		t.Fatal(err)
	}
	m := azuremock.Mocks().Recording()
	var res values.Result
	var asked []string
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		var err error
		res, err = s.Deploy(ctx, DeployArgs{
			Secret: func(key string) pulumi.StringInput {
				asked = append(asked, key)
				return NewSecret(stackSecrets[key]).Input()
			},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, res, asked
}

// TestStackIdentity: Prepare takes peerpods:identity; Deploy hands the
// client credentials to the component in static mode only.
func TestStackIdentity(t *testing.T) {
	for _, id := range contract.IdentitiesOf(contract.Azure) {
		t.Run(string(id), func(t *testing.T) {
			s := &azureStack{Args: azure.Args{ResourceGroup: azureRG, OIDCIssuer: azureIssuer}}
			m, res, asked := deployAzureStack(t, s, id)
			if s.Identity != id || res.Values.Identity != id {
				t.Errorf("stack identity %q, values %q", s.Identity, res.Values.Identity)
			}
			if err := res.Values.CheckComplete(); err != nil {
				t.Errorf("values break the contract: %v", err)
			}
			switch id {
			case contract.IdentityStatic:
				sec, _ := pulumitest.Await(t, res.Values.SecretOutput())
				want := map[string]string{"AZURE_SUBSCRIPTION_ID": azureSub}
				for k, v := range stackSecrets {
					want[k] = v
				}
				if !reflect.DeepEqual(sec, want) {
					t.Errorf("secret %v\nwant %v", sec, want)
				}
			default:
				if len(asked) != 0 || res.Values.Secret != nil {
					t.Errorf("asked for %v, secret %v", asked, res.Values.Secret)
				}
			}
			if got := len(m.OfType(tIdentity)); (id == contract.IdentityWorkload) != (got == 1) {
				t.Errorf("%d managed identities", got)
			}
		})
	}
}

// TestStackChecksSSHKey: a supplied ssh-key-secret key is checked in every
// identity mode.
func TestStackChecksSSHKey(t *testing.T) {
	for _, id := range contract.IdentitiesOf(contract.Azure) {
		in := &azureInput{identity: id, secrets: map[string]string{SSHPrivateKeySetting: "ssh-rsa AAAA"}}
		s := &azureStack{Args: azure.Args{ResourceGroup: azureRG, OIDCIssuer: azureIssuer}}
		s.Prepare(in)
		ies := problems.InputErrors(in.problems.Err())
		if len(ies) != 1 || ies[0].Setting != SSHPrivateKeySetting {
			t.Errorf("%s: %v", id, in.problems.Err())
		}
	}
}

// The Azure cluster of the tests: azuremock's resource group, a
// ccoctl-published service account azureIssuer.
const (
	azureSub    = "11111111-2222-3333-4444-555555555555"
	azureRG     = azuremock.RG
	azureIssuer = "https://mycluster0oidc.blob.core.windows.net/mycluster-x7k2p"
	tIdentity   = "azure:authorization/userAssignedIdentity:UserAssignedIdentity"
)
