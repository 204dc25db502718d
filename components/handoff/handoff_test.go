package handoff_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/sdk/go/peerpods"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/peerpods/provisioner/tests/testkit/valuestest"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func awsValues() values.Values     { return valuestest.AWS() }
func libvirtValues() values.Values { return valuestest.Libvirt() }

// args are the Args a Go program passes for values: plain maps.
func args(v values.Values) handoff.Args { return handoff.NewArgs(v, handoff.Options{}) }

// withProvider registers a Kubernetes provider, then body with it as
// the handoff's option.
func withProvider(body func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		return body(ctx, pulumi.Provider(k8s))
	}
}

// withPeerpods registers the peerpods provider the NodeTaints need, as
// a stack does (configured with the cluster's kubeconfig, a secret), and
// returns it as an option of the handoff.
func withPeerpods(ctx *pulumi.Context) (pulumi.ResourceOption, error) {
	pp, err := peerpods.NewProvider(ctx, "cluster", &peerpods.ProviderArgs{Kubeconfig: pulumi.String("kubeconfig")})
	if err != nil {
		return nil, err
	}
	return pulumi.Providers(pp), nil
}

// runHandoff registers a Kubernetes provider (unless noProvider) and a
// ClusterHandoff for a.
func runHandoff(t *testing.T, a handoff.Args, noProvider bool) (*pulumitest.Mocks, error) {
	t.Helper()
	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		var opts []pulumi.ResourceOption
		if !noProvider {
			k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
			if err != nil {
				return err
			}
			opts = append(opts, pulumi.Providers(k8s))
		}
		_, err := handoff.NewClusterHandoff(ctx, "handoff", a, opts...)
		return err
	})
	return m, err
}

// onlyProviders fails the test if m registered anything but providers and
// sources: nothing of the handoff.
func onlyProviders(t *testing.T, m *pulumitest.Mocks) {
	t.Helper()
	for _, r := range m.Resources() {
		if !strings.HasPrefix(r.Type, "pulumi:providers:") && r.Type != sourceType {
			t.Errorf("registered %s %s on bad input", r.Type, r.Name)
		}
	}
}

