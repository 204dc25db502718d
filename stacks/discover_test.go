package stacks_test

import (
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/stacks"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// awsFromCluster is the AWS example with only what the cluster cannot
// know: no cloud, region or infrastructure name.
func awsFromCluster(t *testing.T) map[string]string {
	cfg := stackConfig(t, "aws-example")
	delete(cfg, "peerpods:cloud")
	cfg["peerpods:aws"] = `{"podvmInstanceType":"t3.medium"}`
	return cfg
}

// What the stack file does not set is read from the cluster for the run,
// each value reported with where it was read and the command that writes
// it into the stack file.
func TestSettingsFromTheCluster(t *testing.T) {
	m, d, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), withSecrets(awsFromCluster(t)), clustertest.For(contract.AWS))
	if err != nil {
		t.Fatal(err)
	}
	if d.Config.Cloud != "aws" {
		t.Errorf("cloud %q", d.Config.Cloud)
	}
	if r := m.Get(t, "pulumi:providers:aws", "aws").Inputs["region"].StringValue(); r != clustertest.AWSRegion {
		t.Errorf("provider region %q", r)
	}
	// The workers were found by the cluster's infrastructure name.
	var filters []string
	for _, inv := range m.Invokes() {
		if inv.Token == "aws:ec2/getInstances:getInstances" {
			for _, f := range inv.Args["filters"].ArrayValue() {
				filters = append(filters, f.ObjectValue()["name"].StringValue())
			}
		}
	}
	if !reflect.DeepEqual(filters, []string{"tag:kubernetes.io/cluster/" + clustertest.InfraName, "tag:Name"}) {
		t.Errorf("getInstances filters %v", filters)
	}
	outs := await(t, d.Outputs)
	report := toAny(outs["cluster"].value)
	found := report["found"].(map[string]any)
	want := map[string]string{
		"cloud":       "Infrastructure cluster status.platformStatus.type",
		"aws.region":  "Infrastructure cluster status.platformStatus.aws.region",
		"aws.infraId": "Infrastructure cluster status.infrastructureName",
	}
	if len(found) != len(want) || report["platform"] != "AWS" {
		t.Errorf("cluster output %v", report)
	}
	for s, from := range want {
		if f, _ := found[s].(map[string]any); f == nil || f["from"] != from {
			t.Errorf("%s: %v, want from %q", s, found[s], from)
		}
	}
	rec := toAny(outs["discovered"].value)
	if rec["aws.region"] != clustertest.AWSRegion || rec["aws.infraId"] != clustertest.InfraName {
		t.Errorf("discovered %v", rec)
	}
	wantMsgs := []string{
		`peerpods:aws.infraId = "mycluster-x7k2p", from the cluster (Infrastructure cluster status.infrastructureName): not in the stack file, used for this run; peerpods discover --stack test --write records it`,
		`peerpods:aws.region = "us-east-2", from the cluster (Infrastructure cluster status.platformStatus.aws.region): not in the stack file, used for this run; peerpods discover --stack test --write records it`,
		`peerpods:cloud = "aws", from the cluster (Infrastructure cluster status.platformStatus.type): not in the stack file, used for this run; peerpods discover --stack test --write records it`,
	}
	if got := d.Config.Discovery.Messages(pulumitest.Stack); !reflect.DeepEqual(got, wantMsgs) {
		t.Errorf("messages %q", got)
	}
}

// A setting in the stack wins over the cluster's value.
func TestStackSettingWins(t *testing.T) {
	cfg := awsFromCluster(t)
	cfg["peerpods:aws"] = `{"region":"eu-west-1","instanceId":"i-0aaaaaaaaaaaaaaa0"}`
	m, d, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), withSecrets(cfg), clustertest.For(contract.AWS))
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Get(t, "pulumi:providers:aws", "aws").Inputs["region"].StringValue(); r != "eu-west-1" {
		t.Errorf("region %q", r)
	}
	for _, f := range d.Config.Discovery.Found {
		if f.Setting == "aws.region" || f.Setting == "aws.infraId" { // instanceId given: no infraId
			t.Errorf("found %s although the stack sets it", f.Setting)
		}
	}
}

