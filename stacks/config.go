package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/identity"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Namespace is the stack config namespace: keys are "peerpods:<key>".
const Namespace = "peerpods"

// Config is the validated stack configuration.
type Config struct {
	// Cloud is the cloud to prepare (peerpods:cloud).
	Cloud contract.Cloud
	// Handoff says whether the values are written into the cluster
	// (peerpods:handoff, default cluster).
	Handoff handoff.Mode
	// Kubeconfig is the cluster's kubeconfig (peerpods:kubeconfig, a
	// secret), needed when Handoff is cluster.
	Kubeconfig Secret
	// KubeContext is the kubeconfig context (peerpods:kubeContext).
	KubeContext string
	// Settings are the common peer-pods settings.
	Settings common.Settings
	// Operator are the optional operator objects of the handoff
	// (peerpods:kataConfig, peerpods:placement).
	Operator handoff.Options
	// Stack is the cloud's own configuration (peerpods:<cloud>, decoded
	// into the cloud's Stack type and prepared), credentials included.
	Stack Stack
	// Secrets are the peer-pods-secret values found in the stack secrets
	// (or read from the cluster's CCO secret), by operator key; only with
	// identity static.
	Secrets map[string]Secret
	// Identity is how CAA gets its cloud credentials (peerpods:identity).
	Identity contract.Identity
	// Discovery is what was read from the cluster; nil without
	// peerpods:kubeconfig, or with peerpods:discover false.
	Discovery *Discovery
	// RootCredential is true when peer-pods-secret holds the cluster's CCO
	// root credential (peerpods:credentialsFromCluster, acknowledged):
	// every run warns.
	RootCredential bool
	// LineNote says where the operator line (Operator.Line) comes from;
	// a warning when LineWarns.
	LineNote  string
	LineWarns bool
	// WaitTimeout bounds how long peerpods up follows the operator
	// (peerpods:waitTimeout).
	WaitTimeout time.Duration
}

// secretSetting is a stack config key whose value goes into
// peer-pods-secret.
type secretSetting struct {
	config string // the key under peerpods:
	// Key is the peer-pods-secret key: its name, whether it is sensitive
	// (stored encrypted) or optional, its format.
	contract.Key
}

// secretSettings are the stack config keys that fill peer-pods-secret for
// cloud, from the contract: its user-given Secret keys with a setting of
// their own.
func secretSettings(cloud contract.Cloud) []secretSetting {
	set, ok := contract.For(cloud)
	if !ok {
		return nil
	}
	var out []secretSetting
	for _, k := range set.UserSecrets() {
		out = append(out, secretSetting{config: strings.TrimPrefix(k.Setting, "peerpods:"), Key: k})
	}
	return out
}

// source is where configuration is read from: a Pulumi context in the
// program, a map in tests of Load's parsing.
type source interface {
	GetConfig(key string) (string, bool)
	IsConfigSecret(key string) bool
}

var _ source = (*pulumi.Context)(nil)

// Load reads and validates the stack configuration of ctx. It registers
// nothing; every problem is reported in one error naming the config keys.
func Load(ctx *pulumi.Context) (Config, error) {
	return load(contextSource{ctx, ""}, loader{discover: true})
}

// keyLister is a source that can list the keys it holds.
type keyLister interface {
	keys() ([]string, error)
}