func TestClusterHandoffWritesExactObjects(t *testing.T) {
	m := &pulumitest.Mocks{}
	var h *handoff.ClusterHandoff
	err := pulumitest.Run(m, pulumitest.Config{}, withProvider(func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		// A resource the values need first, as the cloud's network rules.
		rule, err := newSource(ctx, "rule")
		if err != nil {
			return err
		}
		h, err = handoff.NewClusterHandoff(ctx, "handoff", args(awsValues()), k8s, pulumi.DependsOn([]pulumi.Resource{rule}))
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kubernetes:core/v1:ConfigMap handoff-peer-pods-cm",
		"kubernetes:core/v1:Namespace handoff-openshift-sandboxed-containers-operator",
		"kubernetes:core/v1:Secret handoff-peer-pods-secret",
		"peerpods:components:ClusterHandoff handoff",
		"pulumi:providers:kubernetes k8s",
		sourceType + " rule",
	}
	if got := m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("registered %v\nwant %v", got, want)
	}
	comp := m.Get(t, handoff.ClusterHandoffType, "handoff")
	prov := m.Get(t, "pulumi:providers:kubernetes", "k8s")
	if rule := m.Get(t, sourceType, "rule"); !reflect.DeepEqual(comp.Dependencies, []string{rule.URN}) {
		t.Errorf("the handoff depends on %v, want the rule", comp.Dependencies)
	}

	// The namespace is created when missing, never deleted, and first.
	ns := m.Get(t, "kubernetes:core/v1:Namespace", "handoff-openshift-sandboxed-containers-operator")
	if !ns.Retain || ns.Inputs["metadata"].ObjectValue()["name"].StringValue() != "openshift-sandboxed-containers-operator" {
		t.Errorf("namespace %v retain %v", ns.Inputs, ns.Retain)
	}
	if _, labelled := ns.Inputs["metadata"].ObjectValue()["labels"]; labelled {
		t.Error("the operator's namespace gets our label")
	}
	cm := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm")
	if cm.Parent != comp.URN || cm.Provider != prov.Ref() {
		t.Errorf("ConfigMap parent %s provider %s", cm.Parent, cm.Provider)
	}
	if cm.Retain || !reflect.DeepEqual(cm.Dependencies, []string{ns.URN}) {
		t.Errorf("ConfigMap retain %v dependencies %v", cm.Retain, cm.Dependencies)
	}
	meta := cm.Inputs["metadata"].ObjectValue()
	if meta["name"].StringValue() != "peer-pods-cm" || meta["namespace"].StringValue() != "openshift-sandboxed-containers-operator" {
		t.Errorf("ConfigMap metadata %v", meta)
	}
	if l := meta["labels"].ObjectValue()["app.kubernetes.io/managed-by"]; l.StringValue() != "peerpods" {
		t.Errorf("ConfigMap label %v", l)
	}
	if cm.Inputs["data"].IsSecret() {
		t.Error("ConfigMap data is secret")
	}
	wantData := map[string]any{
		"CLOUD_PROVIDER": "aws", "VXLAN_PORT": "9000", "PROXY_TIMEOUT": "5m", "PEERPODS_LIMIT_PER_NODE": "10",
		"ROOT_VOLUME_SIZE": "6",
		"AWS_REGION":       "aws_region", "AWS_SUBNET_ID": "aws_subnet_id", "AWS_VPC_ID": "aws_vpc_id", "AWS_SG_IDS": "aws_sg_ids",
		"PODVM_INSTANCE_TYPE": "podvm_instance_type", "PODVM_INSTANCE_TYPES": "podvm_instance_types", "PODVM_AMI_ID": "podvm_ami_id",
	}
	if data := cm.Inputs["data"].Mappable(); !reflect.DeepEqual(data, wantData) {
		t.Errorf("ConfigMap data %v\nwant %v", data, wantData)
	}

	sec := m.Get(t, "kubernetes:core/v1:Secret", "handoff-peer-pods-secret")
	if sec.Parent != comp.URN || sec.Provider != prov.Ref() {
		t.Errorf("Secret parent %s provider %s", sec.Parent, sec.Provider)
	}
	if sec.Inputs["metadata"].ObjectValue()["name"].StringValue() != "peer-pods-secret" || sec.Inputs["type"].StringValue() != "Opaque" {
		t.Errorf("Secret %v", sec.Inputs)
	}
	if _, ok := sec.Inputs["stringData"]; ok {
		t.Error("the Secret uses stringData, whose keys server-side apply cannot remove")
	}
	wantSecret := map[string]any{"AWS_ACCESS_KEY_ID": "QUtJQUVYQU1QTEU=", "AWS_SECRET_ACCESS_KEY": "czNjcjN0"}
	valuestest.RequireSecretData(t, sec, wantSecret)

	// The component's outputs.
	for out, want := range map[pulumi.Output]any{
		h.Namespace:     "openshift-sandboxed-containers-operator",
		h.ConfigMapName: "peer-pods-cm",
		h.SecretNames:   []string{"peer-pods-secret"},
	} {
		if got, _ := pulumitest.Await(t, out); !reflect.DeepEqual(got, want) {
			t.Errorf("output %v, want %v", got, want)
		}
	}
}

func TestClusterHandoffSSHKeySecret(t *testing.T) {
	m, err := runHandoff(t, args(libvirtValues()), false)
	if err != nil {
		t.Fatal(err)
	}
	ssh := m.Get(t, "kubernetes:core/v1:Secret", "handoff-ssh-key-secret")
	if ssh.Inputs["metadata"].ObjectValue()["name"].StringValue() != "ssh-key-secret" {
		t.Errorf("name %v", ssh.Inputs["metadata"])
	}
	valuestest.RequireSecretData(t, ssh, map[string]any{"id_rsa": "UFJJVkFURQ==", "id_rsa.pub": "c3NoLXJzYSBBQUE=", "known_hosts": "aCBzc2gtZWQyNTUxOSBBQUE="})
}

