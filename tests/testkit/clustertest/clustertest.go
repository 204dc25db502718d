// Package clustertest holds the objects of OpenShift clusters on each
// cloud, as the installer, the Cloud Credential Operator and OLM leave
// them, for the tests of discovery: served by client-go's fakes on Pulumi
// mocks, and written to the e2e kube-apiserver with OpenShift's own CRDs.
// The values match the clouds' mocks (package mocks), so that what is found
// in the cluster is what the mocked cloud has.
package clustertest

import (
	"fmt"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

// The clusters' common facts.
const (
	InfraName = "mycluster-x7k2p"
	// Issuer is a public OIDC issuer of a cluster installed with
	// short-lived credentials (ccoctl's S3 bucket).
	Issuer = "https://mycluster-x7k2p-oidc.s3.us-east-2.amazonaws.com"
	// AWSRegion, AzureResourceGroup, AROResourceGroup,
	// AROVNetResourceGroup, GCPProject, GCPZone: the clouds' mocks.
	AWSRegion            = "us-east-2"
	AzureResourceGroup   = InfraName + "-rg"
	AROResourceGroup     = "aro-" + InfraName
	AROVNetResourceGroup = "aro-vnet-rg"
	GCPProject           = "my-openshift-project"
	GCPZone              = "us-central1-a"
	MachineNetwork       = "10.0.0.0/16"
	// Subscription is the operator's OLM Subscription.
	Subscription = "sandboxed-containers-operator"
)

// Cluster is an OpenShift cluster's objects.
type Cluster struct {
	// Platform is Infrastructure status.platformStatus.
	Platform map[string]any
	// Issuer is Authentication spec.serviceAccountIssuer.
	Issuer string
	// Nodes are the worker nodes (and a control-plane node).
	Nodes []*corev1.Node
	// Core are the installer's ConfigMap and the CCO root secret.
	Core []runtime.Object
	// ARO serves the ARO operator's API group.
	ARO bool
	// Subscription, when set, is the operator's OLM Subscription.
	Subscription *unstructured.Unstructured
	// OperatorVersion, when set, is the spec.version of the
	// ClusterServiceVersion OLM installed for the Subscription.
	OperatorVersion string
}

// WithOperator makes OLM have installed the operator at version (such as
// 1.12.1): the Subscription's status.installedCSV names a CSV of that
// version.
func WithOperator(version string) Option {
	return func(c *Cluster) { c.OperatorVersion = version }
}

// CSVName is the ClusterServiceVersion name of an operator version, as
// the operator's bundles name it (sandboxed-containers-operator.v1.12.1).
func CSVName(version string) string { return contract.OperatorPackage + ".v" + version }

// CSV is the operator's ClusterServiceVersion at version, with the fields
// OLM's CRD requires.
func CSV(version string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": contract.SubscriptionAPIVersion, "kind": "ClusterServiceVersion",
		"metadata": map[string]any{"name": CSVName(version), "namespace": contract.Namespace},
		"spec": map[string]any{
			"displayName": "OpenShift sandboxed containers Operator", "version": version,
			"install": map[string]any{"strategy": "deployment"},
		},
	}}
}

// Option changes a cluster.
type Option func(*Cluster)

// WithoutCCOSecret removes the CCO root secret (CCO in manual mode).
func WithoutCCOSecret(c *Cluster) {
	var keep []runtime.Object
	for _, o := range c.Core {
		if _, secret := o.(*corev1.Secret); !secret {
			keep = append(keep, o)
		}
	}
	c.Core = keep
}

// AsARO makes an Azure cluster an ARO cluster: its resource groups and
// the ARO operator's API group.
func AsARO(c *Cluster) {
	c.ARO = true
	c.Platform = map[string]any{"type": "Azure", "azure": map[string]any{"resourceGroupName": AROResourceGroup, "networkResourceGroupName": AROVNetResourceGroup}}
}

