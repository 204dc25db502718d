package cluster

import (
	"context"
	"fmt"
	"strings"

	"github.com/peerpods/provisioner/components/handoff"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Lookup finds the handoff's objects in the cluster of its clients
// (handoff.Lookup): core kinds through the typed client, others through
// the dynamic client, the resource named by the API's discovery. A kind
// the API does not serve (the operator's CRDs not installed) has no
// objects.
type Lookup struct {
	Clients Clients
}

var _ handoff.Lookup = Lookup{}

// Exists implements handoff.Lookup.
func (l Lookup) Exists(ctx context.Context, r handoff.Ref) (bool, error) {
	var err error
	switch {
	case r.APIVersion == "v1" && r.Kind == "ConfigMap":
		_, err = l.Clients.Kube.CoreV1().ConfigMaps(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
	case r.APIVersion == "v1" && r.Kind == "Secret":
		_, err = l.Clients.Kube.CoreV1().Secrets(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
	case r.APIVersion == "v1" && r.Kind == "Namespace":
		_, err = l.Clients.Kube.CoreV1().Namespaces().Get(ctx, r.Name, metav1.GetOptions{})
	default:
		gvr, served, derr := l.resource(r)
		if derr != nil || !served {
			return false, derr
		}
		if r.Namespace == "" {
			_, err = l.Clients.Dynamic.Resource(gvr).Get(ctx, r.Name, metav1.GetOptions{})
		} else {
			_, err = l.Clients.Dynamic.Resource(gvr).Namespace(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		}
	}
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("reading %s: %w", r, err)
}

// Existing are the objects of refs that exist, as Ref.String names them.
func (l Lookup) Existing(ctx context.Context, refs []handoff.Ref) ([]string, error) {
	var out []string
	for _, r := range refs {
		ok, err := l.Exists(ctx, r)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r.String())
		}
	}
	return out, nil
}

// resource is the API resource of r's kind, and whether the API serves it.
func (l Lookup) resource(r handoff.Ref) (schema.GroupVersionResource, bool, error) {
	gv, err := schema.ParseGroupVersion(r.APIVersion)
	if err != nil {
		return schema.GroupVersionResource{}, false, fmt.Errorf("%s: %w", r, err)
	}
	list, err := l.Clients.Discovery.ServerResourcesForGroupVersion(r.APIVersion)
	if apierrors.IsNotFound(err) {
		return schema.GroupVersionResource{}, false, nil
	}
	if err != nil {
		return schema.GroupVersionResource{}, false, fmt.Errorf("reading the API's resources of %s: %w", r.APIVersion, err)
	}
	for _, res := range list.APIResources {
		if res.Kind == r.Kind && !strings.Contains(res.Name, "/") {
			return gv.WithResource(res.Name), true, nil
		}
	}
	return schema.GroupVersionResource{}, false, nil
}