// TestClusterHandoffEmptySSHKeySecret: a cloud component that uses no
// ssh-key-secret outputs an empty one; passed on as it is, plain or as an
// output, it is none.
func TestClusterHandoffEmptySSHKeySecret(t *testing.T) {
	for name, ssh := range map[string]pulumi.StringMapInput{
		"plain":  pulumi.StringMap{},
		"output": pulumi.ToSecret(pulumi.StringMap{}).(pulumi.StringMapOutput),
	} {
		t.Run(name, func(t *testing.T) {
			a := args(awsValues())
			a.SSHKeySecret = ssh
			m, err := runHandoff(t, a, false)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(m.OfType("kubernetes:core/v1:Secret")); n != 1 {
				t.Errorf("%d Secrets: %v", n, m.Summary())
			}
		})
	}
}

// TestClusterHandoffRefusesBadInputAndRegistersNothing: what is known
// when the handoff is called is checked first, every problem at once, and
// nothing is registered.
func TestClusterHandoffRefusesBadInputAndRegistersNothing(t *testing.T) {
	change := func(v values.Values, f func(*values.Values)) handoff.Args {
		f(&v)
		return args(v)
	}
	missingSecret := change(awsValues(), func(v *values.Values) { delete(v.Secret, "AWS_SECRET_ACCESS_KEY") })
	unknownKey := change(awsValues(), func(v *values.Values) { v.ConfigMap["AWS_SG_ID"] = pulumi.String("sg-1") })
	missingCM := change(awsValues(), func(v *values.Values) { delete(v.ConfigMap, "AWS_VPC_ID") })
	sshForAWS := change(awsValues(), func(v *values.Values) { v.SSHKey = pulumi.StringMap{"id_rsa": pulumi.String("k")} })
	azureNoSSH := change(awsValues(), func(v *values.Values) { v.Cloud = contract.Azure })
	azureNoSSH.OperatorLine = "1.10" // the last line whose Azure reads ssh-key-secret
	// Keys are known even when values are outputs: checked before
	// anything is registered.
	outputValue := change(awsValues(), func(v *values.Values) {
		v.ConfigMap["AWS_SG_ID"] = pulumi.String("sg-1").ToStringOutput()
	})
	unknownCloud := args(awsValues())
	unknownCloud.Cloud = "openstack"
	noMaps := handoff.Args{Cloud: "aws", Identity: "static"}
	badNode := args(awsValues())
	badNode.Nodes = []handoff.NodePatch{{Name: "w", Taints: []handoff.Taint{{Key: "k", Effect: "Never"}}}}
	twoTaintsOneSlot := args(awsValues())
	twoTaintsOneSlot.Nodes = []handoff.NodePatch{{Name: "w", Taints: []handoff.Taint{{Key: "k", Value: "a", Effect: "NoSchedule"}, {Key: "k", Value: "b", Effect: "NoSchedule"}}}}
	taintsWithoutProvider := args(awsValues())
	taintsWithoutProvider.Nodes = []handoff.NodePatch{{Name: "w"}, {Name: "x", Taints: []handoff.Taint{{Key: "k", Effect: "NoSchedule"}}}, {Name: "y", Taints: []handoff.Taint{{Key: "k", Effect: "NoSchedule"}}}}

	cases := []struct {
		name       string
		args       handoff.Args
		noProvider bool
		want       []string
	}{
		{"missing secret", missingSecret, false, []string{"the key AWS_SECRET_ACCESS_KEY is missing for aws, and it is required (operator)"}},
		{"unknown key", unknownKey, false, []string{"do not read the key AWS_SG_ID"}},
		{"unknown key, output value", outputValue, false, []string{"do not read the key AWS_SG_ID"}},
		{"missing ConfigMap key", missingCM, false, []string{"the key AWS_VPC_ID is missing"}},
		{"ssh key for aws", sshForAWS, false, []string{"ssh-key-secret: aws does not use it"}},
		{"azure without ssh key", azureNoSSH, false, []string{"ssh-key-secret: missing"}},
		{"unknown cloud", unknownCloud, false, []string{`cloud is "openstack", which is not a cloud; fix: use one of aws, azure, gcp, libvirt`}},
		{"no maps", noMaps, false, []string{"configMap is not given", "secret is not given"}},
		{"bad node", badNode, false, []string{`nodes[0].taints[0].effect is "Never"`}},
		{"two taints of one key and effect", twoTaintsOneSlot, false, []string{"nodes[0].taints[1] has the key and effect of nodes[0].taints[0]"}},
		{"taints without a peerpods provider", taintsWithoutProvider, false, []string{"provider for peerpods is not given, and nodes[1] (x) has taints, which a NodeTaints of the peerpods provider adds through the cluster's API",
			"fix: pass a peerpods provider configured with the cluster's kubeconfig (peerpods.ProviderArgs Kubeconfig, a secret, and KubeContext) next to the Kubernetes provider"}},
		{"no provider", args(awsValues()), true, []string{"provider for Kubernetes is not given"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := runHandoff(t, c.args, c.noProvider)
			for _, want := range c.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("want error containing %q, got %v", want, err)
				}
			}
			onlyProviders(t, m)
		})
	}
}

