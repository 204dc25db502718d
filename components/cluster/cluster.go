// Package cluster reads, read-only through a kubeconfig, what an OpenShift
// cluster knows about its cloud: the platform and its region, resource
// groups or project (the Infrastructure object "cluster",
// config.openshift.io/v1, openshift/api config/v1/types_infrastructure.go),
// the infrastructure name, the service account issuer (the Authentication
// object "cluster", types_authentication.go spec.serviceAccountIssuer), the
// worker nodes and their instances (spec.providerID), and whether it is
// Azure Red Hat OpenShift (the ARO operator's API group aro.openshift.io).
// These are the values the docs and the operator team's CI automation
// (openshift/release step sandboxed-containers-operator/peerpods/param-cm)
// look up with oc.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// Facts are what the cluster says about its cloud.
type Facts struct {
	// PlatformType is status.platformStatus.type as the cluster has it
	// (AWS, Azure, GCP, None, ...).
	PlatformType string
	// Cloud is the peer-pods cloud of the platform; empty for a platform
	// without one (None: a user-provisioned cluster, such as one on IBM Z
	// whose pod VMs go to a KVM host, peerpods:cloud libvirt).
	Cloud contract.Cloud
	// InfraName is status.infrastructureName (<cluster>-<random>).
	InfraName string
	// AWSRegion is status.platformStatus.aws.region.
	AWSRegion string
	// AzureResourceGroup and AzureNetworkResourceGroup are
	// status.platformStatus.azure.resourceGroupName and
	// networkResourceGroupName (empty: the cluster's own group).
	AzureResourceGroup, AzureNetworkResourceGroup string
	// ARO is true on Azure Red Hat OpenShift.
	ARO bool
	// GCPProject and GCPRegion are status.platformStatus.gcp.projectID
	// and region.
	GCPProject, GCPRegion string
	// ServiceAccountIssuer is the Authentication spec.serviceAccountIssuer
	// (the OIDC issuer of workload identity); empty for the default.
	ServiceAccountIssuer string
	// Workers are the worker nodes (label node-role.kubernetes.io/worker),
	// sorted by name.
	Workers []Worker
	// MachineNetworks are the install-config's machine network CIDRs.
	MachineNetworks []string
	// Subscription is the name of the operator's OLM Subscription; empty
	// when the operator is not installed through OLM (yet).
	Subscription string
	// OperatorCSV is the Subscription's status.installedCSV, the
	// ClusterServiceVersion OLM installed; OperatorVersion is that CSV's
	// spec.version (such as 1.12.1). Both are empty while OLM has not
	// installed the operator, or without a Subscription.
	OperatorCSV, OperatorVersion string
}

// Worker is a worker node and the instance behind it.
type Worker struct {
	// Node is the node's name; ProviderID its spec.providerID.
	Node, ProviderID string
	// Instance is the cloud's ID of the instance: an EC2 instance ID, an
	// Azure VM name, a GCE instance name; Zone its zone where the
	// provider ID says it (AWS, GCP).
	Instance, Zone string
}

// Clients are the API clients Read uses.
type Clients struct {
	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
}

// The OpenShift objects read.
var (
	infrastructures = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "infrastructures"}
	authentications = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "authentications"}
)

// aroGroup is the API group of the ARO operator's Cluster object, present
// on Azure Red Hat OpenShift only.
const aroGroup = "aro.openshift.io"

// WorkerLabel marks worker nodes.
const WorkerLabel = "node-role.kubernetes.io/worker"

// platforms maps status.platformStatus.type to the peer-pods cloud.
var platforms = map[string]contract.Cloud{"AWS": contract.AWS, "Azure": contract.Azure, "GCP": contract.GCP, "None": ""}

// ErrNotOpenShift is returned for a cluster without OpenShift's
// Infrastructure object.
var ErrNotOpenShift = errors.New("the cluster has no OpenShift Infrastructure object (config.openshift.io/v1 infrastructures/cluster): is it OpenShift?")