// A stack file value the cluster now contradicts is kept: the run plans
// with the file and warns with both values and the command that updates
// the file. No StackReference is registered: the run reads no outputs.
func TestStackFileWinsOverCluster(t *testing.T) {
	cfg := awsFromCluster(t)
	cfg["peerpods:aws"] = `{"region":"us-west-2","infraId":"` + clustertest.InfraName + `"}`
	m, d, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), withSecrets(cfg), clustertest.For(contract.AWS))
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Get(t, "pulumi:providers:aws", "aws").Inputs["region"].StringValue(); r != "us-west-2" {
		t.Errorf("region %q, want the stack file's us-west-2", r)
	}
	dr := d.Config.Discovery.Drift
	want := []stacks.Drift{{Setting: "aws.region", File: "us-west-2", Cluster: clustertest.AWSRegion, From: "Infrastructure cluster status.platformStatus.aws.region"}}
	if !reflect.DeepEqual(dr, want) {
		t.Fatalf("drift %+v\nwant %+v", dr, want)
	}
	msg := dr[0].Message(pulumitest.Stack)
	for _, part := range []string{"peerpods:aws.region", `"us-west-2"`, `"us-east-2"`, "peerpods discover --stack test --write"} {
		if !strings.Contains(msg, part) {
			t.Errorf("message %q lacks %q", msg, part)
		}
	}
	for _, f := range d.Config.Discovery.Found {
		if f.Setting != "cloud" {
			t.Errorf("found %s, which the stack file sets", f.Setting)
		}
	}
	if refs := m.OfType("pulumi:pulumi:StackReference"); len(refs) != 0 {
		t.Errorf("stack references %v", refs)
	}

	// The cluster is connected to (and read) once: one load.
	connects := 0
	opts := stacks.Options{Connect: func([]byte, string) (cluster.Clients, error) {
		connects++
		return clustertest.For(contract.AWS).Fake(), nil
	}, NoCreateGuard: true}
	err = pulumitest.Run(stacktest.CloudMocks(), withSecrets(cfg), func(ctx *pulumi.Context) error {
		_, err := stacks.DeployWith(ctx, opts)
		return err
	})
	if err != nil || connects != 1 {
		t.Errorf("connected %d times (%v), want once", connects, err)
	}
}