func load(src source, l loader) (Config, error) {
	r := reader{src: src}
	var c Config
	if l, ok := src.(keyLister); ok {
		keys, err := l.keys()
		// Pulumi read the same file before the program ran: an error
		// here is rare, and says which file.
		r.fail(err)
		r.fail(checkKeys(keys, src.IsConfigSecret))
	}

	c.KubeContext = r.str("kubeContext", "")
	c.Kubeconfig = NewSecret(r.value("kubeconfig", true))
	if c.Kubeconfig.IsSet() {
		r.fail(checkKubeconfig(c.Kubeconfig.Reveal(), c.KubeContext, r.boolean("insecureKubeconfig", false)))
	}
	name := r.str("cloud", "")
	var operator *cluster.Operator
	if l.discover && !r.boolean("discover", true) && c.Kubeconfig.IsSet() && !r.bad("kubeconfig") {
		// Without discovery the cluster still says which operator runs:
		// the objects are written for its line.
		op, err := l.readOperator(c.Kubeconfig.Reveal(), c.KubeContext)
		r.fail(err)
		operator = op
	}
	if l.discover && r.boolean("discover", true) && c.Kubeconfig.IsSet() && !r.bad("kubeconfig") {
		d, err := l.readCluster(c.Kubeconfig.Reveal(), c.KubeContext)
		r.fail(err)
		if d != nil {
			c.Discovery = d
			op := d.Facts.Operator()
			operator = &op
			if found, err := d.cloudOf(name); err != nil {
				r.fail(err)
			} else {
				name = found
			}
		}
	}
	cl, built := CloudNamed(contract.Cloud(name))
	switch {
	case name == "" && r.bad("cloud"): // discovery said why
	case name == "":
		r.fail(problems.Invalid("peerpods:cloud", "is not set", fmt.Sprintf("set it to one of %s", cloudList())))
	case slices.Contains(contract.Clouds, contract.Cloud(name)) && !built:
		r.fail(problems.Invalid("peerpods:cloud", notBuilt(name), "build peerpods without cloud build tags (every cloud), or with -tags peerpods_clouds,"+name))
	case !built:
		r.fail(problems.Invalid("peerpods:cloud", fmt.Sprintf("is %q, which is not a known cloud", name), fmt.Sprintf("set it to one of %s", cloudList())))
	}
	c.Cloud = contract.Cloud(name)

	mode, err := handoff.ParseMode("peerpods:handoff", r.str("handoff", string(handoff.ModeCluster)))
	r.fail(err)
	c.Handoff = mode
	if c.Handoff == handoff.ModeCluster && !c.Kubeconfig.IsSet() && !r.bad("kubeconfig") {
		r.fail(problems.Invalid("peerpods:kubeconfig", "is not set", "set the cluster's kubeconfig: pulumi config set --secret kubeconfig < ~/.kube/config"))
	}
	c.Identity = contract.IdentityOr(c.Cloud, contract.Identity(r.str("identity", "")))

	// The common settings the stack sets, nil where it sets none: the
	// component fills in the defaults and checks what is set (once, in
	// the cloud's Prepare, or below without a cloud).
	s := &c.Settings
	s.TunnelPort = r.optInteger("tunnelPort", netrules.DefaultTunnelPort)
	r.object("tunnelProtocols", &s.TunnelProtocols)
	r.object("allowPublicRanges", &s.AllowPublicRanges)
	s.ProxyTimeout = r.optStr("proxyTimeout")
	s.LimitPerNode = r.optInteger("limitPerNode", common.DefaultLimitPerNode)
	s.RootVolumeSize = r.optInteger("rootVolumeSize", common.DefaultRootVolumeSize)
	r.object("tags", &s.Tags)
	if _, ok := r.get("disableCvm"); ok {
		r.fail(problems.Invalid("peerpods:disableCvm", "is set, but the operator writes DISABLECVM itself on every reconcile (\"true\" unless its confidential feature gate is on), so a value from the stack would be overwritten",
			"remove peerpods:disableCvm; to run confidential pod VMs, set confidential: \"true\" in the operator's osc-feature-gates ConfigMap"))
	}
	s.InitData = r.initData()
	r.object("extra", &s.Extra)
	r.object("kataConfig", &c.Operator.KataConfig)
	if c.Operator.KataConfig != nil && !r.bad("kataConfig") {
		r.p.AddWithin("peerpods:", c.Operator.KataConfig.Validate("kataConfig"))
	}
	if _, ok := r.get("peerPodConfig"); ok {
		r.fail(problems.Invalid("peerpods:peerPodConfig", "is set, but the operator 1.10 has no PeerPodConfig (it copies an old one's spec.limit into PEERPODS_LIMIT_PER_NODE and deletes it)",
			"remove peerpods:peerPodConfig: peerpods:limitPerNode already sets PEERPODS_LIMIT_PER_NODE in peer-pods-cm"))
	}
	c.Operator.Adopt = r.adopt()
	var placement handoff.Placement
	r.object("placement", &placement)
	var kataLabels map[string]string
	if c.Operator.KataConfig != nil {
		kataLabels = c.Operator.KataConfig.PoolSelector
	}
	nodes, err := placement.Nodes("placement", kataLabels)
	r.p.AddWithin("peerpods:", err)
	c.Operator.Nodes = nodes
	if c.Handoff == handoff.ModeOff && (len(nodes) > 0 || c.Operator.KataConfig != nil) {
		r.fail(problems.Invalid("peerpods:handoff", `is "off", but peerpods:placement or kataConfig ask for cluster objects`,
			`set peerpods:handoff to "cluster" or "manifests", or remove those settings`))
	}

	c.Secrets = map[string]Secret{}
	static := contract.WritesSecret(c.Identity)
	fromCluster := r.boolean("credentialsFromCluster", false)
	// The identity mode, and the keys the stack holds, refused outside
	// static mode (the operator writes peer-pods-secret then).
	var given []identity.Credential
	for _, sk := range secretSettings(c.Cloud) {
		v := r.value(sk.config, sk.Sensitive)
		if v == "" {
			continue
		}
		given = append(given, identity.Credential{Setting: sk.config, Given: true})
		if !static {
			continue
		}
		if fromCluster {
			r.fail(problems.Invalid("peerpods:"+sk.config, "is set, and so is peerpods:credentialsFromCluster", "set only one: the key in the stack, or true to read the cluster's CCO secret"))
			continue
		}
		c.Secrets[sk.Name] = NewSecret(v)
		// The value's format, from the contract; the error never shows
		// the value.
		if sk.Format.Check(v) != nil {
			input := "<" + sk.Format.Describe + ">"
			if sk.Name == contract.KeyGCPCredentials {
				input = "< key.json (the service account's key file)"
			}
			r.fail(problems.Invalid("peerpods:"+sk.config, "is not "+sk.Format.Describe,
				fmt.Sprintf("pulumi config set --secret %s %s", sk.config, input)))
		}
	}

	if built {
		r.p.AddWithin("peerpods:", identity.CheckIdentity(c.Cloud, c.Identity, given...))
	}
	if fromCluster {
		if !r.boolean("acknowledgeRootCredential", false) {
			r.fail(problems.Invalid("peerpods:credentialsFromCluster", "is true, which copies the Cloud Credential Operator's root credential (kube-system/aws-creds, azure-credentials or gcp-credentials: rights over the whole account) into peer-pods-secret, mounted on every worker, and into the stack's state",
				"give cloud-api-adaptor a credential of its own (identity static with its keys, or identity workload), or set peerpods:acknowledgeRootCredential to true to accept copying the root credential"))
		} else {
			r.fail(c.credentialsFromCluster())
			c.RootCredential = true
		}
	}
	c.Operator.Subscription = r.str("operatorSubscription", "")
	if d := c.Discovery; d != nil {
		if f := ClusterSettings(d.Facts, "", c.Identity); len(f) > 1 && f[1].Setting == "operatorSubscription" {
			c.Operator.Subscription = d.compare(f[1].Setting, c.Operator.Subscription, f[1])
		} else if c.Operator.Subscription == "" {
			c.Operator.Subscription = d.Facts.Subscription
		}
	}
	c.Operator.Line, c.LineNote, c.LineWarns = r.operatorLine(operator)
	wait, set := r.get("waitTimeout")
	c.WaitTimeout, err = WaitTimeout(wait, set)
	r.fail(err)
	if c.Identity == contract.IdentityWorkload && c.Handoff != handoff.ModeOff && c.Operator.Subscription == "" {
		r.fail(problems.Invalid("peerpods:operatorSubscription", "is not set, and the cluster has no OLM Subscription of package "+contract.OperatorPackage+" in "+contract.Namespace+" (or there is no cluster to read): workload identity reaches the operator through its Subscription's env",
			"install the operator through OLM first, or name its Subscription (oc get subscriptions -n "+contract.Namespace+")"))
	}

	// When the cluster cannot be read, the cloud's settings it would have
	// given are not reported missing: the kubeconfig is the problem.
	if cl != nil && l.discover && (r.bad("kubeconfig") || r.bad("kubeContext")) {
		cl = nil
	}
	if cl != nil {
		if c.Discovery != nil && !r.bad("identity") {
			c.Discovery.apply(&r, cl, c.Identity)
		}
		c.Stack = cl.NewStack()
		r.object(name, c.Stack)
		c.Stack.Prepare(input{r: &r, settings: c.Settings, handoff: c.Handoff, identity: c.Identity})
	} else {
		r.p.AddWithin("peerpods:", c.Settings.Validate())
	}

	if c.Handoff != handoff.ModeOff && static && !fromCluster {
		for _, sk := range secretSettings(c.Cloud) {
			if _, ok := c.Secrets[sk.Name]; !ok && sk.Need != contract.Optional && !r.bad(sk.config) {
				r.fail(problems.Invalid("peerpods:"+sk.config, fmt.Sprintf("is not set, and the handoff needs it for %s", sk.Name),
					fmt.Sprintf("pulumi config set --secret %s <value>, or set peerpods:handoff to off", sk.config)))
			}
		}
	}
	return c, r.p.Err()
}

