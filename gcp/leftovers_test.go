package gcp_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/gcp"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestLeftovers: Cloud Asset Inventory finds a pod VM on the stack's
// network, one on another network, a worker, and a disk named like a pod
// VM: only the first is listed, with the gcloud command deleting it in
// its zone.
func TestLeftovers(t *testing.T) {
	const (
		project = "my-project"
		net     = "https://www.googleapis.com/compute/v1/projects/my-project/global/networks/"
		link    = "https://www.googleapis.com/compute/v1/projects/my-project/zones/us-central1-b/instances/podvm-nginx-1a2b3c4d"
	)
	pm := resource.NewPropertyMapFromMap
	instances := map[string]map[string]any{
		"podvm-nginx-1a2b3c4d": {"currentStatus": "RUNNING", "selfLink": link, "networkInterfaces": []any{map[string]any{"network": net + "cluster-network"}}},
		"podvm-other-55555555": {"currentStatus": "RUNNING", "networkInterfaces": []any{map[string]any{"network": net + "another"}}},
	}
	var read []string
	m := &pulumitest.Mocks{Calls: map[string]pulumitest.CallFunc{
		"gcp:cloudasset/getSearchAllResources:getSearchAllResources": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			if args["scope"].StringValue() != "projects/"+project || args["assetTypes"].ArrayValue()[0].StringValue() != "compute.googleapis.com/Instance" {
				t.Errorf("search %v", args)
			}
			return pm(map[string]any{"results": []any{
				map[string]any{"assetType": "compute.googleapis.com/Instance", "displayName": "podvm-nginx-1a2b3c4d", "location": "us-central1-b"},
				map[string]any{"assetType": "compute.googleapis.com/Instance", "displayName": "podvm-other-55555555", "location": "us-central1-a"},
				map[string]any{"assetType": "compute.googleapis.com/Instance", "displayName": "cluster-worker-podvm", "location": "us-central1-a"},
				map[string]any{"assetType": "compute.googleapis.com/Disk", "displayName": "podvm-disk-66666666", "location": "us-central1-a"},
			}}), nil
		},
		"gcp:compute/getInstance:getInstance": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			name := args["name"].StringValue()
			read = append(read, name)
			return pm(instances[name]), nil
		},
	}}
	var got []leftovers.Item
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) (err error) {
		got, err = gcp.Leftovers(ctx, map[string]string{contract.KeyGCPProjectID: project, contract.KeyGCPZone: "us-central1-b", contract.KeyGCPNetwork: "global/networks/cluster-network"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []leftovers.Item{{Kind: "instance", Name: "podvm-nginx-1a2b3c4d", ID: link, Where: "network cluster-network", CAA: true,
		Note: "running in us-central1-b, boot disk deleted with it", Command: "gcloud compute instances delete podvm-nginx-1a2b3c4d --project my-project --zone us-central1-b --quiet"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("leftovers:\n got %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(read, []string{"podvm-nginx-1a2b3c4d", "podvm-other-55555555"}) {
		t.Errorf("instances read %v", read)
	}
	provs := m.OfType("pulumi:providers:gcp")
	if len(provs) != 1 || provs[0].Inputs["project"].StringValue() != project {
		t.Fatalf("providers %+v", provs)
	}
	for _, inv := range m.Invokes() {
		if inv.Provider != provs[0].Ref() {
			t.Errorf("%s through provider %q, want the sweep's", inv.Token, inv.Provider)
		}
	}
}

// TestLeftoversNeedsTheNetwork: no GCP_NETWORK is an error naming the fix.
func TestLeftoversNeedsTheNetwork(t *testing.T) {
	err := pulumitest.Run(&pulumitest.Mocks{}, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		_, err := gcp.Leftovers(ctx, map[string]string{contract.KeyGCPProjectID: "p"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "GCP_NETWORK") {
		t.Errorf("error %v", err)
	}
}