// In the default identity mode (cco) the stack writes no peer-pods-secret.
func TestCCOIsTheDefault(t *testing.T) {
	cfg := stackConfig(t, "aws-example")
	delete(cfg, "peerpods:identity")
	m, d, err := deploy(t, withSecrets(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if d.Config.Identity != contract.IdentityCCO || len(m.OfType("kubernetes:core/v1:Secret")) != 0 || len(m.OfType("aws:s3/bucketV2:BucketV2")) != 0 {
		t.Errorf("identity %s, graph %v", d.Config.Identity, m.Summary())
	}
}

// Static keys read from the cluster's CCO root secret, kept secret.
func TestCredentialsFromCluster(t *testing.T) {
	cfg := stackConfig(t, "aws-example")
	cfg["peerpods:credentialsFromCluster"] = "true"
	c := pulumitest.Config{Values: cfg}
	// Refused until the root credential's copy is acknowledged.
	maps.Copy(cfg, map[string]string{"peerpods:kubeconfig": stacktest.Kubeconfig})
	c.Secrets = []string{"peerpods:kubeconfig"}
	if _, _, err := stacktest.DeployOn(t, stacktest.CloudMocks(), c); err == nil || !strings.Contains(err.Error(), "peerpods:acknowledgeRootCredential") {
		t.Fatalf("root credential copied without acknowledgement: %v", err)
	}
	cfg["peerpods:acknowledgeRootCredential"] = "true"
	maps.Copy(cfg, map[string]string{"peerpods:kubeconfig": stacktest.Kubeconfig})
	c.Secrets = []string{"peerpods:kubeconfig"}
	m, d, err := stacktest.DeployOn(t, stacktest.CloudMocks(), c)
	if err != nil {
		t.Fatal(err)
	}
	for k := range toAny(await(t, d.Outputs)["discovered"].value) {
		if strings.HasPrefix(k, "secret.") {
			t.Errorf("discovered records %s", k)
		}
	}
	sd := m.Get(t, "kubernetes:core/v1:Secret", "handoff-peer-pods-secret").Inputs["data"]
	if !sd.IsSecret() || !reflect.DeepEqual(sd.SecretValue().Element.Mappable(), map[string]any{"AWS_ACCESS_KEY_ID": b64("AKIAIOSFODNN7EXAMPLE"), "AWS_SECRET_ACCESS_KEY": b64("cco-root-secret-key")}) {
		t.Errorf("peer-pods-secret %v", sd)
	}
}

// Bad input about the cluster: one error naming the setting, nothing
// registered.
func TestClusterBadInput(t *testing.T) {
	withCfg := func(change func(map[string]string)) map[string]string {
		cfg := stackConfig(t, "aws-example")
		change(cfg)
		return cfg
	}
	for _, tc := range []struct {
		name    string
		cfg     map[string]string
		cluster clustertest.Cluster
		real    bool // cluster.Connect on the kubeconfig
		setting string
		fix     string
	}{
		{"platform mismatch", withCfg(func(map[string]string) {}), clustertest.For(contract.Azure), false, "peerpods:cloud", "set peerpods:cloud to azure"},
		{"not OpenShift", withCfg(func(map[string]string) {}), clustertest.Cluster{}, false, "peerpods:kubeconfig", "OpenShift cluster"},
		{"no CCO secret", withCfg(func(c map[string]string) {
			c["peerpods:credentialsFromCluster"], c["peerpods:acknowledgeRootCredential"] = "true", "true"
		}),
			clustertest.For(contract.AWS, clustertest.WithoutCCOSecret), false, "peerpods:credentialsFromCluster", "give the keys as stack secrets"},
		{"unknown context", withCfg(func(c map[string]string) { c["peerpods:kubeContext"] = "prod" }), clustertest.Cluster{}, true, "peerpods:kubeContext", "one of the kubeconfig's contexts"},
		{"unreachable", withCfg(func(map[string]string) {}), clustertest.Cluster{}, true, "peerpods:kubeconfig", "reachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := withSecrets(tc.cfg)
			tc.cfg["peerpods:kubeconfig"] = unreachable
			if tc.cfg["peerpods:credentialsFromCluster"] == "true" { // instead of the keys
				delete(tc.cfg, "peerpods:awsAccessKeyId")
				delete(tc.cfg, "peerpods:awsSecretAccessKey")
			}
			m := stacktest.CloudMocks()
			var err error
			if tc.real {
				err = pulumitest.Run(m, c, stacks.ProgramWith(stacktest.StacksDir(t)+"/..", stacks.Options{}))
			} else {
				_, _, err = stacktest.DeployOnCluster(t, m, c, tc.cluster)
			}
			pulumitest.RequireInputError(t, err, tc.setting, tc.fix)
			if len(m.Resources()) != 0 {
				t.Errorf("registered %v", m.Summary())
			}
		})
	}
}

// unreachable is a kubeconfig whose server refuses connections.
var unreachable = clustertest.Kubeconfig("https://127.0.0.1:1")

// A list in the stack file (the firewall's source ranges) that differs
// from the cluster's is used as a list, and the drift reported with the
// list joined.
func TestStackFileListWins(t *testing.T) {
	cfg := stackConfig(t, "gcp-example")
	cfg["peerpods:gcp"] = `{"machineType":"e2-medium","sourceRanges":["10.1.0.0/16","10.2.0.0/16"]}`
	m := stacktest.CloudMocks()
	_, d, err := stacktest.DeployOnCluster(t, m, withSecrets(cfg), clustertest.For(contract.GCP))
	if err != nil {
		t.Fatal(err)
	}
	fw := m.OfType("gcp:compute/firewall:Firewall")
	if len(fw) != 1 || !reflect.DeepEqual(fw[0].Inputs["sourceRanges"].Mappable(), []any{"10.1.0.0/16", "10.2.0.0/16"}) {
		t.Errorf("firewall %v", fw)
	}
	if dr := d.Config.Discovery.Drift; len(dr) != 1 || dr[0].File != "10.1.0.0/16,10.2.0.0/16" || dr[0].Cluster != clustertest.MachineNetwork {
		t.Errorf("drift %+v", dr)
	}
}

// The operator line the objects are written for: the installed operator's
// (its Subscription's ClusterServiceVersion) when the cluster is read,
// peerpods:operatorVersion where none is, else the newest known line,
// each said (a warning where the stack writes for a line it is not sure
// of); a version older than 1.10 is refused.
func TestOperatorLine(t *testing.T) {
	withPin := func(v string) map[string]string {
		cfg := stackConfig(t, "aws-example")
		cfg["peerpods:operatorVersion"] = v
		return cfg
	}
	off := func(cfg map[string]string) map[string]string {
		cfg["peerpods:handoff"] = "off"
		delete(cfg, "peerpods:kubeconfig")
		return cfg
	}
	for _, c := range []struct {
		name    string
		cfg     map[string]string
		cluster string // operator version in the cluster; "-" for no cluster
		line    contract.Line
		warns   bool
		says    string
		err     string
	}{
		{"cluster", stackConfig(t, "aws-example"), "1.11.2", contract.Line111, false, "the cluster runs operator 1.11.2", ""},
		{"cluster without discovery", func() map[string]string {
			cfg := stackConfig(t, "aws-example")
			cfg["peerpods:discover"] = "false"
			return cfg
		}(), "1.10.1", contract.Line110, false, "the cluster runs operator 1.10.1", ""},
		{"cluster newer than known", stackConfig(t, "aws-example"), "1.14.0", contract.Line113, true, "newer than 1.13", ""},
		{"cluster wins over the pin", withPin("1.10"), "1.12.0", contract.Line112, true, "peerpods:operatorVersion is 1.10, but the cluster runs operator 1.12.0", ""},
		{"cluster without an installed operator", stackConfig(t, "aws-example"), "", contract.NewestLine, true, "no operator version is known", ""},
		{"pin, no cluster", off(withPin("1.11.0")), "-", contract.Line111, false, "pins operator line 1.11", ""},
		{"nothing", off(stackConfig(t, "aws-example")), "-", contract.NewestLine, true, "the newest line this peerpods knows", ""},
		{"cluster too old", stackConfig(t, "aws-example"), "1.9.1", contract.Line{}, false, "", "peerpods:kubeconfig names a cluster whose operator is 1.9.1"},
		{"pin too old", off(withPin("1.8")), "-", contract.Line{}, false, "", "peerpods:operatorVersion is \"1.8\": operator version 1.8 is older than 1.10"},
		{"pin not a version", off(withPin("stable")), "-", contract.Line{}, false, "", "peerpods:operatorVersion is \"stable\": \"stable\" is not an operator version"},
	} {
		cl := clustertest.For(contract.AWS)
		if c.cluster != "" && c.cluster != "-" {
			cl = clustertest.For(contract.AWS, clustertest.WithOperator(c.cluster))
		}
		_, d, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), withSecrets(c.cfg), cl)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if d.Config.Operator.Line != c.line || d.Config.LineWarns != c.warns || !strings.Contains(d.Config.LineNote, c.says) {
			t.Errorf("%s: line %s warns %t %q", c.name, d.Config.Operator.Line, d.Config.LineWarns, d.Config.LineNote)
		}
		if out, _ := pulumitest.Await(t, d.Outputs[stacks.OutputOperatorLine].(pulumi.StringInput).ToStringOutput()); out != c.line.String() {
			t.Errorf("%s: output %v", c.name, out)
		}
	}
}