// Read reads the cluster's facts. A cluster that is not OpenShift, or a
// platform peer pods do not run on, is one error saying so.
func Read(ctx context.Context, c Clients) (Facts, error) {
	infra, err := c.Dynamic.Resource(infrastructures).Get(ctx, "cluster", metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return Facts{}, ErrNotOpenShift
	case err != nil:
		return Facts{}, fmt.Errorf("reading the Infrastructure object: %w", err)
	}
	f := Facts{
		PlatformType: str(infra, "status", "platformStatus", "type"),
		InfraName:    str(infra, "status", "infrastructureName"),
	}
	cloud, ok := platforms[f.PlatformType]
	if !ok {
		return Facts{}, fmt.Errorf("the cluster's platform is %q (Infrastructure status.platformStatus.type); peer pods run on AWS, Azure, GCP, or a KVM host (platform None)", f.PlatformType)
	}
	f.Cloud = cloud
	switch cloud {
	case contract.AWS:
		f.AWSRegion = str(infra, "status", "platformStatus", "aws", "region")
	case contract.Azure:
		f.AzureResourceGroup = str(infra, "status", "platformStatus", "azure", "resourceGroupName")
		f.AzureNetworkResourceGroup = str(infra, "status", "platformStatus", "azure", "networkResourceGroupName")
		if f.ARO, err = hasGroup(c.Discovery, aroGroup); err != nil {
			return Facts{}, err
		}
	case contract.GCP:
		f.GCPProject = str(infra, "status", "platformStatus", "gcp", "projectID")
		f.GCPRegion = str(infra, "status", "platformStatus", "gcp", "region")
	}
	auth, err := c.Dynamic.Resource(authentications).Get(ctx, "cluster", metav1.GetOptions{})
	switch {
	case err == nil:
		f.ServiceAccountIssuer = str(auth, "spec", "serviceAccountIssuer")
	case !apierrors.IsNotFound(err):
		return Facts{}, fmt.Errorf("reading the Authentication object: %w", err)
	}
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: WorkerLabel})
	if err != nil {
		return Facts{}, fmt.Errorf("listing the worker nodes: %w", err)
	}
	for _, n := range nodes.Items {
		f.Workers = append(f.Workers, worker(n))
	}
	slices.SortFunc(f.Workers, func(a, b Worker) int { return strings.Compare(a.Node, b.Node) })
	if f.MachineNetworks, err = machineNetworks(ctx, c); err != nil {
		return Facts{}, err
	}
	op, err := ReadOperator(ctx, c)
	if err != nil {
		return Facts{}, err
	}
	f.Subscription, f.OperatorCSV, f.OperatorVersion = op.Subscription, op.CSV, op.Version
	return f, nil
}

// Operator is the operator OLM installed: its Subscription (empty when
// there is none), the ClusterServiceVersion the Subscription installed and
// that CSV's spec.version (both empty until OLM installs one).
type Operator struct{ Subscription, CSV, Version string }

// Operator returns the operator part of the facts.
func (f Facts) Operator() Operator {
	return Operator{Subscription: f.Subscription, CSV: f.OperatorCSV, Version: f.OperatorVersion}
}

// ReadOperator reads the operator's Subscription (OperatorSubscription) and
// what it installed (InstalledVersion).
func ReadOperator(ctx context.Context, c Clients) (Operator, error) {
	var op Operator
	var err error
	if op.Subscription, err = OperatorSubscription(ctx, c); err != nil || op.Subscription == "" {
		return op, err
	}
	op.CSV, op.Version, err = InstalledVersion(ctx, c, op.Subscription)
	return op, err
}

// worker reads a node's provider ID: aws:///<zone>/<instance-id>,
// azure:///subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>,
// gce://<project>/<zone>/<name>.
func worker(n corev1.Node) Worker {
	w := Worker{Node: n.Name, ProviderID: n.Spec.ProviderID}
	scheme, rest, ok := strings.Cut(w.ProviderID, "://")
	if !ok {
		return w
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	switch scheme {
	case "aws":
		if len(parts) >= 2 {
			w.Zone, w.Instance = parts[len(parts)-2], parts[len(parts)-1]
		}
	case "azure":
		w.Instance = parts[len(parts)-1]
	case "gce":
		if len(parts) == 3 {
			w.Zone, w.Instance = parts[1], parts[2]
		}
	}
	return w
}

// hasGroup reports whether the API server serves group.
func hasGroup(d discovery.DiscoveryInterface, group string) (bool, error) {
	groups, err := d.ServerGroups()
	if err != nil {
		return false, fmt.Errorf("listing the cluster's API groups: %w", err)
	}
	for _, g := range groups.Groups {
		if g.Name == group {
			return true, nil
		}
	}
	return false, nil
}

// str is the string at path in o, "" when absent.
func str(o *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(o.Object, path...)
	return s
}

// Found is a stack setting whose value a cloud takes from the cluster's
// facts, and where the cluster has it.
type Found struct {
	// Setting is relative to peerpods:, such as "aws.region".
	Setting string
	// Value is a string, or a list of strings.
	Value any
	// From says which object and field the value was read from.
	From string
	// Unless are settings that, when the stack sets one, leave Setting
	// unused (another way to say the same thing).
	Unless []string
}

// Text is the value as the "discovered" output records it: a list joined
// with commas.
func (f Found) Text() string {
	if l, ok := f.Value.([]string); ok {
		return strings.Join(l, ",")
	}
	s, _ := f.Value.(string)
	return s
}

// Where the facts come from, for Found.From.
const (
	FromInfrastructure = "Infrastructure cluster status."
	FromIssuer         = "Authentication cluster spec.serviceAccountIssuer"
	FromInstallConfig  = "ConfigMap kube-system/cluster-config-v1 install-config networking.machineNetwork"
)

// FromWorker says a value was read from worker w's provider ID.
func FromWorker(w Worker) string { return "Node " + w.Node + " spec.providerID" }
