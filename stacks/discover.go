package stacks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
)

// Options are the program's connections to the outside, for tests.
type Options struct {
	// Connect makes the clients of the cluster of a kubeconfig (its
	// contents) and context; nil is cluster.Connect.
	Connect func(kubeconfig []byte, kubeContext string) (cluster.Clients, error)
	// NoCreateGuard leaves out the handoff's before-create hooks (the
	// guard against objects that exist: handoff.Guard), for runs on the
	// Pulumi SDK's mocks, whose monitor cannot register resource hooks.
	// What is imported and retained is decided all the same.
	NoCreateGuard bool
}

func (o Options) connect(kubeconfig []byte, kubeContext string) (cluster.Clients, error) {
	if o.Connect != nil {
		return o.Connect(kubeconfig, kubeContext)
	}
	return cluster.Connect(kubeconfig, kubeContext)
}

// Discovery is what the stack read from its cluster. The stack file is
// the record of the cluster's facts (peerpods init and peerpods discover
// --write put them there): a run reads the cluster once, only to compare.
type Discovery struct {
	// Facts are the cluster's facts.
	Facts cluster.Facts
	// Found are the settings taken from the cluster for this run because
	// the stack file lacks them.
	Found []cluster.Found
	// Drift are the settings whose value in the stack file differs from
	// what the cluster says now: the run plans with the file's.
	Drift   []Drift
	clients cluster.Clients
}

// Drift is a setting whose stack file value the cluster now contradicts.
type Drift struct {
	// Setting is relative to peerpods:, such as "aws.infraId".
	Setting string
	// File is the stack file's value, which the run uses; Cluster is what
	// the cluster says now, read from From. Lists are joined with commas.
	File, Cluster, From string
}

// Message says what differs, what the run does, and the command that
// updates the stack file of stack.
func (d Drift) Message(stack string) string {
	return fmt.Sprintf("peerpods:%s is %q in the stack file, but the cluster now says %q (%s); this run plans with the stack file's value. To take the cluster's: peerpods discover --stack %s --write",
		d.Setting, d.File, d.Cluster, d.From, stack)
}

// loader is what load needs besides the configuration. A zero loader
// discovers nothing.
type loader struct {
	opts     Options
	discover bool
}

// readCluster connects to the cluster and reads its facts; problems name
// peerpods:kubeconfig or peerpods:kubeContext.
func (l loader) readCluster(kubeconfig, kubeContext string) (*Discovery, error) {
	clients, err := l.opts.connect([]byte(kubeconfig), kubeContext)
	if errors.Is(err, cluster.ErrUnknownContext) {
		return nil, problems.Invalid("peerpods:kubeContext", strings.TrimPrefix(err.Error(), cluster.ErrUnknownContext.Error()+": ")+" is not a context of peerpods:kubeconfig",
			"set it to one of the kubeconfig's contexts, or remove it to use the current one")
	}
	if err != nil {
		return nil, problems.Invalid("peerpods:kubeconfig", err.Error(), "store a working kubeconfig: pulumi config set --secret kubeconfig < ~/.kube/config")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*cluster.Timeout)
	defer cancel()
	facts, err := cluster.Read(ctx, clients)
	switch {
	case errors.Is(err, cluster.ErrNotOpenShift):
		return nil, problems.Invalid("peerpods:kubeconfig", "names a cluster without OpenShift's config API: "+err.Error(),
			"point it at the OpenShift cluster the operator runs on, or set peerpods:discover to false and give every setting yourself")
	case err != nil:
		return nil, problems.Invalid("peerpods:kubeconfig", "names a cluster that cannot be read: "+err.Error(),
			"check that the cluster is reachable from here and the user may read nodes and config.openshift.io objects (oc get infrastructure cluster), or set peerpods:discover to false")
	}
	return &Discovery{Facts: facts, clients: clients}, nil
}

// readOperator reads only which operator the cluster runs (with
// peerpods:discover false): its Subscription's installed CSV's version.
func (l loader) readOperator(kubeconfig, kubeContext string) (*cluster.Operator, error) {
	clients, err := l.opts.connect([]byte(kubeconfig), kubeContext)
	if err != nil {
		return nil, problems.Invalid("peerpods:kubeconfig", err.Error(), "store a working kubeconfig: pulumi config set --secret kubeconfig < ~/.kube/config")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*cluster.Timeout)
	defer cancel()
	op, err := cluster.ReadOperator(ctx, clients)
	if err != nil {
		return nil, problems.Invalid("peerpods:kubeconfig", "names a cluster whose operator version cannot be read: "+err.Error(),
			"check that the user may read subscriptions and clusterserviceversions.operators.coreos.com in "+contract.Namespace)
	}
	return &op, nil
}