// What a line does not read is refused for that line, naming the lines
// that read it and the setting: a key the line dropped (secure comms,
// gone in 1.12), a key it does not read yet (GCP_SUBNETWORK, from 1.12),
// an identity it cannot run (AWS workload before 1.13).
func TestLineRefusesWhatItCannotRead(t *testing.T) {
	for _, c := range []struct {
		name, stack, version string
		change               func(map[string]string)
		want                 string
	}{
		{"secure comms on 1.12", "aws-example", "1.12.0", func(cfg map[string]string) { cfg["peerpods:extra"] = `{"SECURE_COMMS":"false"}` },
			"operator line 1.12 does not read the key SECURE_COMMS for aws (lines 1.10–1.11 read it; set by peerpods:extra)"},
		{"GCP subnetwork on 1.11", "gcp-example", "1.11.0", func(cfg map[string]string) {
			cfg["peerpods:gcp"] = strings.Replace(cfg["peerpods:gcp"], "{", `{"subnetwork":"regions/us-central1/subnetworks/workers",`, 1)
		}, "operator line 1.11 does not read the key GCP_SUBNETWORK for gcp (lines 1.12+ read it; set by peerpods:gcp.subnetwork)"},
		{"AWS workload on 1.12", "aws-example", "1.12.1", func(cfg map[string]string) {
			cfg["peerpods:identity"] = "workload"
			cfg["peerpods:aws"] = strings.TrimSuffix(cfg["peerpods:aws"], "}") + `,"podvmAmiId":"ami-0123456789abcdef0"}`
			delete(cfg, "peerpods:awsAccessKeyId")
			delete(cfg, "peerpods:awsSecretAccessKey")
		}, "identity is workload, which operator line 1.12 cannot run for AWS"},
	} {
		cfg := stackConfig(t, c.stack)
		c.change(cfg)
		_, _, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), withSecrets(cfg), clustertest.For(contract.Cloud(cfg["peerpods:cloud"]), clustertest.WithOperator(c.version)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		// The same stack on the newest line is fine.
		if _, _, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), withSecrets(cfg), clustertest.For(contract.Cloud(cfg["peerpods:cloud"]), clustertest.WithOperator("1.13.1"))); err != nil && c.name != "secure comms on 1.12" {
			t.Errorf("%s on 1.13: %v", c.name, err)
		}
	}
}

