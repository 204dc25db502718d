// Package fleet renders the manifests that run one peerpods stack per
// cluster on the Pulumi Kubernetes Operator v2 (PKO): from a clusters file
// (Parse), per cluster a Program (pulumi.com/v1, a Pulumi YAML program of
// the cloud's PeerPods component and the ClusterHandoff) and a Stack
// (pulumi.com/v1) whose secret inputs come from Kubernetes Secrets, plus
// the workspaces' ServiceAccount and its system:auth-delegator binding
// (Render). The clusters file names Secrets and keys, never secret values.
package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// ServiceAccount is the name of the ServiceAccount the stacks' workspaces
// run as.
const ServiceAccount = "peerpods-fleet"

// Clouds are the clouds a cluster may name: each has a component
// peerpods:<cloud>:PeerPods.
var Clouds = []string{"aws", "azure", "gcp", "libvirt"}

// File is a clusters file.
type File struct {
	// Namespace holds the Programs, Stacks and the ServiceAccount; the
	// Secrets the clusters name must be in it.
	Namespace string `json:"namespace"`
	// Plugin is the released pulumi-resource-peerpods the workspaces use.
	Plugin Plugin `json:"plugin"`
	// Backend is the state backend URL (spec.backend); empty: Pulumi Cloud.
	Backend string `json:"backend,omitempty"`
	// SecretsProvider encrypts the stacks' secrets (spec.secretsProvider);
	// empty: the backend's default (a passphrase on a self-managed backend).
	SecretsProvider string `json:"secretsProvider,omitempty"`
	// Passphrase is PULUMI_CONFIG_PASSPHRASE of every stack.
	Passphrase *SecretRef `json:"passphrase,omitempty"`
	// Env sets environment variables of every workspace from Secrets
	// (backend or cloud credentials).
	Env      map[string]SecretRef `json:"env,omitempty"`
	Clusters []Cluster            `json:"clusters"`
}

// Plugin locates the provider plugin: DownloadURL is where the engine
// finds pulumi-resource-peerpods-v<Version>-<os>-<arch>.tar.gz.
type Plugin struct {
	Version     string `json:"version"`
	DownloadURL string `json:"downloadURL"`
}

// SecretRef names a key of a Kubernetes Secret in File.Namespace.
type SecretRef struct {
	Secret string `json:"secret"`
	Key    string `json:"key"`
}

// Cluster is one stack.
type Cluster struct {
	// Name names the Program and Stack (peerpods-<name>) and, unless Stack
	// is set, the Pulumi stack.
	Name  string `json:"name"`
	Stack string `json:"stack,omitempty"`
	Cloud string `json:"cloud"`
	// Kubeconfig is the cluster's kubeconfig, for the handoff.
	Kubeconfig SecretRef `json:"kubeconfig"`
	// Inputs are the non-secret inputs of peerpods:<cloud>:PeerPods.
	Inputs map[string]any `json:"inputs,omitempty"`
	// Secrets are its secret inputs, from Secrets: an input's name, or a
	// field of one as input.field (host.password).
	Secrets map[string]SecretRef `json:"secrets,omitempty"`
	// Handoff are extra inputs of the ClusterHandoff (identity,
	// operatorLine, kataConfig, nodes, ...).
	Handoff map[string]any `json:"handoff,omitempty"`
	// Config is the stack's provider configuration (spec.config), such as
	// aws:region.
	Config map[string]any `json:"config,omitempty"`
	// Env adds to File.Env for this cluster.
	Env map[string]SecretRef `json:"env,omitempty"`
}

var (
	dnsLabel   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSub     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
	secretKey  = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	identifier = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*$`)
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	version    = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
	stackName  = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$`)
)

// reserved are names the rendered program uses itself.
var (
	reservedSecrets = []string{"kubeconfig"}
	reservedEnv     = []string{"PULUMI_CONFIG_PASSPHRASE", "PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES"}
)

// Parse reads a clusters file strictly (an unknown field is an error) and
// validates it.
func Parse(data []byte) (*File, error) {
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("clusters file: %w", err)
	}
	if err := errors.Join(unknownFields("", raw, reflect.TypeFor[File]())...); err != nil {
		return nil, err
	}
	var f File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("clusters file: %w", err)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// unknownFields names the fields of v (decoded YAML) that t, a struct of