// checkKubeconfig checks with client-go's own loader that kubeconfig is
// a kubeconfig with a cluster. The error never shows its contents.
func checkKubeconfig(kubeconfig, kubeContext string, insecureOK bool) error {
	cfg, err := clientcmd.Load([]byte(kubeconfig))
	if err == nil && !insecureOK {
		name := kubeContext
		if name == "" {
			name = cfg.CurrentContext
		}
		if ctx, ok := cfg.Contexts[name]; ok {
			if cl, ok := cfg.Clusters[ctx.Cluster]; ok && cl.InsecureSkipTLSVerify {
				return problems.Invalid("peerpods:kubeconfig", fmt.Sprintf("has insecure-skip-tls-verify for cluster %s (context %s): anyone on the network path could act as the API server and receive the stack's credentials", ctx.Cluster, name),
					"give the cluster's CA (oc config view --minify --flatten from a login that checks it), or set peerpods:insecureKubeconfig to true to accept the risk")
			}
		}
	}
	switch {
	case err != nil:
		return problems.Invalid("peerpods:kubeconfig", "is not a kubeconfig (client-go cannot load it)",
			"store the file's contents, not its path: pulumi config set --secret kubeconfig < ~/.kube/config")
	case len(cfg.Clusters) == 0:
		return problems.Invalid("peerpods:kubeconfig", "is not a kubeconfig (it has no clusters)",
			"store the file's contents, not its path: pulumi config set --secret kubeconfig < ~/.kube/config")
	}
	return nil
}