// For is a cluster on cloud (libvirt: platform None) with its CCO root
// secret (keys the values given), the install-config and two workers.
func For(cloud contract.Cloud, opts ...Option) Cluster {
	c := Cluster{Issuer: Issuer, Subscription: Sub(Subscription)}
	installConfig := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "cluster-config-v1"},
		Data: map[string]string{"install-config": "apiVersion: v1\nmetadata:\n  name: mycluster\nnetworking:\n  machineNetwork:\n  - cidr: " + MachineNetwork + "\n"}}
	c.Core = []runtime.Object{installConfig}
	secret := func(name string, data map[string]string) {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: name}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		c.Core = append(c.Core, s)
	}
	var ids [2]string
	switch cloud {
	case contract.AWS:
		c.Platform = map[string]any{"type": "AWS", "aws": map[string]any{"region": AWSRegion}}
		ids = [2]string{"aws:///us-east-2a/i-0aaaaaaaaaaaaaaa0", "aws:///us-east-2b/i-0bbbbbbbbbbbbbbb0"}
		secret("aws-creds", map[string]string{"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "cco-root-secret-key"})
	case contract.Azure:
		c.Platform = map[string]any{"type": "Azure", "azure": map[string]any{"resourceGroupName": AzureResourceGroup}}
		vm := "azure:///subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/" + AzureResourceGroup + "/providers/Microsoft.Compute/virtualMachines/"
		ids = [2]string{vm + InfraName + "-worker-eastus1-a", vm + InfraName + "-worker-eastus2-b"}
		secret("azure-credentials", map[string]string{
			"azure_client_id": "22222222-0000-4000-8000-000000000001", "azure_client_secret": "cco-root-client-secret",
			"azure_tenant_id": "22222222-0000-4000-8000-000000000002", "azure_subscription_id": "11111111-2222-3333-4444-555555555555",
			"azure_region": "eastus", "azure_resourcegroup": AzureResourceGroup, "azure_resource_prefix": InfraName,
		})
	case contract.GCP:
		c.Platform = map[string]any{"type": "GCP", "gcp": map[string]any{"projectID": GCPProject, "region": "us-central1"}}
		ids = [2]string{"gce://" + GCPProject + "/" + GCPZone + "/" + InfraName + "-worker-a", "gce://" + GCPProject + "/us-central1-b/" + InfraName + "-worker-b"}
		secret("gcp-credentials", map[string]string{"service_account.json": `{"type":"service_account","project_id":"` + GCPProject + `"}`})
	default:
		c.Platform = map[string]any{"type": "None"}
	}
	for i, id := range ids {
		c.Nodes = append(c.Nodes, Node(fmt.Sprintf("%s-worker-%d", InfraName, i), id, true))
	}
	c.Nodes = append(c.Nodes, Node(InfraName+"-master-0", "", false))
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Node is a node with a provider ID, a worker or a control-plane node.
func Node(name, providerID string, worker bool) *corev1.Node {
	role := "node-role.kubernetes.io/master"
	if worker {
		role = cluster.WorkerLabel
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{role: ""}}, Spec: corev1.NodeSpec{ProviderID: providerID}}
}

// Sub is an OLM Subscription of the operator's package named name.
func Sub(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": contract.SubscriptionAPIVersion, "kind": contract.SubscriptionKind,
		"metadata": map[string]any{"name": name, "namespace": contract.Namespace},
		"spec":     map[string]any{"name": contract.OperatorPackage, "channel": "stable", "source": "redhat-operators", "sourceNamespace": "openshift-marketplace"},
	}}
}

// Config is a config.openshift.io/v1 object "cluster" of kind.
func Config(kind string, content map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "config.openshift.io/v1", "kind": kind, "metadata": map[string]any{"name": "cluster"}}}
	for k, v := range content {
		o.Object[k] = v
	}
	return o
}

// Infrastructure is the cluster's Infrastructure object with its status.
func (c Cluster) Infrastructure() *unstructured.Unstructured {
	return Config("Infrastructure", map[string]any{"status": map[string]any{
		"infrastructureName": InfraName, "platform": c.Platform["type"], "platformStatus": c.Platform,
	}})
}

// Authentication is the cluster's Authentication object.
func (c Cluster) Authentication() *unstructured.Unstructured {
	return Config("Authentication", map[string]any{"spec": map[string]any{"serviceAccountIssuer": c.Issuer}})
}

// Fake serves the cluster with client-go's fakes. A zero Cluster is a
// Kubernetes cluster that is not OpenShift.
func (c Cluster) Fake() cluster.Clients {
	core := append([]runtime.Object{}, c.Core...)
	for _, n := range c.Nodes {
		core = append(core, n)
	}
	var objs []runtime.Object
	if c.Platform != nil { // else not OpenShift: no config.openshift.io objects
		objs = append(objs, c.Infrastructure(), c.Authentication())
	}
	if c.Subscription != nil {
		sub := c.Subscription.DeepCopy()
		if c.OperatorVersion != "" {
			_ = unstructured.SetNestedField(sub.Object, CSVName(c.OperatorVersion), "status", "installedCSV")
			objs = append(objs, CSV(c.OperatorVersion))
		}
		objs = append(objs, sub)
	}
	return FakeClients(core, objs, c.ARO)
}

// FakeClients serves core objects (nodes, ConfigMaps, Secrets), custom
// objects (OpenShift config objects, OLM Subscriptions) and, with aro,
// the ARO operator's API group, with client-go's fakes.
func FakeClients(core, custom []runtime.Object, aro bool) cluster.Clients {
	kube := kubefake.NewClientset(core...)
	disc := kube.Discovery().(*fakediscovery.FakeDiscovery)
	if aro {
		disc.Resources = append(disc.Resources, &metav1.APIResourceList{GroupVersion: "aro.openshift.io/v1alpha1", APIResources: []metav1.APIResource{{Name: "clusters", Kind: "Cluster"}}})
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		{Group: "config.openshift.io", Version: "v1", Resource: "infrastructures"}:               "InfrastructureList",
		{Group: "config.openshift.io", Version: "v1", Resource: "authentications"}:               "AuthenticationList",
		{Group: "operators.coreos.com", Version: "v1alpha1", Resource: "subscriptions"}:          "SubscriptionList",
		{Group: "operators.coreos.com", Version: "v1alpha1", Resource: "clusterserviceversions"}: "ClusterServiceVersionList",
	}, custom...)
	return cluster.Clients{Kube: kube, Dynamic: dyn, Discovery: disc}
}

// Kubeconfig is a kubeconfig for server with one context, "admin" (the
// current one), and a token user.
func Kubeconfig(server string) string {
	return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + server + `"}
users:
- name: u
  user: {token: t}
contexts:
- name: admin
  context: {cluster: c, user: u}
current-context: admin
`
}
