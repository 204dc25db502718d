package cluster_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// object is a config.openshift.io/v1 object "cluster" of kind.
var object = clustertest.Config

func infrastructure(platform map[string]any) *unstructured.Unstructured {
	return object("Infrastructure", map[string]any{"status": map[string]any{"infrastructureName": "mycluster-x7k2p", "platformStatus": platform}})
}

var node = clustertest.Node

// clients serve objs (OpenShift config objects), nodes and, with aro, the
// ARO operator's API group.
func clients(objs []runtime.Object, nodes []runtime.Object, aro bool) cluster.Clients {
	return clustertest.FakeClients(nodes, objs, aro)
}

func TestRead(t *testing.T) {
	issuer := object("Authentication", map[string]any{"spec": map[string]any{"serviceAccountIssuer": "https://oidc.example.com/mycluster"}})
	cases := []struct {
		name     string
		platform map[string]any
		nodes    []runtime.Object
		aro      bool
		want     cluster.Facts
	}{
		{"aws", map[string]any{"type": "AWS", "aws": map[string]any{"region": "us-east-2"}},
			[]runtime.Object{node("w-b", "aws:///us-east-2b/i-0bbbbbbbbbbbbbbbb", true), node("w-a", "aws:///us-east-2a/i-0aaaaaaaaaaaaaaaa", true), node("m", "aws:///us-east-2a/i-0ccccccccccccccccc", false)}, false,
			cluster.Facts{PlatformType: "AWS", Cloud: contract.AWS, InfraName: "mycluster-x7k2p", AWSRegion: "us-east-2", ServiceAccountIssuer: "https://oidc.example.com/mycluster",
				Workers: []cluster.Worker{{Node: "w-a", ProviderID: "aws:///us-east-2a/i-0aaaaaaaaaaaaaaaa", Instance: "i-0aaaaaaaaaaaaaaaa", Zone: "us-east-2a"},
					{Node: "w-b", ProviderID: "aws:///us-east-2b/i-0bbbbbbbbbbbbbbbb", Instance: "i-0bbbbbbbbbbbbbbbb", Zone: "us-east-2b"}}}},
		{"aro", map[string]any{"type": "Azure", "azure": map[string]any{"resourceGroupName": "aro-infra-rg", "networkResourceGroupName": "aro-vnet-rg"}},
			[]runtime.Object{node("w", "azure:///subscriptions/s/resourceGroups/aro-infra-rg/providers/Microsoft.Compute/virtualMachines/mycluster-worker-1", true)}, true,
			cluster.Facts{PlatformType: "Azure", Cloud: contract.Azure, InfraName: "mycluster-x7k2p", AzureResourceGroup: "aro-infra-rg", AzureNetworkResourceGroup: "aro-vnet-rg", ARO: true,
				ServiceAccountIssuer: "https://oidc.example.com/mycluster",
				Workers:              []cluster.Worker{{Node: "w", ProviderID: "azure:///subscriptions/s/resourceGroups/aro-infra-rg/providers/Microsoft.Compute/virtualMachines/mycluster-worker-1", Instance: "mycluster-worker-1"}}}},
		{"azure (installer)", map[string]any{"type": "Azure", "azure": map[string]any{"resourceGroupName": "mycluster-x7k2p-rg"}}, nil, false,
			cluster.Facts{PlatformType: "Azure", Cloud: contract.Azure, InfraName: "mycluster-x7k2p", AzureResourceGroup: "mycluster-x7k2p-rg",
				ServiceAccountIssuer: "https://oidc.example.com/mycluster"}},
		{"gcp", map[string]any{"type": "GCP", "gcp": map[string]any{"projectID": "my-project", "region": "us-central1"}},
			[]runtime.Object{node("w", "gce://my-project/us-central1-a/mycluster-worker-a", true)}, false,
			cluster.Facts{PlatformType: "GCP", Cloud: contract.GCP, InfraName: "mycluster-x7k2p", GCPProject: "my-project", GCPRegion: "us-central1",
				ServiceAccountIssuer: "https://oidc.example.com/mycluster",
				Workers:              []cluster.Worker{{Node: "w", ProviderID: "gce://my-project/us-central1-a/mycluster-worker-a", Instance: "mycluster-worker-a", Zone: "us-central1-a"}}}},
		{"none (KVM host)", map[string]any{"type": "None"}, []runtime.Object{node("w", "", true)}, false,
			cluster.Facts{PlatformType: "None", InfraName: "mycluster-x7k2p", ServiceAccountIssuer: "https://oidc.example.com/mycluster", Workers: []cluster.Worker{{Node: "w"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := cluster.Read(t.Context(), clients([]runtime.Object{infrastructure(c.platform), issuer}, c.nodes, c.aro))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestReadRefuses: a cluster that is not OpenShift, and a platform peer
// pods do not run on, are one clear error; a cluster without an
// Authentication object has the default issuer.
func TestReadRefuses(t *testing.T) {
	if _, err := cluster.Read(t.Context(), clients(nil, nil, false)); !errors.Is(err, cluster.ErrNotOpenShift) {
		t.Errorf("no Infrastructure: %v", err)
	}
	_, err := cluster.Read(t.Context(), clients([]runtime.Object{infrastructure(map[string]any{"type": "BareMetal"})}, nil, false))
	if err == nil || !strings.Contains(err.Error(), `platform is "BareMetal"`) {
		t.Errorf("BareMetal: %v", err)
	}
	f, err := cluster.Read(t.Context(), clients([]runtime.Object{infrastructure(map[string]any{"type": "AWS", "aws": map[string]any{"region": "eu-west-1"}})}, nil, false))
	if err != nil || f.ServiceAccountIssuer != "" || f.AWSRegion != "eu-west-1" || f.Workers != nil {
		t.Errorf("no Authentication: %+v, %v", f, err)
	}
}

// TestReadOperatorVersion: the operator's version is its Subscription's
// installed ClusterServiceVersion's spec.version; none while OLM has
// installed nothing (no installedCSV, or its CSV not there yet).
func TestReadOperatorVersion(t *testing.T) {
	for _, c := range []struct {
		name         string
		c            clustertest.Cluster
		csv, version string
	}{
		{"installed", clustertest.For(contract.AWS, clustertest.WithOperator("1.12.1")), clustertest.CSVName("1.12.1"), "1.12.1"},
		{"not yet installed", clustertest.For(contract.AWS), "", ""},
		{"no Subscription", func() clustertest.Cluster { c := clustertest.For(contract.AWS); c.Subscription = nil; return c }(), "", ""},
	} {
		f, err := cluster.Read(t.Context(), c.c.Fake())
		if err != nil {
			t.Fatal(err)
		}
		if f.OperatorCSV != c.csv || f.OperatorVersion != c.version {
			t.Errorf("%s: CSV %q version %q", c.name, f.OperatorCSV, f.OperatorVersion)
		}
	}
	// The CSV named is gone (OLM replacing it): no version, no error.
	cl := clustertest.For(contract.AWS)
	sub := cl.Subscription.DeepCopy()
	_ = unstructured.SetNestedField(sub.Object, clustertest.CSVName("1.11.0"), "status", "installedCSV")
	f, err := cluster.Read(t.Context(), clustertest.FakeClients(cl.Core, []runtime.Object{cl.Infrastructure(), cl.Authentication(), sub}, false))
	if err != nil || f.OperatorCSV != clustertest.CSVName("1.11.0") || f.OperatorVersion != "" {
		t.Errorf("CSV gone: %q %q %v", f.OperatorCSV, f.OperatorVersion, err)
	}
}