// this package, does not have, with their paths.
func unknownFields(at string, v any, t reflect.Type) []error {
	var errs []error
	switch t.Kind() {
	case reflect.Pointer:
		return unknownFields(at, v, t.Elem())
	case reflect.Slice:
		s, _ := v.([]any)
		for i, e := range s {
			errs = append(errs, unknownFields(fmt.Sprintf("%s[%d]", at, i), e, t.Elem())...)
		}
	case reflect.Map:
		m, _ := v.(map[string]any)
		for _, k := range sortedKeys(m) {
			errs = append(errs, unknownFields(at+"."+k, m[k], t.Elem())...)
		}
	case reflect.Struct:
		m, _ := v.(map[string]any)
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			fields[name] = t.Field(i).Type
		}
		for _, k := range sortedKeys(m) {
			field := strings.TrimPrefix(at+"."+k, ".")
			ft, ok := fields[k]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: unknown field: remove it or fix its spelling (fields here: %s)", field, strings.Join(sortedKeys(fields), ", ")))
				continue
			}
			errs = append(errs, unknownFields(field, m[k], ft)...)
		}
	}
	return errs
}

// Validate returns every problem of f, each naming the field and the fix.
func (f *File) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !dnsLabel.MatchString(f.Namespace) || len(f.Namespace) > 63 {
		bad("namespace", "%q is not a namespace name: set it to the namespace of the Stacks and the Secrets (lower-case letters, digits, '-')", f.Namespace)
	}
	if !version.MatchString(f.Plugin.Version) {
		bad("plugin.version", "%q is not a release version: write it as 1.2.3 (no leading v)", f.Plugin.Version)
	}
	if u, err := url.Parse(f.Plugin.DownloadURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("plugin.downloadURL", "%q is not an http(s) URL: set it to where the release's pulumi-resource-peerpods-v<version>-<os>-<arch>.tar.gz can be downloaded", f.Plugin.DownloadURL)
	}
	checkRef := func(field string, r SecretRef) {
		if !dnsSub.MatchString(r.Secret) || len(r.Secret) > 253 {
			bad(field+".secret", "%q is not a Secret name: name the Kubernetes Secret in namespace %s that holds the value", r.Secret, f.Namespace)
		}
		if !secretKey.MatchString(r.Key) {
			bad(field+".key", "%q is not a Secret key: name the key of the value in Secret %q (letters, digits, '-', '_', '.')", r.Key, r.Secret)
		}
	}
	checkEnv := func(field string, env map[string]SecretRef) {
		for _, name := range sortedKeys(env) {
			switch {
			case !envName.MatchString(name):
				bad(field+"."+name, "not an environment variable name: use letters, digits and '_'")
			case name == "PULUMI_CONFIG_PASSPHRASE":
				bad(field+"."+name, "set the passphrase with the top-level passphrase field")
			case slices.Contains(reservedEnv, name):
				bad(field+"."+name, "set by the rendered Stack: remove it (plugin.downloadURL sets it)")
			default:
				checkRef(field+"."+name, env[name])
			}
		}
	}
	if f.Passphrase != nil {
		checkRef("passphrase", *f.Passphrase)
	}
	checkEnv("env", f.Env)
	if len(f.Clusters) == 0 {
		bad("clusters", "empty: list at least one cluster")
	}
	names := map[string]int{}
	for i, c := range f.Clusters {
		at := fmt.Sprintf("clusters[%d]", i)
		// peerpods-<name> must be a DNS label (the Stack's workspace
		// Service and pods take its name).
		if !dnsLabel.MatchString(c.Name) || len(c.Name) > 63-len("peerpods-") {
			bad(at+".name", "%q is not a cluster name: use lower-case letters, digits and '-', at most %d characters", c.Name, 63-len("peerpods-"))
		} else if j, dup := names[c.Name]; dup {
			bad(at+".name", "%q is also clusters[%d]'s name: give each cluster its own name", c.Name, j)
		} else {
			names[c.Name] = i
		}
		if c.Stack != "" && !stackName.MatchString(c.Stack) {
			bad(at+".stack", "%q is not a stack name: use stack, org/stack or org/project/stack (letters, digits, '-', '_', '.'), or leave it out for the cluster's name", c.Stack)
		}
		if !slices.Contains(Clouds, c.Cloud) {
			bad(at+".cloud", "%q is not a cloud: set one of %s", c.Cloud, strings.Join(Clouds, ", "))
		}
		checkRef(at+".kubeconfig", c.Kubeconfig)
		keys := map[string]string{}
		for _, name := range sortedKeys(c.Secrets) {
			field := at + ".secrets." + name
			parts := strings.Split(name, ".")
			switch {
			case slices.ContainsFunc(parts, func(p string) bool { return !identifier.MatchString(p) }):
				bad(field, "not an input of peerpods:%s:PeerPods: name it, or a field of one as input.field (letters, digits, '_')", c.Cloud)
			case slices.Contains(reservedSecrets, configKey(name)):
				bad(field, "the kubeconfig is the cluster's kubeconfig field: move it there")
			default:
				if other, dup := keys[configKey(name)]; dup {
					bad(field, "its configuration key %s is also %s's: rename one", configKey(name), other)
				}
				keys[configKey(name)] = name
				checkRef(field, c.Secrets[name])
				if _, both := lookup(c.Inputs, parts); both {
					bad(at+".inputs."+name, "also a secret input: keep it under secrets only")
				}
			}
		}
		for _, name := range sortedKeys(c.Inputs) {
			if !identifier.MatchString(name) {
				bad(at+".inputs."+name, "not an input name of peerpods:%s:PeerPods (letters, digits, '_')", c.Cloud)
			}
		}
		for _, name := range sortedKeys(c.Handoff) {
			switch name {
			case "cloud", "configMap", "secret", "sshKeySecret":
				bad(at+".handoff."+name, "set from the %s component's output: remove it", c.Cloud)
			case "nodes":
				if hasTaints(c.Handoff[name]) {
					bad(at+".handoff.nodes", "node taints need a peerpods provider next to the Kubernetes one, which a PKO Program cannot pass (its providers option is a map, Pulumi YAML takes a list): leave the taints out, or run this cluster's stack outside PKO")
				}
			default:
				if !identifier.MatchString(name) {
					bad(at+".handoff."+name, "not an input name of peerpods:components:ClusterHandoff")
				}
			}
		}
		for _, key := range sortedKeys(c.Config) {
			if ns, _, ok := strings.Cut(key, ":"); !ok || ns == "" || ns == "peerpods" {
				bad(at+".config."+key, "not a provider setting: write <provider>:<key>, such as aws:region (the component's own inputs go under inputs)")
			}
		}
		checkEnv(at+".env", c.Env)
	}
	return errors.Join(errs...)
}

