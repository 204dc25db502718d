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
	"github.com/peerpods/provisioner/components/pins"
	"github.com/peerpods/provisioner/components/problems"
)

// Options are the program's connections to the outside, for tests.
type Options struct {
	// Connect makes the clients of the cluster of a kubeconfig (its
	// contents) and context; nil is cluster.Connect.
	Connect func(kubeconfig []byte, kubeContext string) (cluster.Clients, error)
}

func (o Options) connect(kubeconfig []byte, kubeContext string) (cluster.Clients, error) {
	if o.Connect != nil {
		return o.Connect(kubeconfig, kubeContext)
	}
	return cluster.Connect(kubeconfig, kubeContext)
}

// Discovery is what the stack read from its cluster.
type Discovery struct {
	// Facts are the cluster's facts.
	Facts cluster.Facts
	// Found are the settings taken from the cluster (the stack set none
	// of them), with the recorded value where it differs (Changes).
	Found []cluster.Found
	// Changes are found values that differ from those recorded at the last
	// up: the recorded ones are used.
	Changes []pins.DiscoveryChange
	clients cluster.Clients
}

// loader is what load needs besides the configuration: the cluster, and
// the values recorded at the last up. A zero loader discovers nothing.
type loader struct {
	opts     Options
	discover bool
	// recorded are the values recorded at the last up: found values that
	// differ are replaced by them.
	recorded pins.Recorded
	// read is the cluster as an earlier load read it, read again if nil.
	read *Discovery
}

// readCluster connects to the cluster and reads its facts; problems name
// peerpods:kubeconfig or peerpods:kubeContext.
func (l loader) readCluster(kubeconfig, kubeContext string) (*Discovery, error) {
	if l.read != nil {
		return &Discovery{Facts: l.read.Facts, clients: l.read.clients}, nil
	}
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

// apply adds the cloud's settings from the cluster that the stack does
// not set to the object peerpods:<cloud> the reader decodes, pinned to the
// values recorded at the last up.
func (d *Discovery) apply(r *reader, cl Cloud, id contract.Identity, recorded pins.Recorded) {
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
	for _, f := range cl.FromCluster(d.Facts, id) {
		field := strings.TrimPrefix(f.Setting, name+".")
		if given(f.Setting) || slices.ContainsFunc(f.Unless, given) || strings.Contains(field, ".") {
			continue
		}
		if old := recorded[f.Setting]; old != "" && old != f.Text() {
			d.Changes = append(d.Changes, pins.DiscoveryChange{Setting: f.Setting, Recorded: old, Found: f.Text()})
			if _, list := f.Value.([]string); list {
				f.Value = strings.Split(old, ",")
			} else {
				f.Value = old
			}
		}
		b, err := json.Marshal(f.Value)
		if err != nil {
			continue
		}
		obj[field] = b
		d.Found = append(d.Found, f)
	}
	merged, err := json.Marshal(obj)
	if err == nil && len(obj) > 0 {
		r.override(name, string(merged))
	}
}

// Differs reports whether a found value differs from the one recorded.
func (d *Discovery) Differs(rec pins.Recorded) bool {
	for _, f := range d.Found {
		if old := rec[f.Setting]; old != "" && old != f.Text() {
			return true
		}
	}
	return false
}

// secretFound prefixes the peer-pods-secret keys read from the cluster in
// Found: reported (never their value), not recorded.
const secretFound = "secret."

// Recorded returns the found values as the "discovered" output records
// them (setting -> text).
func (d *Discovery) Recorded() map[string]string {
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

// Messages say, one line per setting, what was taken from the cluster.
func (d *Discovery) Messages() []string {
	var out []string
	byName := map[string]cluster.Found{}
	for _, f := range d.Found {
		byName[f.Setting] = f
	}
	for _, s := range slices.Sorted(maps.Keys(byName)) {
		f := byName[s]
		out = append(out, fmt.Sprintf("peerpods:%s = %q, from the cluster (%s)", s, f.Text(), f.From))
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
			"give the keys as stack secrets instead (the README lists them), or use peerpods:identity workload on a cluster with short-lived credentials")
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
