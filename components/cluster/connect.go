package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/peerpods/provisioner/components/contract"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// Timeout bounds each request to the cluster, so that an unreachable
// server is an error in seconds, not a hung preview.
const Timeout = 20 * time.Second

// ErrUnknownContext is returned by Connect for a context the kubeconfig
// does not have.
var ErrUnknownContext = errors.New("the kubeconfig has no such context")

// Connect makes the clients for kubeconfig (its contents) and context
// ("" for the kubeconfig's current one). It makes no request.
func Connect(kubeconfig []byte, kubeContext string) (Clients, error) {
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return Clients{}, fmt.Errorf("the kubeconfig cannot be read: %w", err)
	}
	if kubeContext != "" {
		if _, ok := cfg.Contexts[kubeContext]; !ok {
			names := make([]string, 0, len(cfg.Contexts))
			for n := range cfg.Contexts {
				names = append(names, n)
			}
			slices.Sort(names)
			return Clients{}, fmt.Errorf("%w: %q (it has %v)", ErrUnknownContext, kubeContext, names)
		}
	}
	rest, err := clientcmd.NewDefaultClientConfig(*cfg, &clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
	if err != nil {
		return Clients{}, fmt.Errorf("the kubeconfig cannot be used: %w", err)
	}
	rest.Timeout = Timeout
	kube, err := kubernetes.NewForConfig(rest)
	if err != nil {
		return Clients{}, err
	}
	dyn, err := dynamic.NewForConfig(rest)
	if err != nil {
		return Clients{}, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(rest)
	if err != nil {
		return Clients{}, err
	}
	return Clients{Kube: kube, Dynamic: dyn, Discovery: disc}, nil
}

// OLM's objects (operator-framework/api crds/).
var (
	subscriptions = schema.GroupVersionResource{Group: "operators.coreos.com", Version: "v1alpha1", Resource: "subscriptions"}
	csvs          = schema.GroupVersionResource{Group: "operators.coreos.com", Version: "v1alpha1", Resource: "clusterserviceversions"}
)

// InstalledVersion returns the ClusterServiceVersion OLM installed for the
// operator's Subscription named subscription (its status.installedCSV)
// and that CSV's spec.version; both empty while OLM has installed none.
func InstalledVersion(ctx context.Context, c Clients, subscription string) (csv, version string, err error) {
	sub, err := c.Dynamic.Resource(subscriptions).Namespace(contract.Namespace).Get(ctx, subscription, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", "", nil
	case err != nil:
		return "", "", fmt.Errorf("reading the operator's Subscription %s: %w", subscription, err)
	}
	csv = str(sub, "status", "installedCSV")
	if csv == "" {
		return "", "", nil
	}
	obj, err := c.Dynamic.Resource(csvs).Namespace(contract.Namespace).Get(ctx, csv, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return csv, "", nil // being installed or replaced
	case err != nil:
		return "", "", fmt.Errorf("reading the operator's ClusterServiceVersion %s (the operator's version; the user needs get on clusterserviceversions.operators.coreos.com in %s): %w", csv, contract.Namespace, err)
	}
	return csv, str(obj, "spec", "version"), nil
}

// OperatorSubscription returns the name of the operator's OLM
// Subscription: the one in the operator's namespace whose spec.name is its
// package (the first by name); "" when there is none, or no OLM.
func OperatorSubscription(ctx context.Context, c Clients) (string, error) {
	list, err := c.Dynamic.Resource(subscriptions).Namespace(contract.Namespace).List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("listing the operator's Subscriptions: %w", err)
	}
	var names []string
	for _, s := range list.Items {
		if str(&s, "spec", "name") == contract.OperatorPackage {
			names = append(names, s.GetName())
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "", nil
	}
	return names[0], nil
}

// machineNetworks reads networking.machineNetwork of the install-config
// the installer leaves in kube-system/cluster-config-v1 (the CIDRs the
// nodes are in); nil when the ConfigMap or key is missing.
func machineNetworks(ctx context.Context, c Clients) ([]string, error) {
	cm, err := c.Kube.CoreV1().ConfigMaps("kube-system").Get(ctx, "cluster-config-v1", metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err), apierrors.IsForbidden(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading kube-system/cluster-config-v1: %w", err)
	}
	var ic struct {
		Networking struct {
			MachineNetwork []struct {
				CIDR string `json:"cidr"`
			} `json:"machineNetwork"`
		} `json:"networking"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["install-config"]), &ic); err != nil {
		return nil, fmt.Errorf("kube-system/cluster-config-v1 install-config is not YAML: %w", err)
	}
	var out []string
	for _, n := range ic.Networking.MachineNetwork {
		if _, p, err := net.ParseCIDR(n.CIDR); err == nil {
			out = append(out, p.String())
		}
	}
	return out, nil
}

// CCOSecret names the Cloud Credential Operator's root credentials of a
// cloud (openshift/cloud-credential-operator
// pkg/operator/constants/constants.go: namespace kube-system, names
// aws-creds, azure-credentials, gcp-credentials) and maps its keys to the
// peer-pods-secret keys (the mapping the operator applies to the Secret
// CCO mints: contract.OperatorFills).
type CCOSecret struct {
	Namespace, Name string
	// Keys maps the Secret's keys to peer-pods-secret keys.
	Keys map[string]string
}

// CCOSecretOf returns the CCO root secret of c; ok is false for a cloud
// without one.
func CCOSecretOf(c contract.Cloud) (CCOSecret, bool) {
	keys := map[string]string{}
	for _, f := range contract.OperatorFills(c, contract.IdentityCCO) {
		keys[f.From] = f.Name
	}
	name := map[contract.Cloud]string{contract.AWS: "aws-creds", contract.Azure: "azure-credentials", contract.GCP: "gcp-credentials"}[c]
	if name == "" {
		return CCOSecret{}, false
	}
	return CCOSecret{Namespace: "kube-system", Name: name, Keys: keys}, true
}

// ErrNoCCOSecret is returned by ReadCCOSecret when the cluster has no root
// credentials (CCO in manual mode, or they were removed after install).
var ErrNoCCOSecret = errors.New("the cluster has no Cloud Credential Operator root secret")

// ReadCCOSecret reads the CCO root credentials of cloud c as
// peer-pods-secret keys. Every key must be present.
func ReadCCOSecret(ctx context.Context, c Clients, cloud contract.Cloud) (map[string]string, error) {
	s, ok := CCOSecretOf(cloud)
	if !ok {
		return nil, fmt.Errorf("%s has no Cloud Credential Operator secret", cloud)
	}
	sec, err := c.Kube.CoreV1().Secrets(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("%w (%s/%s)", ErrNoCCOSecret, s.Namespace, s.Name)
	case err != nil:
		return nil, fmt.Errorf("reading %s/%s: %w", s.Namespace, s.Name, err)
	}
	out := map[string]string{}
	for from, to := range s.Keys {
		v, ok := sec.Data[from]
		if !ok || len(v) == 0 {
			return nil, fmt.Errorf("%s/%s has no key %s", s.Namespace, s.Name, from)
		}
		out[to] = string(v)
	}
	return out, nil
}