// A kubeconfig that does not check the API server's identity is refused
// unless accepted; what init stores is only the chosen context, its
// cluster and user.
func TestKubeconfigHardening(t *testing.T) {
	insecure := strings.Replace(clustertest.Kubeconfig("https://api.example.com:6443"), `{server: "https://api.example.com:6443"}`,
		`{server: "https://api.example.com:6443", insecure-skip-tls-verify: true}`, 1)
	cfg := withSecrets(stackConfig(t, "aws-example"))
	cfg.Values["peerpods:kubeconfig"] = insecure
	_, _, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), cfg, clustertest.For(contract.AWS))
	if err == nil || !strings.Contains(err.Error(), "peerpods:kubeconfig has insecure-skip-tls-verify for cluster c (context admin)") || !strings.Contains(err.Error(), "peerpods:insecureKubeconfig") {
		t.Errorf("insecure kubeconfig: %v", err)
	}
	cfg.Values["peerpods:insecureKubeconfig"] = "true"
	if _, _, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), cfg, clustertest.For(contract.AWS)); err != nil {
		t.Errorf("accepted insecure kubeconfig: %v", err)
	}

	two := `apiVersion: v1
kind: Config
clusters:
- {name: a, cluster: {server: "https://a.example.com:6443"}}
- {name: b, cluster: {server: "https://b.example.com:6443"}}
users:
- {name: ua, user: {token: token-a}}
- {name: ub, user: {token: token-b}}
contexts:
- {name: ctx-a, context: {cluster: a, user: ua}}
- {name: ctx-b, context: {cluster: b, user: ub}}
current-context: ctx-a
`
	for ctx, want := range map[string]string{"": "token-a", "ctx-b": "token-b"} {
		out, err := stacks.MinifyKubeconfig([]byte(two), ctx)
		if err != nil {
			t.Fatal(err)
		}
		other := map[string]string{"token-a": "token-b", "token-b": "token-a"}[want]
		if !strings.Contains(string(out), want) || strings.Contains(string(out), other) || strings.Count(string(out), "server:") != 1 {
			t.Errorf("context %q minified to:\n%s", ctx, out)
		}
	}
	if _, err := stacks.MinifyKubeconfig([]byte(two), "nope"); err == nil {
		t.Error("an unknown context minified")
	}
}
