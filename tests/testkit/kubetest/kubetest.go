// Package kubetest gives e2e tests clients of the real kube-apiserver that
// hack/backends/kube-start.sh starts (make e2e), found through the
// kubeconfig in PEERPODS_E2E_KUBECONFIG. Tests fail, never skip, when it is
// missing. The server has no controller-manager: deleted namespaces never
// finish deleting, so tests use unique names (UniqueNamespace).
package kubetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/peerpods/provisioner/components/backoff"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// KubeconfigEnv names the environment variable holding the kubeconfig path
// (set by hack/backends/env.sh).
const KubeconfigEnv = "PEERPODS_E2E_KUBECONFIG"

// Timeout bounds every wait of this package (CRD established, discovery).
const Timeout = 30 * time.Second

// Clients are the ways a test talks to the API server; all share Config.
type Clients struct {
	Config  *rest.Config
	Typed   kubernetes.Interface
	Dynamic dynamic.Interface
	// Mapper maps kinds to resources by discovery; it is reset and retried
	// when a kind is unknown (a CRD installed since the last lookup).
	Mapper *restmapper.DeferredDiscoveryRESTMapper
}

var (
	mu     sync.Mutex
	shared *Clients
)

// Client returns the clients of the e2e API server, built once per test
// binary. It fails the test when PEERPODS_E2E_KUBECONFIG is unset or its
// kubeconfig cannot be loaded.
func Client(t testing.TB) *Clients {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		return shared
	}
	path := e2eenv.Require(t, KubeconfigEnv)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s: %v (is the API server running? hack/backends/kube-start.sh writes it)", KubeconfigEnv, err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	c, err := NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	shared = c
	return c
}

// NewClients builds the clients of one rest.Config.
func NewClients(cfg *rest.Config) (*Clients, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 100, 200 // a private test server: no client throttling
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("typed client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(typed.Discovery()))
	return &Clients{Config: cfg, Typed: typed, Dynamic: dyn, Mapper: mapper}, nil
}

// Resource returns the dynamic client of obj's kind, scoped to obj's
// namespace when the kind is namespaced (which obj must then name).
func (c *Clients) Resource(obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.Mapper.Reset()
		m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", gvk, err)
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		if obj.GetNamespace() != "" {
			return nil, fmt.Errorf("%s %s: kind is cluster-scoped but namespace %q is set", gvk.Kind, obj.GetName(), obj.GetNamespace())
		}
		return c.Dynamic.Resource(m.Resource), nil
	}
	if obj.GetNamespace() == "" {
		return nil, fmt.Errorf("%s %s: kind is namespaced but no namespace is set", gvk.Kind, obj.GetName())
	}
	return c.Dynamic.Resource(m.Resource).Namespace(obj.GetNamespace()), nil
}

// Apply server-side applies obj as fieldManager: the result owns exactly
// the fields obj sets, and fields this manager set before but obj omits are
// removed. With force, fields other managers own are taken over instead of
// failing with a conflict.
func (c *Clients) Apply(ctx context.Context, obj *unstructured.Unstructured, fieldManager string, force bool) (*unstructured.Unstructured, error) {
	ri, err := c.Resource(obj)
	if err != nil {
		return nil, err
	}
	return ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: force})
}

// ApplyPatch server-side applies obj with the given options (field
// manager, force, field validation) and returns what the server stored.
func (c *Clients) ApplyPatch(ctx context.Context, obj *unstructured.Unstructured, opts metav1.PatchOptions) (*unstructured.Unstructured, error) {
	ri, err := c.Resource(obj)
	if err != nil {
		return nil, err
	}
	body, err := obj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, opts)
}

// Get reads the current state of the object obj names.
func (c *Clients) Get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri, err := c.Resource(obj)
	if err != nil {
		return nil, err
	}
	return ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
}

