package kubetest

import (
	"context"
	"os"
	"slices"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// RBACFile holds the roles a peerpods kubeconfig needs, as docs/identity.md
// gives them to users.
const RBACFile = "stacks/rbac.yaml"

// The roles of RBACFile.
const (
	// RolePeerpods is the ClusterRole and the Role (in the operator's
	// namespace) every stack needs.
	RolePeerpods = "peerpods"
	// RoleDiscovery is the Role in kube-system discovery needs.
	RoleDiscovery = "peerpods-discovery"
	// RoleCloudCredentials is the optional Role of credentialsFromCluster.
	RoleCloudCredentials = "peerpods-cloud-credentials"
	// RoleSmoke is the optional ClusterRole of peerpods check --smoke.
	RoleSmoke = "peerpods-smoke"
)

// saNamespace holds the tests' ServiceAccounts.
const saNamespace = "peerpods-e2e-rbac"

// Grant is what a test's ServiceAccount is bound to.
type Grant struct {
	// Roles names the roles of RBACFile to bind (each ClusterRole and Role
	// of that name).
	Roles []string
	// Edit, when set, changes each bound role first; the edited roles get
	// names of their own, so tests running alongside keep RBACFile's.
	Edit func(role *unstructured.Unstructured)
}

// ServiceAccountKubeconfig creates a ServiceAccount bound to the roles of
// RBACFile that g names (applied by the admin as they are written) and
// returns a kubeconfig with its token: the e2e API server authorizes with
// RBAC, so the program runs with exactly those rights. The bindings, the
// ServiceAccount and edited roles are removed when the test ends.
func ServiceAccountKubeconfig(t testing.TB, g Grant) string {
	t.Helper()
	c := Client(t)
	ctx := t.Context()
	data, err := os.ReadFile(RepoFile(t, RBACFile))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeYAML(data)
	if err != nil {
		t.Fatalf("%s: %v", RBACFile, err)
	}
	for _, ns := range []string{saNamespace, "openshift-sandboxed-containers-operator"} {
		if _, err := c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	sa := UniqueName("peerpods")
	if _, err := c.Typed.CoreV1().ServiceAccounts(saNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cleanups := []func(context.Context){func(ctx context.Context) {
		_ = c.Typed.CoreV1().ServiceAccounts(saNamespace).Delete(ctx, sa, metav1.DeleteOptions{})
	}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		for _, f := range slices.Backward(cleanups) {
			f(ctx)
		}
	})
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: saNamespace, Name: sa}}
	bound := map[string]bool{}
	for _, role := range objs {
		if !slices.Contains(g.Roles, role.GetName()) {
			continue
		}
		bound[role.GetName()] = true
		if g.Edit != nil {
			g.Edit(role)
			role.SetName(role.GetName() + "-" + sa)
		}
		if _, err := c.Apply(ctx, role, "peerpods-e2e-rbac", true); err != nil {
			t.Fatalf("applying %s %s of %s: %v", role.GetKind(), role.GetName(), RBACFile, err)
		}
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: role.GetKind(), Name: role.GetName()}
		meta := metav1.ObjectMeta{Name: sa + "-" + role.GetName()}
		name, ns, kind := meta.Name, role.GetNamespace(), role.GetKind()
		if g.Edit != nil {
			cleanups = append(cleanups, func(ctx context.Context) {
				if r, err := c.Resource(role); err == nil {
					_ = r.Delete(ctx, role.GetName(), metav1.DeleteOptions{})
				}
			})
		}
		if kind == "ClusterRole" {
			_, err = c.Typed.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: meta, Subjects: subject, RoleRef: ref}, metav1.CreateOptions{})
			cleanups = append(cleanups, func(ctx context.Context) {
				_ = c.Typed.RbacV1().ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
			})
		} else {
			_, err = c.Typed.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: meta, Subjects: subject, RoleRef: ref}, metav1.CreateOptions{})
			cleanups = append(cleanups, func(ctx context.Context) {
				_ = c.Typed.RbacV1().RoleBindings(ns).Delete(ctx, name, metav1.DeleteOptions{})
			})
		}
		if err != nil {
			t.Fatalf("binding %s %s: %v", kind, role.GetName(), err)
		}
	}
	for _, r := range g.Roles {
		if !bound[r] {
			t.Fatalf("%s has no role %s", RBACFile, r)
		}
	}
	hour := int64(3600)
	tok, err := c.Typed.CoreV1().ServiceAccounts(saNamespace).CreateToken(ctx, sa, &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &hour}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("a token of ServiceAccount %s/%s: %v", saNamespace, sa, err)
	}
	ca := c.Config.CAData
	if len(ca) == 0 && c.Config.CAFile != "" {
		if ca, err = os.ReadFile(c.Config.CAFile); err != nil {
			t.Fatal(err)
		}
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["peerpods-e2e"] = &clientcmdapi.Cluster{Server: c.Config.Host, CertificateAuthorityData: ca}
	cfg.AuthInfos[sa] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	cfg.Contexts[sa] = &clientcmdapi.Context{Cluster: "peerpods-e2e", AuthInfo: sa}
	cfg.CurrentContext = sa
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