// cloudOf checks the stack's cloud against the cluster's platform, or
// takes the cluster's when the stack sets none.
func (d *Discovery) cloudOf(name string) (string, error) {
	platform := d.Facts.Cloud
	switch {
	case name == "" && platform == "":
		// Platform None: pod VMs can only run on a KVM host.
		d.Found = append(d.Found, cluster.Found{Setting: "cloud", Value: string(contract.Libvirt), From: cluster.FromInfrastructure + "platformStatus.type None: pod VMs on a KVM host"})
		return string(contract.Libvirt), nil
	case name == "":
		d.Found = append(d.Found, cluster.Found{Setting: "cloud", Value: string(platform), From: cluster.FromInfrastructure + "platformStatus.type"})
		return string(platform), nil
	case name == string(contract.Libvirt), name == string(platform):
		return name, nil
	}
	return "", problems.Invalid("peerpods:cloud", fmt.Sprintf("is %q, but the cluster runs on %s (Infrastructure cluster status.platformStatus.type %q)", name, orNone(platform), d.Facts.PlatformType),
		"set peerpods:cloud to "+orNone(platform)+", or point peerpods:kubeconfig (and kubeContext) at the cluster you mean")
}

func orNone(c contract.Cloud) string {
	if c == "" {
		return "libvirt (a KVM host)"
	}
	return string(c)
}

// ClusterSettings are the settings a stack of cloud c with identity id
// takes from a cluster with facts f, in the stack file's order:
// peerpods:cloud, the operator's Subscription with workload identity, then
// the cloud's (Cloud.FromCluster). peerpods init writes them, peerpods
// discover compares and updates them, and a run checks the stack file's
// against them.
func ClusterSettings(f cluster.Facts, c contract.Cloud, id contract.Identity) []cluster.Found {
	from := cluster.FromInfrastructure + "platformStatus.type"
	if f.Cloud == "" {
		from += " None: pod VMs on a KVM host"
	}
	out := []cluster.Found{{Setting: "cloud", Value: string(c), From: from}}
	if id == contract.IdentityWorkload && f.Subscription != "" {
		out = append(out, cluster.Found{Setting: "operatorSubscription", Value: f.Subscription,
			From: "OLM Subscription of package " + contract.OperatorPackage + " in " + contract.Namespace})
	}
	if cl, ok := CloudNamed(c); ok {
		out = append(out, cl.FromCluster(f, id)...)
	}
	return out
}

// apply compares the cloud's settings from the cluster with the object
// peerpods:<cloud> the reader decodes: a setting the stack file gives and
// the cluster contradicts is a Drift (the file's value is used); one the
// file lacks is added for this run (Found).
func (d *Discovery) apply(r *reader, cl Cloud, id contract.Identity) {
	name := string(cl.Name())
	raw, _ := r.get(name)
	var obj map[string]json.RawMessage
	if raw != "" && json.Unmarshal([]byte(raw), &obj) != nil {
		return // the decoder reports it
	}
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	given := func(setting string) bool {
		_, ok := obj[strings.TrimPrefix(setting, name+".")]
		return ok
	}
	added := false
	for _, f := range cl.FromCluster(d.Facts, id) {
		field := strings.TrimPrefix(f.Setting, name+".")
		if slices.ContainsFunc(f.Unless, given) || strings.Contains(field, ".") {
			continue
		}
		if given(f.Setting) {
			if file, ok := textOf(obj[field]); ok && file != f.Text() {
				d.Drift = append(d.Drift, Drift{Setting: f.Setting, File: file, Cluster: f.Text(), From: f.From})
			}
			continue
		}
		b, err := json.Marshal(f.Value)
		if err != nil {
			continue
		}
		obj[field] = b
		added = true
		d.Found = append(d.Found, f)
	}
	merged, err := json.Marshal(obj)
	if err == nil && added {
		r.override(name, string(merged))
	}
}