// TestClusterHandoffRefusesBadKataConfig checks the KataConfig against
// Kubernetes' rules before anything is registered.
func TestClusterHandoffRefusesBadKataConfig(t *testing.T) {
	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, withProvider(func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		_, err := handoff.NewClusterHandoff(ctx, "handoff", handoff.NewArgs(awsValues(),
			handoff.Options{KataConfig: &handoff.KataConfigOptions{Name: "Cluster_KataConfig"}}), k8s)
		return err
	}))
	pulumitest.RequireInputError(t, err, "kataConfig.name", "such as cluster-kataconfig")
	onlyProviders(t, m)
}

func TestParseMode(t *testing.T) {
	for _, ok := range []handoff.Mode{handoff.ModeCluster, handoff.ModeManifests, handoff.ModeOff} {
		if m, err := handoff.ParseMode("handoff", string(ok)); err != nil || m != ok {
			t.Errorf("%s: %v %v", ok, m, err)
		}
	}
	_, err := handoff.ParseMode("peerpods:handoff", "on")
	pulumitest.RequireInputError(t, err, "peerpods:handoff", `"cluster"`)
}

// TestArgsAreInputsOfEveryLanguage: the Go SDK's ConstructInputs.CopyTo
// (and infer.ComponentF) fill only fields with pulumi tags, at the top
// level by name, and never embedded structs; the nested structs need
// their tags too. The json tags of KataConfigOptions stay for the stack.
func TestArgsAreInputsOfEveryLanguage(t *testing.T) {
	tags := func(typ reflect.Type) map[string]string {
		out := map[string]string{}
		for f := range typ.Fields() {
			if f.Anonymous && f.Type != reflect.TypeFor[pulumi.ResourceState]() {
				t.Errorf("%s embeds %s", typ, f.Name)
			}
			if f.IsExported() && !f.Anonymous {
				out[f.Name] = string(f.Tag)
			}
		}
		return out
	}
	for typ, want := range map[reflect.Type]map[string]string{
		reflect.TypeFor[handoff.Args](): {
			"Cloud":        `pulumi:"cloud"`,
			"ConfigMap":    `pulumi:"configMap"`,
			"Secret":       `pulumi:"secret,optional" provider:"secret"`,
			"Identity":     `pulumi:"identity,optional"`,
			"OperatorEnv":  `pulumi:"operatorEnv,optional"`,
			"OperatorLine": `pulumi:"operatorLine,optional"`,
			"Subscription": `pulumi:"subscription,optional"`,
			"SSHKeySecret": `pulumi:"sshKeySecret,optional" provider:"secret"`,
			"KataConfig":   `pulumi:"kataConfig,optional"`,
			"Nodes":        `pulumi:"nodes,optional"`,
			"Adopt":        `pulumi:"adopt,optional"`,
			"Existing":     `pulumi:"existing,optional"`,
		},
		reflect.TypeFor[handoff.KataConfigOptions](): {
			"Name":         `json:"name,omitzero" pulumi:"name,optional"`,
			"PoolSelector": `json:"poolSelector,omitzero" pulumi:"poolSelector,optional"`,
		},
		reflect.TypeFor[handoff.NodePatch](): {"Name": `pulumi:"name"`, "Labels": `pulumi:"labels,optional"`, "Taints": `pulumi:"taints,optional"`},
		reflect.TypeFor[handoff.Taint]():     {"Key": `pulumi:"key"`, "Value": `pulumi:"value,optional"`, "Effect": `pulumi:"effect"`},
		reflect.TypeFor[handoff.ClusterHandoff](): {
			"Namespace": `pulumi:"namespace"`, "ConfigMapName": `pulumi:"configMapName"`, "SecretNames": `pulumi:"secretNames"`,
		},
	} {
		if got := tags(typ); !reflect.DeepEqual(got, want) {
			t.Errorf("%s tags %v\nwant %v", typ, got, want)
		}
	}
}

