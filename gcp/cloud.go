package gcp

import (
	"github.com/peerpods/provisioner/components/cloud"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/values"
	gcpp "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cloud is GCP in the registry of clouds.
type Cloud struct{}

var _ cloud.Cloud = Cloud{}

// Name implements cloud.Cloud.
func (Cloud) Name() contract.Cloud { return contract.GCP }

// NewStack implements cloud.Cloud.
func (Cloud) NewStack() cloud.Stack { return &Stack{} }

// Credentials implements cloud.Cloud: the service account key is a
// peer-pods-secret key of the contract.
func (Cloud) Credentials() []string { return nil }

// Component implements cloud.Cloud: PeerPods.
func (Cloud) Component() infer.InferredComponent { return infer.ComponentF(NewPeerPods) }

// Examples implements cloud.Cloud.
func (Cloud) Examples() []string { return []string{"gcp-example"} }

// Stack is peerpods:gcp: the component's arguments (the provider uses its
// project and zone).
type Stack struct {
	Args
}

// Prepare implements cloud.Stack.
func (s *Stack) Prepare(in cloud.Input) {
	if raw, ok := in.Raw(); ok && cloud.SetEmpty(raw, "podvmImageName") {
		in.Check(problems.Invalid("gcp.podvmImageName", "is empty, and cloud-api-adaptor exits without PODVM_IMAGE_NAME",
			"name the pod VM image in the project (gcloud compute images list), or remove the setting to let the operator's image job build one"))
	}
	s.Settings = in.Settings()
	s.Identity = in.Identity()
	s.Args = s.Args.WithDefaults()
	in.Check(s.Args.Validate())
}

// Deploy implements cloud.Stack: the GCP provider for the project and
// zone, and PeerPods.
func (s *Stack) Deploy(ctx *pulumi.Context, in cloud.Deploy) (values.Result, error) {
	args := s.Args
	if contract.WritesSecret(args.Identity) {
		args.Credentials = in.Secret(contract.KeyGCPCredentials)
	}
	provider, err := gcpp.NewProvider(ctx, "gcp", &gcpp.ProviderArgs{
		Project: pulumi.String(args.ProjectID),
		Zone:    pulumi.String(args.Zone),
	})
	if err != nil {
		return values.Result{}, err
	}
	return values.ResultOf(NewPeerPods(ctx, "peerpods", args, pulumi.Provider(provider)))
}

// Mocks implements cloud.Cloud: every network exists.
func (Cloud) Mocks() cloud.Mocks {
	return cloud.Mocks{
		Calls: map[string]func(resource.PropertyMap) (resource.PropertyMap, error){
			"gcp:compute/getNetwork:getNetwork": func(a resource.PropertyMap) (resource.PropertyMap, error) {
				return resource.NewPropertyMapFromMap(map[string]any{"selfLink": "https://www.googleapis.com/compute/v1/projects/p/global/networks/" + a["name"].StringValue()}), nil
			},
		},
		Secrets: map[string]string{
			"peerpods:gcpCredentials": `{"type":"service_account","client_email":"pp@p.iam.gserviceaccount.com","private_key":"` + cloud.FakeSecret + `"}`,
		},
	}
}