// compare checks a top-level setting the stack file gives (value) against
// the cluster's, or notes that the file lacks it; it returns the value to
// use.
func (d *Discovery) compare(setting, value string, f cluster.Found) string {
	switch {
	case value == "":
		d.Found = append(d.Found, f)
		return f.Text()
	case value != f.Text():
		d.Drift = append(d.Drift, Drift{Setting: setting, File: value, Cluster: f.Text(), From: f.From})
	}
	return value
}

// textOf is a stack file value as Found.Text writes it: a string, or a
// list of strings joined with commas; ok is false for other values.
func textOf(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var l []string
	if json.Unmarshal(raw, &l) == nil {
		return strings.Join(l, ","), true
	}
	return "", false
}

// secretFound prefixes the peer-pods-secret keys read from the cluster in
// Found: reported (never their value), not written to the stack file.
const secretFound = "secret."

// Decided returns the settings taken from the cluster for this run, for
// the informational "discovered" output (setting -> text).
func (d *Discovery) Decided() map[string]string {
	out := map[string]string{}
	for _, f := range d.Found {
		if f.Setting != "cloud" && !strings.HasPrefix(f.Setting, secretFound) {
			out[f.Setting] = f.Text()
		}
	}
	return out
}

// Report is the "cluster" stack output: the platform, and each setting
// taken from the cluster with its value and where it was read.
func (d *Discovery) Report() map[string]any {
	found := map[string]any{}
	for _, f := range d.Found {
		found[f.Setting] = map[string]any{"value": f.Text(), "from": f.From}
	}
	return map[string]any{
		"platform":           d.Facts.PlatformType,
		"infrastructureName": d.Facts.InfraName,
		"found":              found,
	}
}

// Messages say, one line per setting, what was taken from the cluster
// because the stack file of stack lacks it.
func (d *Discovery) Messages(stack string) []string {
	var out []string
	byName := map[string]cluster.Found{}
	for _, f := range d.Found {
		byName[f.Setting] = f
	}
	for _, s := range slices.Sorted(maps.Keys(byName)) {
		f := byName[s]
		if strings.HasPrefix(s, secretFound) {
			out = append(out, fmt.Sprintf("peerpods:%s = %q, from the cluster (%s)", s, f.Text(), f.From))
			continue
		}
		out = append(out, fmt.Sprintf("peerpods:%s = %q, from the cluster (%s): not in the stack file, used for this run; peerpods discover --stack %s --write records it", s, f.Text(), f.From, stack))
	}
	return out
}

// credentialsFromCluster reads the static credentials from the cluster's
// Cloud Credential Operator root secret (peerpods:credentialsFromCluster)
// into c.Secrets: the keys the operator itself would map from the Secret
// CCO mints.
func (c *Config) credentialsFromCluster() error {
	const setting = "peerpods:credentialsFromCluster"
	switch {
	case !contract.WritesSecret(c.Identity):
		return problems.Invalid(setting, fmt.Sprintf("is true, but peerpods:identity is %s, where the operator gets the credentials itself", c.Identity),
			"remove it, or set peerpods:identity to static")
	case c.Discovery == nil:
		return problems.Invalid(setting, "is true, but there is no cluster to read: peerpods:kubeconfig is not set, or peerpods:discover is false",
			"set peerpods:kubeconfig (pulumi config set --secret kubeconfig < ~/.kube/config)")
	}
	s, ok := cluster.CCOSecretOf(c.Cloud)
	if !ok {
		return problems.Invalid(setting, fmt.Sprintf("is true, but %s has no Cloud Credential Operator secret", c.Cloud), "remove it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), cluster.Timeout)
	defer cancel()
	keys, err := cluster.ReadCCOSecret(ctx, c.Discovery.clients, c.Cloud)
	if errors.Is(err, cluster.ErrNoCCOSecret) {
		return problems.Invalid(setting, fmt.Sprintf("is true, but the cluster has no %s/%s (the Cloud Credential Operator is in manual mode, or its root credentials were removed after install)", s.Namespace, s.Name),
			"give the keys as stack secrets instead (docs/settings.md lists them), or use peerpods:identity workload on a cluster with short-lived credentials")
	}
	if err != nil {
		return problems.Invalid(setting, "is true, but the CCO secret cannot be read: "+err.Error(), "check that the kubeconfig's user may read secrets in kube-system")
	}
	for k, v := range keys {
		c.Secrets[k] = NewSecret(v)
		c.Discovery.Found = append(c.Discovery.Found, cluster.Found{Setting: secretFound + k, Value: "[secret]", From: "Secret " + s.Namespace + "/" + s.Name})
	}
	return nil
}