// NewArgs leaves a cloud's missing ssh-key-secret out: a nil map in the
// input interface would be an (empty) input.
func TestNewArgs(t *testing.T) {
	nodes := []handoff.NodePatch{{Name: "w"}}
	kata := &handoff.KataConfigOptions{}
	v := awsValues()
	a := handoff.NewArgs(v, handoff.Options{KataConfig: kata, Nodes: nodes})
	if a.Cloud != "aws" || a.SSHKeySecret != nil || a.KataConfig != kata || !reflect.DeepEqual(a.Nodes, nodes) ||
		!reflect.DeepEqual(a.ConfigMap, v.ConfigMap) || !reflect.DeepEqual(a.Secret, v.Secret) {
		t.Errorf("args %+v", a)
	}
	if a := args(libvirtValues()); !reflect.DeepEqual(a.SSHKeySecret, libvirtValues().SSHKey) {
		t.Errorf("ssh-key-secret %v", a.SSHKeySecret)
	}
}

// A source is a resource whose "data" output is a map: a cloud
// component's output, as another language passes it.
type source struct {
	pulumi.CustomResourceState
	Data pulumi.StringMapOutput `pulumi:"data"`
}

const sourceType = "test:index:Source"

func newSource(ctx *pulumi.Context, name string) (*source, error) {
	s := &source{}
	return s, ctx.RegisterResource(sourceType, name, pulumi.Map{}, s)
}

// sourceMocks give each source named in data its data output; the others
// have an unknown one (a preview before the resource exists).
func sourceMocks(data map[string]map[string]string) *pulumitest.Mocks {
	return &pulumitest.Mocks{Fakes: map[string]pulumitest.FakeFunc{
		sourceType: func(name string, _ resource.PropertyMap) (string, resource.PropertyMap) {
			d, ok := data[name]
			if !ok {
				return name + "-id", resource.PropertyMap{"data": resource.MakeComputed(resource.NewProperty(""))}
			}
			m := resource.PropertyMap{}
			for k, v := range d {
				m[resource.PropertyKey(k)] = resource.NewProperty(v)
			}
			return name + "-id", resource.PropertyMap{"data": resource.NewProperty(m)}
		},
	}}
}