// ApplyObjects server-side applies objs in order as fieldManager, with
// force (the manager takes over conflicting fields, like kubectl apply
// --server-side --force-conflicts), and returns the objects the server
// stored. Any error fails the test.
func ApplyObjects(t testing.TB, objs []*unstructured.Unstructured, fieldManager string) []*unstructured.Unstructured {
	t.Helper()
	c := Client(t)
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, obj := range objs {
		got, err := c.Apply(t.Context(), obj, fieldManager, true)
		if err != nil {
			t.Fatalf("apply %s %s: %v", obj.GetKind(), objName(obj), err)
		}
		out = append(out, got)
	}
	return out
}

func objName(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + obj.GetName()
	}
	return obj.GetName()
}

// UniqueNamespace creates a namespace named prefix plus a random suffix and
// returns its name; it is deleted when the test ends (on this server it then
// stays Terminating, as nothing finalizes it).
func UniqueNamespace(t testing.TB, prefix string) string {
	t.Helper()
	c := Client(t)
	ns, err := c.Typed.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: strings.TrimSuffix(prefix, "-") + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace %s-*: %v", prefix, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		if err := c.Typed.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete namespace %s: %v", ns.Name, err)
		}
	})
	return ns.Name
}

// UniqueName returns prefix plus a random 6-character suffix, for
// cluster-scoped objects a test creates (see UniqueNamespace).
func UniqueName(prefix string) string {
	return strings.TrimSuffix(prefix, "-") + "-" + utilrand.String(6)
}

// DecodeYAML splits a multi-document YAML (or JSON) stream into objects,
// skipping empty documents.
func DecodeYAML(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// RepoFile returns the absolute path of a file given relative to the
// repository root (the directory of the module's go.mod, found upwards from
// the test's working directory).
func RepoFile(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module github.com/peerpods/provisioner\n")) {
			return filepath.Join(dir, filepath.FromSlash(rel))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of github.com/peerpods/provisioner above the working directory")
		}
		dir = parent
	}
}

// PeerPodsCRDs returns the paths of the operator's CRDs (KataConfig, and the
// PeerPodConfig of operators before 1.10) under tests/testdata/crds, copied
// from the operator at the commits tests/testdata/crds/SOURCE.md names.
func PeerPodsCRDs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(RepoFile(t, "tests/testdata/crds/*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs under tests/testdata/crds (%v)", err)
	}
	return files
}

// crdWait polls for a CRD to be served.
var crdWait = backoff.Backoff{First: 20 * time.Millisecond, Max: time.Second, Bound: Timeout}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallCRDs server-side applies the CustomResourceDefinitions in the YAML
// files and waits (at most Timeout) until each is Established and its kind
// is served by discovery. Installing the same CRDs again is harmless.
func InstallCRDs(t testing.TB, files ...string) {
	t.Helper()
	c := Client(t)
	var crds []*unstructured.Unstructured
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := DecodeYAML(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, o := range objs {
			if o.GetKind() != "CustomResourceDefinition" {
				t.Fatalf("%s: %s %s is not a CustomResourceDefinition", f, o.GetKind(), o.GetName())
			}
		}
		crds = append(crds, objs...)
	}
	ApplyObjects(t, crds, "kubetest")

	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	defer cancel()
	for _, crd := range crds {
		name := crd.GetName()
		var last string
		ok, err := backoff.Poll(ctx, crdWait, nil, func(ctx context.Context) (bool, error) {
			got, err := c.Dynamic.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
			for _, cond := range conds {
				m, _ := cond.(map[string]any)
				if m["type"] == "Established" {
					last = fmt.Sprintf("%v: %v", m["status"], m["message"])
					return m["status"] == "True", nil
				}
			}
			return false, nil
		})
		if err != nil || !ok {
			t.Fatalf("CRD %s not Established within %s (last: %q): %v", name, Timeout, last, err)
		}
		group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		established, err := backoff.Poll(ctx, crdWait, nil, func(context.Context) (bool, error) {
			c.Mapper.Reset()
			_, err := c.Mapper.RESTMapping(schema.GroupKind{Group: group, Kind: kind})
			return err == nil, nil
		})
		if err != nil || !established {
			t.Fatalf("kind %s.%s not in discovery within %s: %v", kind, group, Timeout, err)
		}
	}
}