// MinifyKubeconfig returns the kubeconfig reduced to one context (the
// current one when kubeContext is empty), its cluster and its user, with
// certificate files inlined: what the stack stores, never the other
// contexts and tokens of the file.
func MinifyKubeconfig(kubeconfig []byte, kubeContext string) ([]byte, error) {
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return nil, err
	}
	if kubeContext != "" {
		if _, ok := cfg.Contexts[kubeContext]; !ok {
			return nil, fmt.Errorf("the kubeconfig has no context %q", kubeContext)
		}
		cfg.CurrentContext = kubeContext
	}
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		return nil, err
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return nil, err
	}
	return clientcmd.Write(*cfg)
}

// reader reads typed config values, recording every problem.
type reader struct {
	src source
	p   problems.List
	// over are values read instead of the source's: an object setting with
	// the cluster's values of settings the stack file lacks added.
	over map[string]string
}

func (r *reader) fail(err error) { r.p.Add(err) }

func (r *reader) get(key string) (string, bool) {
	if v, ok := r.over[key]; ok {
		return v, true
	}
	return r.src.GetConfig(Namespace + ":" + key)
}

// override makes key read as value.
func (r *reader) override(key, value string) {
	if r.over == nil {
		r.over = map[string]string{}
	}
	r.over[key] = value
}