// runFromSources runs a ClusterHandoff (with a KataConfig and a node
// patch with a taint, so that every kind of object waits for the check) whose maps are
// the data outputs of sources configMap, secret and, when ssh, sshKey,
// as a program in another language passes them; preview runs it as a
// preview.
func runFromSources(t *testing.T, m *pulumitest.Mocks, cloud string, ssh, preview bool) error {
	t.Helper()
	body := withProvider(func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		a := handoff.Args{Cloud: cloud, Identity: "static", KataConfig: &handoff.KataConfigOptions{},
			Nodes: []handoff.NodePatch{{Name: "w", Labels: map[string]string{"kata": ""}, Taints: []handoff.Taint{{Key: "kata", Effect: "NoSchedule"}}}}}
		for name, field := range map[string]*pulumi.StringMapInput{"configMap": &a.ConfigMap, "secret": &a.Secret, "sshKey": &a.SSHKeySecret} {
			if name == "sshKey" && !ssh {
				continue
			}
			s, err := newSource(ctx, name)
			if err != nil {
				return err
			}
			*field = s.Data
		}
		pp, err := withPeerpods(ctx)
		if err != nil {
			return err
		}
		_, err = handoff.NewClusterHandoff(ctx, "handoff", a, k8s, pp)
		return err
	})
	if preview {
		return pulumi.RunErr(body, pulumi.WithMocks(pulumitest.Project, pulumitest.Stack, m), func(ri *pulumi.RunInfo) { ri.DryRun = true })
	}
	return pulumitest.Run(m, pulumitest.Config{}, body)
}

// TestClusterHandoffUnknownMapsAtPreview: a map that is the output of a
// resource not created yet is unknown in a preview; the keys cannot be
// checked, and the handoff plans every object all the same, without
// failing, the ConfigMap's data unknown. (The Secrets' maps are known
// here: the SDK's mock monitor cannot read an unknown secret input,
// "malformed RPC secret", which the engine takes.)
func TestClusterHandoffUnknownMapsAtPreview(t *testing.T) {
	v := libvirtValues()
	m := sourceMocks(map[string]map[string]string{"secret": valuestest.Plain(v.Secret), "sshKey": valuestest.Plain(v.SSHKey)})
	if err := runFromSources(t, m, "libvirt", true, true); err != nil {
		t.Fatal(err)
	}
	if got := valuestest.KubernetesObjects(m); !reflect.DeepEqual(got, valuestest.HandoffObjects) {
		t.Fatalf("objects %v\nwant %v", got, valuestest.HandoffObjects)
	}
	cm := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm")
	if d, ok := cm.Inputs["data"]; ok && !d.IsComputed() {
		t.Errorf("ConfigMap data is known: %v", d)
	}
	valuestest.RequireSecretData(t, m.Get(t, "kubernetes:core/v1:Secret", "handoff-peer-pods-secret"),
		map[string]any{"CLOUD_PROVIDER": "bGlidmlydA==", "LIBVIRT_POOL": "eA==", "LIBVIRT_URI": "cWVtdStzc2g6Ly9yb290QGgvc3lzdGVt", "LIBVIRT_VOL_NAME": "eA==", "REDHAT_OFFLINE_TOKEN": "dA=="})
}

