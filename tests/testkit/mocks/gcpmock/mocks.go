// Package gcpmock holds the fakes of cloud gcp for tests on Pulumi
// mocks: the answers of its discovery invokes, the outputs of its
// resources, the secret values of its example stacks.
package gcpmock

import (
	"github.com/peerpods/provisioner/tests/testkit/mocks"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Mocks are the fakes of the cloud: every network exists.
func Mocks() mocks.Mocks {
	return mocks.Mocks{
		Calls: map[string]func(resource.PropertyMap) (resource.PropertyMap, error){
			"gcp:compute/getNetwork:getNetwork": func(a resource.PropertyMap) (resource.PropertyMap, error) {
				return resource.NewPropertyMapFromMap(map[string]any{"selfLink": "https://www.googleapis.com/compute/v1/projects/p/global/networks/" + a["name"].StringValue()}), nil
			},
		},
		Secrets: map[string]string{
			"peerpods:gcpCredentials": `{"type":"service_account","client_email":"pp@p.iam.gserviceaccount.com","private_key":"` + mocks.FakeSecret + `"}`,
		},
	}
}