func (r *reader) str(key, def string) string {
	if v, ok := r.get(key); ok {
		return v
	}
	return def
}

// operatorLine decides the operator's release line: the version of the
// operator OLM installed in the cluster when one is read, else
// peerpods:operatorVersion, else the newest known line. It returns what
// to say about it, and whether that is a warning.
func (r *reader) operatorLine(d *cluster.Operator) (contract.Line, string, bool) {
	pinned, hasPin := r.get("operatorVersion")
	var pin contract.Line
	var pinWarning string
	if hasPin {
		l, w, err := contract.ParseVersion(pinned)
		if err != nil {
			r.fail(problems.Invalid("peerpods:operatorVersion", fmt.Sprintf("is %q: %v", pinned, err),
				"give the version of the operator the cluster runs, such as 1.12 (oc get csv -n "+contract.Namespace+")"))
			return contract.Line{}, "", false
		}
		pin, pinWarning = l, w
	}
	if d != nil && d.Version != "" {
		from := fmt.Sprintf("ClusterServiceVersion %s of Subscription %s", d.CSV, d.Subscription)
		l, w, err := contract.ParseVersion(d.Version)
		if err != nil {
			r.fail(problems.Invalid("peerpods:kubeconfig", fmt.Sprintf("names a cluster whose operator is %s (%s): %v", d.Version, from, err),
				"upgrade the OpenShift sandboxed containers operator first"))
			return contract.Line{}, "", false
		}
		switch {
		case hasPin && pin != l:
			return l, fmt.Sprintf("peerpods:operatorVersion is %s, but the cluster runs operator %s (%s): the objects are written for line %s; the setting pins the line only where no cluster is read (remove it)", pinned, d.Version, from, l), true
		case w != "":
			return l, w + " (" + from + ")", true
		}
		return l, fmt.Sprintf("the cluster runs operator %s (%s): the objects are written for line %s", d.Version, from, l), false
	}
	if hasPin {
		if pinWarning != "" {
			return pin, pinWarning + " (peerpods:operatorVersion)", true
		}
		return pin, fmt.Sprintf("peerpods:operatorVersion pins operator line %s", pin), false
	}
	return contract.NewestLine, fmt.Sprintf("no operator version is known (no cluster read, or OLM has installed no operator yet, and no peerpods:operatorVersion): the objects are written for %s, the newest line this peerpods knows; set peerpods:operatorVersion to the version the cluster will run", contract.NewestLine), true
}

// adopt reads peerpods:adopt: "all", or a list of objects (checked
// against the handoff's objects by the handoff).
func (r *reader) adopt() []string {
	v, ok := r.get("adopt")
	if !ok {
		return nil
	}
	if strings.TrimSpace(v) == handoff.AdoptAll {
		return []string{handoff.AdoptAll}
	}
	var list []string
	r.object("adopt", &list)
	return list
}

// optStr returns key's value, nil when the stack does not set it.
func (r *reader) optStr(key string) *string {
	if v, ok := r.get(key); ok {
		return &v
	}
	return nil
}

// optInteger returns key's whole number, nil when the stack does not set
// it (or sets something else, which is reported with its default, def).
func (r *reader) optInteger(key string, def int) *int {
	v, ok := r.get(key)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(problems.Invalid("peerpods:"+key, fmt.Sprintf("is %q, which is not a whole number", v), fmt.Sprintf("set a whole number (default %d)", def)))
		return nil
	}
	return &n
}

func (r *reader) boolean(key string, def bool) bool {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.fail(problems.Invalid("peerpods:"+key, fmt.Sprintf("is %q, which is not true or false", v), fmt.Sprintf("set true or false (default %t)", def)))
		return def
	}
	return b
}