// TestClusterHandoffChecksResolvedMaps: maps that are outputs are checked
// once they resolve; when the keys are right, every object is written
// after the check, depending on the resources of the maps, the Secret
// data secret and the ConfigMap's not, whatever the Secret's input was.
func TestClusterHandoffChecksResolvedMaps(t *testing.T) {
	v := libvirtValues()
	m := sourceMocks(map[string]map[string]string{"configMap": valuestest.Plain(v.ConfigMap), "secret": valuestest.Plain(v.Secret), "sshKey": valuestest.Plain(v.SSHKey)})
	if err := runFromSources(t, m, "libvirt", true, false); err != nil {
		t.Fatal(err)
	}
	if got := valuestest.KubernetesObjects(m); !reflect.DeepEqual(got, valuestest.HandoffObjects) {
		t.Fatalf("objects %v\nwant %v", got, valuestest.HandoffObjects)
	}
	var sources []string
	for _, s := range m.OfType(sourceType) {
		sources = append(sources, s.URN)
	}
	ns := m.Get(t, "kubernetes:core/v1:Namespace", "handoff-openshift-sandboxed-containers-operator")
	for _, r := range m.Resources() {
		if strings.HasPrefix(r.Type, "kubernetes:") || r.Type == handoff.TypeNodeTaints {
			for _, s := range sources {
				if !slices.Contains(r.Dependencies, s) {
					t.Errorf("%s does not wait for the maps' resource %s: %v", r.Name, s, r.Dependencies)
				}
			}
			if r.Name != ns.Name && r.Type != handoff.TypeNodeTaints && !slices.Contains(r.Dependencies, ns.URN) {
				t.Errorf("%s does not wait for the namespace", r.Name)
			}
		}
	}
	// The taints wait for the check (the maps' resources) and their
	// node's labels only.
	taints := m.Get(t, handoff.TypeNodeTaints, "handoff-w")
	want := append(slices.Clone(sources), m.Get(t, "kubernetes:core/v1:NodePatch", "handoff-w").URN)
	slices.Sort(want)
	if got := slices.Sorted(slices.Values(taints.Dependencies)); !reflect.DeepEqual(got, want) {
		t.Errorf("NodeTaints depends on %v, want %v", got, want)
	}
	cm := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm").Inputs["data"]
	wantCM := map[string]any{}
	for k, v := range valuestest.Plain(v.ConfigMap) {
		wantCM[k] = v
	}
	if cm.IsSecret() || !reflect.DeepEqual(cm.Mappable(), wantCM) {
		t.Errorf("ConfigMap data %v\nwant %v", cm, wantCM)
	}
	valuestest.RequireSecretData(t, m.Get(t, "kubernetes:core/v1:Secret", "handoff-peer-pods-secret"),
		map[string]any{"CLOUD_PROVIDER": "bGlidmlydA==", "LIBVIRT_POOL": "eA==", "LIBVIRT_URI": "cWVtdStzc2g6Ly9yb290QGgvc3lzdGVt", "LIBVIRT_VOL_NAME": "eA==", "REDHAT_OFFLINE_TOKEN": "dA=="})
	valuestest.RequireSecretData(t, m.Get(t, "kubernetes:core/v1:Secret", "handoff-ssh-key-secret"),
		map[string]any{"id_rsa": "UFJJVkFURQ==", "id_rsa.pub": "c3NoLXJzYSBBQUE=", "known_hosts": "aCBzc2gtZWQyNTUxOSBBQUE="})
}

// TestClusterHandoffSecretInputKeepsConfigMapPlain: a secret map beside
// the others (another language's secret input) keeps its secrecy in the
// Secret, and the check that reads every map does not make the ConfigMap
// secret.
func TestClusterHandoffSecretInputKeepsConfigMapPlain(t *testing.T) {
	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, withProvider(func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		a := args(awsValues())
		a.ConfigMap = a.ConfigMap.ToStringMapOutput()
		a.Secret = pulumi.ToSecret(a.Secret).(pulumi.StringMapOutput)
		_, err := handoff.NewClusterHandoff(ctx, "handoff", a, k8s)
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	cm := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm").Inputs["data"]
	if cm.IsSecret() || cm.ObjectValue()["AWS_SG_IDS"].StringValue() != "aws_sg_ids" {
		t.Errorf("ConfigMap data %v", cm)
	}
	valuestest.RequireSecretData(t, m.Get(t, "kubernetes:core/v1:Secret", "handoff-peer-pods-secret"),
		map[string]any{"AWS_ACCESS_KEY_ID": "QUtJQUVYQU1QTEU=", "AWS_SECRET_ACCESS_KEY": "czNjcjN0"})
}

// TestClusterHandoffFailsOnResolvedBadKeys: a resolved map with a key the
// operator does not read, or without one it needs, fails the update with
// the contract's error, and no object reaches the cluster.
func TestClusterHandoffFailsOnResolvedBadKeys(t *testing.T) {
	aws := awsValues()
	good := func() map[string]map[string]string {
		return map[string]map[string]string{"configMap": valuestest.Plain(aws.ConfigMap), "secret": valuestest.Plain(aws.Secret)}
	}
	unknownKey := good()
	unknownKey["configMap"]["AWS_SG_ID"] = "sg-1"
	missingKey := good()
	delete(missingKey["secret"], "AWS_SECRET_ACCESS_KEY")
	sshForAWS := good()
	sshForAWS["sshKey"] = map[string]string{"id_rsa": "k"}
	cases := []struct {
		name    string
		data    map[string]map[string]string
		ssh     bool
		preview bool
		want    string
	}{
		{"unknown key", unknownKey, false, false, "peer-pods-cm: the operator and cloud-api-adaptor do not read the key AWS_SG_ID for aws"},
		{"unknown key, known at preview", unknownKey, false, true, "do not read the key AWS_SG_ID"},
		{"missing key", missingKey, false, false, "peer-pods-secret: the key AWS_SECRET_ACCESS_KEY is missing for aws"},
		{"ssh key for aws", sshForAWS, true, false, "ssh-key-secret: aws does not use it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := sourceMocks(c.data)
			err := runFromSources(t, m, "aws", c.ssh, c.preview)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want error containing %q, got %v", c.want, err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error shows a secret value: %v", err)
			}
			if got := valuestest.KubernetesObjects(m); len(got) > 0 {
				t.Errorf("registered %v on bad keys", got)
			}
		})
	}
}

