//go:build e2e

package tests

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocp "github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/stacks"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
)

var (
	infrastructures = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "infrastructures"}
	authentications = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "authentications"}
	crds            = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// writeCluster makes the e2e API server hold cl's objects, as the
// installer, CCO and the kubelets write them: the Infrastructure's status
// through its status subresource (openshift/api's schema, which requires
// the API server URLs and topologies too), the Authentication, the worker
// nodes, the install-config and CCO root secret in kube-system. What an
// earlier call wrote and cl has not is removed.
func writeCluster(t *testing.T, c *kubetest.Clients, cl clustertest.Cluster) {
	t.Helper()
	ctx := t.Context()
	infra := cl.Infrastructure()
	kubetest.ApplyObjects(t, []*unstructured.Unstructured{
		clustertest.Config("Infrastructure", map[string]any{"spec": map[string]any{"platformSpec": map[string]any{"type": cl.Platform["type"]}}}),
		cl.Authentication(),
	}, "installer")
	status := infra.Object["status"].(map[string]any)
	maps.Copy(status, map[string]any{
		"apiServerURL": "https://api.mycluster.example.com:6443", "apiServerInternalURI": "https://api-int.mycluster.example.com:6443",
		"etcdDiscoveryDomain": "", "controlPlaneTopology": "HighlyAvailable", "infrastructureTopology": "HighlyAvailable",
	})
	if _, err := c.Dynamic.Resource(infrastructures).ApplyStatus(ctx, "cluster", infra, metav1.ApplyOptions{FieldManager: "installer", Force: true}); err != nil {
		t.Fatalf("writing the Infrastructure status: %v", err)
	}
	nodes, err := c.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "peerpods-e2e=discovery"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if err := c.Typed.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range cl.Nodes {
		n = n.DeepCopy()
		n.Labels["peerpods-e2e"] = "discovery"
		if _, err := c.Typed.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"aws-creds", "azure-credentials", "gcp-credentials"} {
		if err := c.Typed.CoreV1().Secrets("kube-system").Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	if err := c.Typed.CoreV1().ConfigMaps("kube-system").Delete(ctx, "cluster-config-v1", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	for _, o := range cl.Core {
		var err error
		switch o := o.(type) {
		case *corev1.Secret:
			_, err = c.Typed.CoreV1().Secrets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.ConfigMap:
			_, err = c.Typed.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestDiscoveryRealServer: on the e2e kube-apiserver with OpenShift's own
// Infrastructure and Authentication CRDs (openshift/api, pinned in
// tests/testdata/openshift-crds), clusters on AWS, Azure, GCP and ARO are
// read through a real kubeconfig: by the program (on the clouds' mocks,
// which is all that can run here), and by peerpods init, whose stack files
// carry the discovered values and whose kubeconfig Pulumi stores
// encrypted. A platform peer pods do not run on, and a cluster that is not
// OpenShift, are one clear error; init never overwrites a stack file.
func TestDiscoveryRealServer(t *testing.T) {
	c := kubetest.Client(t)
	kubetest.InstallCRDs(t, kubetest.RepoFile(t, "tests/testdata/openshift-crds/config.openshift.io_infrastructures.yaml"),
		kubetest.RepoFile(t, "tests/testdata/openshift-crds/config.openshift.io_authentications.yaml"))
	// A ServiceAccount's kubeconfig, bound to the roles of stacks/rbac.yaml
	// discovery and credentialsFromCluster need.
	kubeconfig := []byte(kubetest.ServiceAccountKubeconfig(t, kubetest.Grant{Roles: []string{kubetest.RolePeerpods, kubetest.RoleDiscovery, kubetest.RoleCloudCredentials}}))
	kubeconfigFile := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfigFile, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	t.Cleanup(func() {
		ctx := t.Context()
		_ = c.Dynamic.Resource(infrastructures).Delete(ctx, "cluster", metav1.DeleteOptions{})
		_ = c.Dynamic.Resource(authentications).Delete(ctx, "cluster", metav1.DeleteOptions{})
		_ = c.Dynamic.Resource(crds).Delete(ctx, "clusters.aro.openshift.io", metav1.DeleteOptions{})
		_ = c.Typed.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "peerpods-e2e=discovery"})
		for _, name := range []string{"aws-creds", "azure-credentials", "gcp-credentials"} {
			_ = c.Typed.CoreV1().Secrets("kube-system").Delete(ctx, name, metav1.DeleteOptions{})
		}
		_ = c.Typed.CoreV1().ConfigMaps("kube-system").Delete(ctx, "cluster-config-v1", metav1.DeleteOptions{})
	})
	p := newInitProject(t)

	for _, tc := range []struct {
		name  string
		cl    clustertest.Cluster
		aro   bool
		lines []string // in the stack file init writes
	}{
		{"aws", clustertest.For(contract.AWS), false, []string{"peerpods:cloud: aws", "peerpods:identity: cco", "    infraId: mycluster-x7k2p", "    region: us-east-2"}},
		{"azure", clustertest.For(contract.Azure), false, []string{"peerpods:cloud: azure", "    resourceGroup: mycluster-x7k2p-rg"}},
		{"gcp", clustertest.For(contract.GCP), false, []string{"peerpods:cloud: gcp", "    projectId: my-openshift-project", "    zone: us-central1-a",
			"    network: mycluster-x7k2p-network", "    sourceRanges: [10.0.0.0/16]"}},
		{"aro", clustertest.For(contract.Azure, clustertest.AsARO), true, []string{"peerpods:cloud: azure", "    resourceGroup: aro-mycluster-x7k2p", "    networkResourceGroup: aro-vnet-rg"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeCluster(t, c, tc.cl)
			if tc.aro {
				kubetest.InstallCRDs(t, kubetest.RepoFile(t, "tests/testdata/aro/clusters.aro.openshift.io.yaml"))
			}
			clients, err := ocp.Connect(kubeconfig, "")
			if err != nil {
				t.Fatal(err)
			}
			f, err := ocp.Read(ctx, clients)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ocp.Read(ctx, tc.cl.Fake()) // the same objects on client-go's fakes
			want.Subscription = ""                 // no OLM on this server
			if f.PlatformType != want.PlatformType || f.Cloud != want.Cloud || f.InfraName != want.InfraName || f.AWSRegion != want.AWSRegion ||
				f.AzureResourceGroup != want.AzureResourceGroup || f.AzureNetworkResourceGroup != want.AzureNetworkResourceGroup || f.ARO != want.ARO ||
				f.GCPProject != want.GCPProject || f.ServiceAccountIssuer != want.ServiceAccountIssuer || len(f.Workers) != len(want.Workers) ||
				strings.Join(f.MachineNetworks, ",") != strings.Join(want.MachineNetworks, ",") {
				t.Errorf("read %+v\nwant %+v", f, want)
			}

			// The program, on the clouds' mocks, with the real kubeconfig
			// and no cloud set: everything else comes from the server.
			cfg := stacktest.WithSecrets(map[string]string{"peerpods:handoff": "manifests"})
			cfg.Values["peerpods:kubeconfig"] = string(kubeconfig)
			var d *stacks.Deployment
			err = pulumitest.Run(stacktest.CloudMocks(), cfg, func(ctx *pulumi.Context) error {
				var err error
				d, err = stacks.DeployWith(ctx, stacks.Options{})
				return err
			})
			if err != nil {
				t.Fatalf("the program on the %s cluster: %v", tc.name, err)
			}
			if d.Config.Cloud != f.Cloud || d.Config.Identity != contract.IdentityCCO || len(d.Config.Discovery.Found) < 2 {
				t.Errorf("program: cloud %s identity %s found %+v", d.Config.Cloud, d.Config.Identity, d.Config.Discovery.Found)
			}

			// Static credentials read from the server's CCO root secret:
			// peer-pods-secret holds exactly its keys, mapped as the
			// operator maps them.
			cco := stacktest.WithSecrets(map[string]string{"peerpods:handoff": "manifests", "peerpods:identity": "static",
				"peerpods:credentialsFromCluster": "true", "peerpods:acknowledgeRootCredential": "true"})
			for k := range cco.Values {
				if strings.HasPrefix(k, "peerpods:aws") || strings.HasPrefix(k, "peerpods:azureClient") || strings.HasPrefix(k, "peerpods:azureTenant") || k == "peerpods:gcpCredentials" {
					delete(cco.Values, k)
				}
			}
			cco.Values["peerpods:kubeconfig"] = string(kubeconfig)
			err = pulumitest.Run(stacktest.CloudMocks(), cco, func(ctx *pulumi.Context) error {
				var err error
				d, err = stacks.DeployWith(ctx, stacks.Options{})
				return err
			})
			if err != nil {
				t.Fatalf("credentials from the %s cluster: %v", tc.name, err)
			}
			root, _ := ocp.CCOSecretOf(f.Cloud)
			var wantKeys []string
			for _, k := range root.Keys {
				wantKeys = append(wantKeys, k)
			}
			var got []string
			for k, v := range d.Config.Secrets {
				got = append(got, k)
				if v.Reveal() == "" {
					t.Errorf("%s is empty", k)
				}
			}
			slices.Sort(wantKeys)
			slices.Sort(got)
			if !slices.Equal(got, wantKeys) {
				t.Errorf("peer-pods-secret keys from the CCO secret %v, want %v", got, wantKeys)
			}

			// peerpods init: the stack file, the kubeconfig encrypted.
			out := p.init(t, 0, tc.name, kubeconfigFile)
			file, err := os.ReadFile(filepath.Join(p.dir, "stacks", "Pulumi."+tc.name+".yaml"))
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, l := range tc.lines {
				if !strings.Contains(string(file), l+"\n") {
					t.Errorf("stack file lacks %q:\n%s", l, file)
				}
			}
			if strings.Contains(string(file), "certificate-authority-data") || strings.Contains(string(file), "client-key-data") || !strings.Contains(string(file), "peerpods:kubeconfig:\n    secure: ") {
				t.Errorf("the kubeconfig is not (only) encrypted in the stack file:\n%s", file)
			}
			// Stored: the kubeconfig reduced to its context, never in a
			// command line.
			minified, err := stacks.MinifyKubeconfig(kubeconfig, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := p.run(t, "pulumi", "config", "get", "kubeconfig", "--stack", tc.name); strings.TrimSpace(got) != strings.TrimSpace(string(minified)) {
				t.Errorf("pulumi config get kubeconfig gives another kubeconfig")
			}
			cmdlines, err := os.ReadFile(p.cmdlines)
			if err != nil || !bytes.Contains(cmdlines, []byte("config\x00set")) {
				t.Fatalf("the pulumi command lines were not recorded (%v):\n%q", err, cmdlines)
			}
			for _, secret := range secretsOf(t, kubeconfig) {
				if bytes.Contains(cmdlines, []byte(secret)) {
					t.Errorf("a pulumi command line holds the kubeconfig's credentials")
				}
			}
			if out := p.init(t, 1, tc.name, kubeconfigFile); !strings.Contains(out, "peerpods init never overwrites a stack file") {
				t.Errorf("second init:\n%s", out)
			}

			// peerpods discover, with the stack's kubeconfig decrypted by
			// Pulumi: the file init wrote agrees with the cluster; a value
			// edited away is shown (exit 7, nothing written), and --write
			// puts the cluster's back.
			discover := func(code int, args ...string) string {
				t.Helper()
				out, got := p.exec(t, p.bin, append([]string{"discover", "--stack", tc.name, "--dir", p.dir}, args...)...)
				if got != code {
					t.Fatalf("peerpods discover %v: exit %d, want %d\n%s", args, got, code, out)
				}
				return out
			}
			if out := discover(0); !strings.Contains(out, "agrees with the cluster") {
				t.Errorf("discover on the file init wrote:\n%s", out)
			}
			if f.Cloud == contract.AWS {
				path := filepath.Join(p.dir, "stacks", "Pulumi."+tc.name+".yaml")
				edited := strings.Replace(string(file), "region: "+clustertest.AWSRegion, "region: eu-west-1", 1)
				if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
					t.Fatal(err)
				}
				if out := discover(7); !strings.Contains(out, `~ peerpods:aws.region: "eu-west-1" -> "`+clustertest.AWSRegion+`"`) {
					t.Errorf("discover after an edit:\n%s", out)
				}
				if now, _ := os.ReadFile(path); string(now) != edited {
					t.Errorf("discover without --write changed the file:\n%s", now)
				}
				discover(0, "--write")
				if out := discover(0); !strings.Contains(out, "agrees with the cluster") {
					t.Errorf("discover after --write:\n%s", out)
				}
			}
		})
	}

	// Through the Pulumi engine: a preview of the libvirt-local stack
	// (libvirt, the only cloud whose provider runs here) without
	// peerpods:cloud, on a cluster of platform None, takes libvirt from
	// the cluster and says so in the preview's output.
	writeCluster(t, c, clustertest.For(contract.Libvirt))
	h := newHarness(t, "libvirt-discovery", func(h *harness, root, tmp string) string {
		return strings.Replace(localStack(h, root, tmp), "  peerpods:cloud: libvirt\n", "", 1)
	})
	h.run("pulumi", "stack", "init", h.stack)
	h.run("pulumi", "config", "set", "--secret", "kubeconfig", string(kubeconfig), "--stack", h.stack)
	if out := h.peerpods(7, "preview", "--expect-no-changes"); !strings.Contains(out, `peerpods:cloud = "libvirt", from the cluster (Infrastructure cluster status.platformStatus.type None: pod VMs on a KVM host)`) {
		t.Errorf("the preview does not report the cloud taken from the cluster:\n%s", out)
	}

	// A platform peer pods do not run on, and a cluster without OpenShift's
	// Infrastructure: one error each, no stack file.
	writeCluster(t, c, clustertest.Cluster{Platform: map[string]any{"type": "BareMetal"}, Issuer: clustertest.Issuer})
	if out := p.init(t, 1, "baremetal", kubeconfigFile); !strings.Contains(out, `the cluster's platform is "BareMetal"`) {
		t.Errorf("BareMetal:\n%s", out)
	}
	if err := c.Dynamic.Resource(infrastructures).Delete(ctx, "cluster", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := p.init(t, 1, "plain", kubeconfigFile); !strings.Contains(out, "is it OpenShift?") {
		t.Errorf("not OpenShift:\n%s", out)
	}
	for _, s := range []string{"baremetal", "plain"} {
		if _, err := os.Stat(filepath.Join(p.dir, "stacks", "Pulumi."+s+".yaml")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("init left a stack file for %s (%v)", s, err)
		}
	}
	cfg := stacktest.WithSecrets(map[string]string{"peerpods:cloud": "aws", "peerpods:handoff": "manifests"})
	cfg.Values["peerpods:kubeconfig"] = string(kubeconfig)
	err := pulumitest.Run(stacktest.CloudMocks(), cfg, func(ctx *pulumi.Context) error {
		_, err := stacks.DeployWith(ctx, stacks.Options{})
		return err
	})
	pulumitest.RequireInputError(t, err, "peerpods:kubeconfig", "OpenShift cluster")
}

// initProject is a project directory with the peerpods command, a file
// backend and a passphrase, for peerpods init.
type initProject struct {
	dir, bin string
	env      []string
	// cmdlines is where each pulumi the command starts writes its
	// command line.
	cmdlines string
}

// secretsOf returns the credentials of a kubeconfig: tokens, client keys
// and certificates, as they appear in the file.
func secretsOf(t *testing.T, kubeconfig []byte) []string {
	t.Helper()
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range cfg.AuthInfos {
		if u.Token != "" {
			out = append(out, u.Token)
		}
		if len(u.ClientKeyData) > 0 {
			out = append(out, base64.StdEncoding.EncodeToString(u.ClientKeyData))
		}
	}
	if len(out) == 0 {
		t.Fatal("the e2e kubeconfig holds no credential to look for")
	}
	return out
}

func newInitProject(t *testing.T) *initProject {
	t.Helper()
	if _, err := exec.LookPath("pulumi"); err != nil {
		t.Fatalf("the Pulumi CLI is not on PATH (make e2e builds it with make pulumi): %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	p := &initProject{dir: filepath.Join(tmp, "project"), bin: filepath.Join(tmp, "peerpods")}
	for _, d := range []string{filepath.Join(p.dir, "stacks"), filepath.Join(tmp, "state")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	project, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "Pulumi.yaml"), project, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := link(filepath.Join(binaries(t, root, true), "peerpods"), p.bin); err != nil {
		t.Fatal(err)
	}
	p.env = pulumiEnv(t, filepath.Join(tmp, "state"), filepath.Join(tmp, "home"))
	// Every pulumi the command starts records its own command line, as
	// anyone on the machine can read it (/proc/<pid>/cmdline), then runs
	// the real CLI.
	real, err := exec.LookPath("pulumi")
	if err != nil {
		t.Fatal(err)
	}
	shim := filepath.Join(tmp, "shim")
	p.cmdlines = filepath.Join(tmp, "cmdlines")
	if err := os.MkdirAll(shim, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\ncat /proc/$$/cmdline >> " + quote(p.cmdlines) + "\necho >> " + quote(p.cmdlines) + "\nexec " + quote(real) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shim, "pulumi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p.env = append(p.env, "PATH="+shim+string(os.PathListSeparator)+os.Getenv("PATH"))
	return p
}

// init runs peerpods init for stack and checks its exit code.
func (p *initProject) init(t *testing.T, wantCode int, stack, kubeconfig string) string {
	t.Helper()
	out, code := p.exec(t, p.bin, "init", "--stack", stack, "--kubeconfig", kubeconfig, "--dir", p.dir)
	if code != wantCode {
		t.Fatalf("peerpods init --stack %s: exit %d, want %d\n%s", stack, code, wantCode, out)
	}
	return out
}

func (p *initProject) run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, code := p.exec(t, name, args...)
	if code != 0 {
		t.Fatalf("%s %v: exit %d\n%s", name, args, code, out)
	}
	return out
}

func (p *initProject) exec(t *testing.T, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("%s: %v", name, err)
	return "", -1
}

var subscriptions = schema.GroupVersionResource{Group: "operators.coreos.com", Version: "v1alpha1", Resource: "subscriptions"}

// TestSubscriptionRealServer: with OLM's real Subscription CRD
// (operator-framework/api, tests/testdata/olm), discovery finds the
// operator's Subscription by its package, and the workload-identity
// handoff's patch, applied as pulumi-kubernetes applies it (server-side
// apply, not forced), sets spec.config.env and leaves the rest of the
// Subscription to OLM and the admin; an env list another manager already
// owns is a conflict (spec.config.env is one atomic list in OLM's schema),
// never silently replaced.
func TestSubscriptionRealServer(t *testing.T) {
	c := kubetest.Client(t)
	ctx := t.Context()
	kubetest.InstallCRDs(t, kubetest.RepoFile(t, "tests/testdata/olm/operators.coreos.com_subscriptions.yaml"))
	if _, err := c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: contract.Namespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	subs := c.Dynamic.Resource(subscriptions).Namespace(contract.Namespace)
	create := func(env []any) {
		t.Helper()
		s := clustertest.Sub(clustertest.Subscription)
		if env != nil {
			s.Object["spec"].(map[string]any)["config"] = map[string]any{"env": env}
		}
		if _, err := subs.Create(ctx, s, metav1.CreateOptions{FieldManager: "admin"}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = subs.Delete(context.Background(), clustertest.Subscription, metav1.DeleteOptions{}) })
	}
	create(nil)
	other := clustertest.Sub("other")
	other.Object["spec"].(map[string]any)["name"] = "another-operator"
	if _, err := subs.Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = subs.Delete(context.Background(), "other", metav1.DeleteOptions{}) })

	clients := ocp.Clients{Kube: c.Typed, Dynamic: c.Dynamic, Discovery: c.Typed.Discovery()}
	if name, err := ocp.OperatorSubscription(ctx, clients); err != nil || name != clustertest.Subscription {
		t.Fatalf("discovered Subscription %q, %v", name, err)
	}

	// The handoff of an AWS workload stack, rendered as the program does.
	_, objs := stacktest.RenderHandoff(t, "aws-example", func(cfg map[string]string) {
		cfg["peerpods:identity"] = "workload"
		cfg["peerpods:aws"] = strings.TrimSuffix(cfg["peerpods:aws"], "}") + `,"podvmAmiId":"ami-0123456789abcdef0"}`
		delete(cfg, "peerpods:awsAccessKeyId")
		delete(cfg, "peerpods:awsSecretAccessKey")
	})
	var patch *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Subscription" {
			patch = o
		}
	}
	if patch == nil {
		t.Fatalf("no Subscription among the handoff objects")
	}
	got, err := c.ApplyPatch(ctx, patch, metav1.PatchOptions{FieldManager: "pulumi-kubernetes", FieldValidation: "Strict"})
	if err != nil {
		t.Fatalf("applying the Subscription patch: %v", err)
	}
	env, _, _ := unstructured.NestedSlice(got.Object, "spec", "config", "env")
	channel, _, _ := unstructured.NestedString(got.Object, "spec", "channel")
	if len(env) != 1 || env[0].(map[string]any)["name"] != "ROLEARN" || !strings.HasPrefix(env[0].(map[string]any)["value"].(string), "arn:aws:iam::") || channel != "stable" {
		t.Errorf("Subscription after the patch: env %v channel %q", env, channel)
	}

	// An env list the admin set: a conflict, not a silent replacement.
	if err := subs.Delete(ctx, clustertest.Subscription, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	create([]any{map[string]any{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}})
	if _, err := c.ApplyPatch(ctx, patch, metav1.PatchOptions{FieldManager: "pulumi-kubernetes"}); !apierrors.IsConflict(err) {
		t.Errorf("patching an admin's env: %v, want a conflict", err)
	}
}

var csvs = schema.GroupVersionResource{Group: "operators.coreos.com", Version: "v1alpha1", Resource: "clusterserviceversions"}

// TestOperatorVersionRealServer: with OLM's real Subscription and
// ClusterServiceVersion CRDs (operator-framework/api, tests/testdata/olm),
// the operator's version is read as OLM records it: the Subscription's
// status.installedCSV (written through the status subresource, as OLM's
// catalog operator does) names the CSV whose spec.version is the version;
// before OLM installs one, there is none.
func TestOperatorVersionRealServer(t *testing.T) {
	c := kubetest.Client(t)
	ctx := t.Context()
	kubetest.InstallCRDs(t,
		kubetest.RepoFile(t, "tests/testdata/olm/operators.coreos.com_subscriptions.yaml"),
		kubetest.RepoFile(t, "tests/testdata/olm/operators.coreos.com_clusterserviceversions.yaml"))
	if _, err := c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: contract.Namespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	const name = "osc-version-test"
	subs := c.Dynamic.Resource(subscriptions).Namespace(contract.Namespace)
	sub, err := subs.Create(ctx, clustertest.Sub(name), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = subs.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	clients := ocp.Clients{Kube: c.Typed, Dynamic: c.Dynamic, Discovery: c.Typed.Discovery()}
	if csv, v, err := ocp.InstalledVersion(ctx, clients, name); err != nil || csv != "" || v != "" {
		t.Fatalf("before OLM installs: %q %q %v", csv, v, err)
	}

	const version = "1.12.1"
	csvClient := c.Dynamic.Resource(csvs).Namespace(contract.Namespace)
	if _, err := csvClient.Create(ctx, clustertest.CSV(version), metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
		t.Fatalf("the CSV does not fit OLM's CRD: %v", err)
	}
	t.Cleanup(func() {
		_ = csvClient.Delete(context.Background(), clustertest.CSVName(version), metav1.DeleteOptions{})
	})
	if err := unstructured.SetNestedField(sub.Object, clustertest.CSVName(version), "status", "installedCSV"); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(sub.Object, "2026-12-06T00:00:00Z", "status", "lastUpdated"); err != nil {
		t.Fatal(err)
	}
	if _, err := subs.UpdateStatus(ctx, sub, metav1.UpdateOptions{FieldValidation: "Strict"}); err != nil {
		t.Fatalf("writing the Subscription's status as OLM does: %v", err)
	}
	csv, v, err := ocp.InstalledVersion(ctx, clients, name)
	if err != nil || csv != clustertest.CSVName(version) || v != version {
		t.Fatalf("installed: %q %q %v", csv, v, err)
	}
	if l, w, err := contract.ParseVersion(v); err != nil || w != "" || l != contract.Line112 {
		t.Errorf("line of %s: %s %q %v", v, l, w, err)
	}
}