// object decodes a structured value strictly: it must be JSON of the
// setting's schema (exact field names, case included, and types, which
// checkShape reports by their full names), then decodes with the standard
// library refusing unknown fields, so that no setting is silently
// ignored.
func (r *reader) object(key string, into any) {
	v, ok := r.get(key)
	if !ok {
		return
	}
	fail := func(problem string) {
		r.fail(problems.Invalid("peerpods:"+key, "cannot be read: "+problem,
			"check the setting's names and types against stacks/"+SchemaFile+" and the example stack files in stacks/"))
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(v))
	if err != nil {
		fail(jsonProblem(err))
		return
	}
	if errs := checkShape(key, doc); errs != nil {
		for _, p := range errs {
			r.fail(p)
		}
		return
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		fail(jsonProblem(err))
	}
}

// value reads a value that goes into a Secret; a sensitive one must be
// stored encrypted. Its problems name the key, never the value.
func (r *reader) value(key string, sensitive bool) string {
	v, ok := r.get(key)
	if !ok || v == "" {
		return ""
	}
	if sensitive && !r.src.IsConfigSecret(Namespace+":"+key) {
		if !r.bad(key) { // checkKeys may have said so already
			r.fail(problems.Invalid("peerpods:"+key, "is stored in plain text", fmt.Sprintf("store it encrypted: pulumi config set --secret %s <value>", key)))
		}
		return ""
	}
	return v
}

// bad reports whether a problem was already recorded for key.
func (r *reader) bad(key string) bool {
	for _, ie := range problems.InputErrors(r.p.Err()) {
		if ie.Setting == "peerpods:"+key {
			return true
		}
	}
	return false
}

// jsonProblem words a JSON decoding error without echoing values.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s should be %s, not %s", te.Field, te.Type, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// initData reads INITDATA: peerpods:initdataFile, an initdata TOML file
// (a Kata agent policy and more) that is checked and encoded as CAA reads
// it (gzip, then base64), or peerpods:initdata, the encoded value, which
// Settings.Validate checks to decode to valid initdata. Both set is an
// error.
func (r *reader) initData() string {
	file, hasFile := r.get("initdataFile")
	raw, hasRaw := r.get("initdata")
	switch {
	case hasFile && hasRaw:
		r.fail(problems.Invalid("peerpods:initdata", "and peerpods:initdataFile are both set", "set only one: the TOML file (initdataFile) or its gzip+base64 encoding (initdata)"))
	case hasFile:
		doc, err := os.ReadFile(file)
		if err != nil {
			r.fail(problems.Invalid("peerpods:initdataFile", fmt.Sprintf("is %q, which cannot be read (%v)", file, errors.Unwrap(err)),
				"give the path of the initdata TOML file, absolute or relative to the project directory"))
			return ""
		}
		enc, err := contract.EncodeInitData(doc)
		if err != nil {
			r.fail(problems.Invalid("peerpods:initdataFile", fmt.Sprintf("(%s) %s", file, err),
				"fix the file: a TOML document with algorithm (sha256, sha384 or sha512), version and a [data] table"))
			return ""
		}
		return enc
	case hasRaw: // checked with the other settings (Settings.Validate)
		return raw
	}
	return ""
}

// input is what a cloud's Prepare reads: the reader, for the cloud's
// settings.
type input struct {
	r        *reader
	settings common.Settings
	handoff  handoff.Mode
	identity contract.Identity
}

func (in input) Settings() *common.Settings {
	s := in.settings
	return &s
}
func (in input) Handoff() handoff.Mode        { return in.handoff }
func (in input) Identity() contract.Identity  { return in.identity }
func (in input) Check(err error)              { in.r.p.AddWithin("peerpods:", err) }
func (in input) Credential(key string) Secret { return NewSecret(in.r.value(key, true)) }
func (in input) Has(key string) bool {
	_, ok := in.r.get(key)
	return ok
}