// TestClusterHandoffWaitsForReady: with no pulumi.DependsOn of the
// caller's, the handoff and every object it registers (the namespace,
// peer-pods-cm, the secret, the node patches and taints, the KataConfig)
// depend on the resources the values need (Values.Ready, such as the
// network rules), whether the values come as Args from NewArgs (a Go
// program) or as the cloud component's outputs (values.Outputs, as
// another language passes them).
func TestClusterHandoffWaitsForReady(t *testing.T) {
	for _, via := range []string{"NewArgs", "outputs"} {
		t.Run(via, func(t *testing.T) {
			m := &pulumitest.Mocks{}
			err := pulumitest.Run(m, pulumitest.Config{}, withProvider(func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
				v := awsValues()
				for _, name := range []string{"rule-a", "rule-b"} {
					rule, err := newSource(ctx, name)
					if err != nil {
						return err
					}
					v.Ready = append(v.Ready, rule)
				}
				a := handoff.NewArgs(v, handoff.Options{Nodes: placementNodes(t), KataConfig: &handoff.KataConfigOptions{}})
				if via == "outputs" {
					o := v.Outputs()
					a = handoff.Args{Cloud: "aws", Identity: "static", ConfigMap: o.ConfigMap, Secret: o.Secret, SSHKeySecret: o.SSHKeySecret,
						Nodes: a.Nodes, KataConfig: a.KataConfig}
				}
				pp, err := withPeerpods(ctx)
				if err != nil {
					return err
				}
				_, err = handoff.NewClusterHandoff(ctx, "handoff", a, k8s, pp)
				return err
			}))
			if err != nil {
				t.Fatal(err)
			}
			rules := []string{m.Get(t, sourceType, "rule-a").URN, m.Get(t, sourceType, "rule-b").URN}
			comp := m.Get(t, handoff.ClusterHandoffType, "handoff")
			if via == "NewArgs" && !reflect.DeepEqual(comp.Dependencies, rules) {
				t.Errorf("the handoff depends on %v, want the rules %v", comp.Dependencies, rules)
			}
			var objects []string
			for _, r := range m.Resources() {
				if r.Parent != comp.URN || !r.Custom || strings.HasPrefix(r.Type, "pulumi:providers:") {
					continue
				}
				objects = append(objects, r.Type)
				for _, rule := range rules {
					if !slices.Contains(r.Dependencies, rule) {
						t.Errorf("%s %s does not depend on %s: %v", r.Type, r.Name, rule, r.Dependencies)
					}
				}
			}
			if len(objects) != 7 || !slices.Contains(objects, "kubernetes:core/v1:ConfigMap") || !slices.Contains(objects, handoff.TypeNodeTaints) {
				t.Errorf("objects %v", objects)
			}
		})
	}
}