// configKey is the program's configuration key of a secret input: its
// path in lower camel case (host.password: hostPassword).
func configKey(path string) string {
	parts := strings.Split(path, ".")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// lookup returns the value at path in m.
func lookup(m map[string]any, path []string) (any, bool) {
	v, ok := m[path[0]]
	if !ok || len(path) == 1 {
		return v, ok
	}
	sub, isMap := v.(map[string]any)
	if !isMap {
		return nil, false
	}
	return lookup(sub, path[1:])
}

// set sets the value at path in m, making the maps on the way (m's own
// are copies already, see literal).
func set(m map[string]any, path []string, v any) {
	if len(path) == 1 {
		m[path[0]] = v
		return
	}
	sub, ok := m[path[0]].(map[string]any)
	if !ok {
		sub = map[string]any{}
		m[path[0]] = sub
	}
	set(sub, path[1:], v)
}

// hasTaints reports whether handoff.nodes (a list of node patches) sets
// taints.
func hasTaints(nodes any) bool {
	list, _ := nodes.([]any)
	for _, n := range list {
		if m, ok := n.(map[string]any); ok && m["taints"] != nil {
			return true
		}
	}
	return false
}

// Object is one manifest.
type Object = map[string]any

// Render returns the manifests of f, which Parse or Validate accepted:
// the ServiceAccount and its ClusterRoleBinding, then per cluster its
// Program and Stack.
func Render(f *File) []Object {
	out := []Object{
		{
			"apiVersion": "v1",
			"kind":       "ServiceAccount",
			"metadata":   meta(ServiceAccount, f.Namespace),
		},
		{
			// PKO v2's workspaces check their callers' tokens through
			// the API server (TokenReview, SubjectAccessReview).
			"apiVersion": "rbac.authorization.k8s.io/v1",
			"kind":       "ClusterRoleBinding",
			"metadata":   Object{"name": f.Namespace + ":" + ServiceAccount + ":system:auth-delegator", "labels": labels()},
			"roleRef":    Object{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
			"subjects":   []any{Object{"kind": "ServiceAccount", "name": ServiceAccount, "namespace": f.Namespace}},
		},
	}
	for _, c := range f.Clusters {
		out = append(out, program(f, c), stack(f, c))
	}
	return out
}

func labels() Object { return Object{"app.kubernetes.io/managed-by": "peerpods-fleet"} }

func meta(name, namespace string) Object {
	return Object{"name": name, "namespace": namespace, "labels": labels()}
}

// program is the cluster's Pulumi YAML program: the cloud's component and
// the handoff, each secret input a configuration value its Stack sets from
// a Secret.
func program(f *File, c Cluster) Object {
	opts := Object{"version": f.Plugin.Version}
	config := Object{"kubeconfig": Object{"type": "String"}}
	inputs := Object{}
	for k, v := range c.Inputs {
		inputs[k] = literal(v)
	}
	for _, k := range sortedKeys(c.Secrets) {
		config[configKey(k)] = Object{"type": "String"}
		set(inputs, strings.Split(k, "."), "${"+configKey(k)+"}")
	}
	handoff := Object{}
	for k, v := range c.Handoff {
		handoff[k] = literal(v)
	}
	handoff["cloud"] = c.Cloud
	for _, k := range []string{"configMap", "secret", "sshKeySecret"} {
		handoff[k] = "${podvms." + k + "}"
	}
	return Object{
		"apiVersion": "pulumi.com/v1",
		"kind":       "Program",
		"metadata":   meta(objectName(c), f.Namespace),
		"program": Object{
			"configuration": config,
			"resources": Object{
				"k8s": Object{
					"type": "pulumi:providers:kubernetes",
					"properties": Object{
						"kubeconfig":             "${kubeconfig}",
						"enableConfigMapMutable": true,
						"enableSecretMutable":    true,
					},
				},
				// The components use no default provider.
				"peerpods": Object{
					"type":    "pulumi:providers:peerpods",
					"options": opts,
				},
				"podvms": Object{
					"type":       "peerpods:" + c.Cloud + ":PeerPods",
					"properties": inputs,
					"options":    Object{"version": f.Plugin.Version, "provider": "${peerpods}"},
				},
				"handoff": Object{
					"type":       "peerpods:components:ClusterHandoff",
					"properties": handoff,
					// provider, not providers: PKO's Program declares
					// providers a map, which Pulumi YAML refuses (it
					// takes a list); on a component, provider reaches
					// the children of its package.
					"options": Object{"version": f.Plugin.Version, "provider": "${k8s}"},
				},
			},
			"outputs": Object{
				"cloud":         "${podvms.cloud}",
				"configMap":     "${podvms.configMap}",
				"configMapName": "${handoff.configMapName}",
				"namespace":     "${handoff.namespace}",
			},
		},
	}
}

// stack is the cluster's Stack: its Program, its secret inputs and
// environment from Secrets, and the plugin's download URL.
func stack(f *File, c Cluster) Object {
	name := c.Stack
	if name == "" {
		name = c.Name
	}
	secrets := Object{"kubeconfig": secretRef(c.Kubeconfig)}
	for k, r := range c.Secrets {
		secrets[configKey(k)] = secretRef(r)
	}
	env := Object{}
	for k, r := range f.Env {
		env[k] = secretRef(r)
	}
	for k, r := range c.Env {
		env[k] = secretRef(r)
	}
	if f.Passphrase != nil {
		env["PULUMI_CONFIG_PASSPHRASE"] = secretRef(*f.Passphrase)
	}
	spec := Object{
		"stack":              name,
		"programRef":         Object{"name": objectName(c)},
		"serviceAccountName": ServiceAccount,
		"refresh":            true,
		"secretsRef":         secrets,
		"workspaceTemplate": Object{"spec": Object{"env": []any{Object{
			// The engine downloads the plugin from here (PKO's Program
			// has no pluginDownloadURL resource option).
			"name":  "PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES",
			"value": "^peerpods$=" + f.Plugin.DownloadURL,
		}}}},
	}
	if len(env) > 0 {
		spec["envRefs"] = env
	}
	if f.Backend != "" {
		spec["backend"] = f.Backend
	}
	if f.SecretsProvider != "" {
		spec["secretsProvider"] = f.SecretsProvider
	}
	if len(c.Config) > 0 {
		spec["config"] = c.Config
	}
	return Object{
		"apiVersion": "pulumi.com/v1",
		"kind":       "Stack",
		"metadata":   meta(objectName(c), f.Namespace),
		"spec":       spec,
	}
}

func objectName(c Cluster) string { return "peerpods-" + c.Name }

func secretRef(r SecretRef) Object {
	return Object{"type": "Secret", "secret": Object{"name": r.Secret, "key": r.Key}}
}

// literal escapes Pulumi YAML's interpolation in the strings of v: "${"
// becomes "$${", so an input is taken as written.
func literal(v any) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, "${", "$${")
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = literal(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = literal(e)
		}
		return s
	default:
		return v
	}
}

// YAML writes objs as one YAML stream, documents separated by "---".
func YAML(objs []Object) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(data)
	}
	return b.Bytes(), nil
}

// Files groups objs by file: fleet.yaml holds the ServiceAccount and its
// binding, peerpods-<cluster>.yaml a cluster's Program and Stack.
func Files(f *File, objs []Object) (map[string][]byte, error) {
	groups := map[string][]Object{"fleet.yaml": objs[:2]}
	for i, c := range f.Clusters {
		groups[objectName(c)+".yaml"] = objs[2+2*i : 4+2*i]
	}
	out := map[string][]byte{}
	for name, g := range groups {
		data, err := YAML(g)
		if err != nil {
			return nil, err
		}
		out[name] = data
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
