package stacks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// The top-level stack settings (keys under peerpods:), the only ones a
// stack file may set. The secret settings of peer-pods-secret come from
// the contract, for every cloud (secretSettings).
var (
	// plainSettings may be stored in plain text.
	plainSettings = []string{
		"cloud", "handoff", "kubeContext",
		"tunnelPort", "tunnelProtocols", "allowPublicRanges", "proxyTimeout", "limitPerNode", "rootVolumeSize", "tags",
		"initdataFile", "initdata", "extra", "kataConfig", "placement", "adopt",
		"identity", "discover", "credentialsFromCluster", "acknowledgeRootCredential", "insecureKubeconfig", "operatorSubscription", "operatorVersion", "waitTimeout",
		// Refused with their own advice (load).
		"disableCvm", "peerPodConfig",
	}
	// credentialSettings hold credentials that are not peer-pods-secret
	// keys: always secret. The clouds add their own (cloud.Credentials).
	credentialSettings = []string{"kubeconfig"}
)

// settingDocs describe the top-level settings in the stack files' schema
// (GenerateSchema); an object setting without one takes its type's doc
// comment.
var settingDocs = map[string]string{
	"cloud":                     "The cloud to prepare: aws, azure, gcp or libvirt (CLOUD_PROVIDER). Required, unless peerpods:kubeconfig is set: the cluster's platform (Infrastructure cluster status.platformStatus.type) names it then.",
	"handoff":                   "Where the peer-pods values go: cluster (default: peer-pods-cm, peer-pods-secret, ssh-key-secret and the optional KataConfig and node patches written into the cluster; needs peerpods:kubeconfig), manifests (the same objects rendered as YAML into the secret manifests stack output, for oc apply or GitOps) or off (the cloud side only: the values are stack outputs).",
	"kubeconfig":                "The cluster's kubeconfig, its contents, not its path (a secret): pulumi config set --secret kubeconfig < ~/.kube/config. Required with handoff cluster; when set, the cluster is read for the settings the stack does not give (peerpods:discover).",
	"kubeContext":               "The kubeconfig context to use (default: its current one).",
	"insecureKubeconfig":        "Accept a peerpods:kubeconfig whose cluster has insecure-skip-tls-verify (default false: refused, since the API server's identity is then not checked).",
	"adopt":                     "Cluster objects of the handoff that may exist before the stack: all, or a list of Kind/namespace/name (Kind/name for a cluster-scoped one), such as ConfigMap/openshift-sandboxed-containers-operator/peer-pods-cm or KataConfig/cluster-kataconfig. Those that exist are taken over by an import (shown in the preview) and kept on destroy. Without it, an object the stack is about to create that exists already stops the run (default: none).",
	"identity":                  "How cloud-api-adaptor gets its cloud credentials: cco (default for AWS, Azure and GCP: the operator asks the Cloud Credential Operator), static (the stack writes the keys set with pulumi config set --secret into peer-pods-secret; the only mode of libvirt) or workload (a cloud identity trusted by the cluster's OIDC issuer; AWS and Azure). docs/identity.md says what each mode creates.",
	"discover":                  "Whether the cloud's settings the stack does not set are read from the cluster of peerpods:kubeconfig, and the ones it sets compared with it (default true; without peerpods:kubeconfig nothing is read).",
	"credentialsFromCluster":    "Identity static only: read the keys of peer-pods-secret from the cluster's CCO root secret (kube-system/aws-creds, azure-credentials, gcp-credentials) instead of the stack's secrets, which must then be left unset (default false). That credential has rights over the whole account: refused unless peerpods:acknowledgeRootCredential is true, and every run warns.",
	"acknowledgeRootCredential": "Accept that peerpods:credentialsFromCluster copies the cluster's root cloud credential into peer-pods-secret and the stack's state (default false).",
	"operatorSubscription":      "Workload identity only: the name of the operator's OLM Subscription in openshift-sandboxed-containers-operator, whose spec.config.env gets the identity. Default: the Subscription of package sandboxed-containers-operator found in the cluster; required with the handoff on when there is none to find.",
	"operatorVersion":           "The version of the OpenShift sandboxed containers operator the objects are written for, such as 1.12 or 1.12.1 (from 1.10; a newer one than the newest line known is written as that line, with a warning). Only where no cluster is read (handoff manifests or off, or an offline preview): with peerpods:kubeconfig the installed operator's version (its Subscription's ClusterServiceVersion) is used. Default: the newest known line, said in the preview.",
	"allowPublicRanges":         "Public address ranges (CIDR) the cloud's rules may let reach the peer-pods ports. Every other source range must be private: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 or fc00::/7 (an IPv4-mapped IPv6 range counts as IPv4). Default none.",
	"tunnelPort":                "VXLAN_PORT: the VXLAN tunnel port between worker and pod VM, which the cloud's rules open (default 9000; 1-65535, not 15150, the kata agent's port).",
	"tunnelProtocols":           "The protocols the tunnel port is opened for: tcp and/or udp, each once (default [tcp, udp]; VXLAN is UDP, the docs open TCP).",
	"proxyTimeout":              "PROXY_TIMEOUT: how long cloud-api-adaptor waits for a pod VM's agent, a positive duration such as 5m or 90s (default 5m, 15m for libvirt).",
	"limitPerNode":              "PEERPODS_LIMIT_PER_NODE: pod VMs per worker node, at least 1 (default 10); the former PeerPodConfig's spec.limit.",
	"rootVolumeSize":            "ROOT_VOLUME_SIZE: the pod VM root disk in GB, at least 6 (default 6). AWS, Azure and GCP only: libvirt's cloud-api-adaptor has no such key.",
	"tags":                      "TAGS: tags of every pod VM, an object written key=value,... sorted by key (default none: the key is not written). No ',' or '=' in keys or values, and the cloud's tag limits (docs/validation.md, \"Bad input\"). AWS, Azure and GCP only: libvirt's cloud-api-adaptor has no such key.",
	"initdataFile":              "INITDATA from a file: the path (absolute, or relative to the project directory) of an initdata TOML file (Kata agent policy and more), checked (algorithm sha256, sha384 or sha512, a version, a [data] table) and encoded (gzip, then base64) as cloud-api-adaptor reads it. Exclusive with peerpods:initdata; with neither, INITDATA is left to the operator.",
	"initdata":                  "INITDATA already encoded, as cloud-api-adaptor reads it: gzip < initdata.toml | base64 -w0; checked to decode to valid initdata. Exclusive with peerpods:initdataFile; with neither, INITDATA is left to the operator.",
	"extra":                     extraDoc(),
	"kataConfig":                "The operator's KataConfig, written by the handoff (cluster or manifests) with enablePeerPods: true, after peer-pods-cm, the Secrets and the node patches (and deleted first). Unset (the default), no KataConfig is written.",
	"placement":                 "Where peer pods may run (handoff cluster or manifests): worker nodes labelled for the KataConfig's pool selector, and the node groups of a hosted-control-plane management cluster. Labels are server-side applied (only ours owned); taints are added by a peerpods:kubernetes:NodeTaints per node (the plugin), never replacing others' taints; with manifests, the taints are oc adm taint comments (docs/handoff.md). Default: no node is changed.",
	"disableCvm":                "Refused: the operator writes DISABLECVM itself on every reconcile (from its osc-feature-gates ConfigMap).",
	"peerPodConfig":             "Refused: the operator 1.10 has no PeerPodConfig; peerpods:limitPerNode sets PEERPODS_LIMIT_PER_NODE.",
	"sshPrivateKey":             "A private key (a secret, unencrypted OpenSSH or PEM) to use instead of a generated key pair: Azure's ssh-key-secret, the libvirt KVM host's key (default: a generated pair, kept secret in the state).",
	"libvirtHostPassword":       "The password (a secret) that logs in once to the remote KVM host (peerpods:libvirt.host) to install the key pair; never kept in the state. With libvirt.host, this or peerpods:libvirtHostBootstrapKey is required.",
	"libvirtHostBootstrapKey":   "A private key the host already accepts (a secret) that logs in once to the remote KVM host (peerpods:libvirt.host) to install the key pair; never kept in the state. With libvirt.host, this or peerpods:libvirtHostPassword is required.",
	"awsAccessKeyId":            "AWS_ACCESS_KEY_ID of peer-pods-secret (identity static)." + staticKey,
	"awsSecretAccessKey":        "AWS_SECRET_ACCESS_KEY of peer-pods-secret (a secret; identity static)." + staticKey,
	"azureClientId":             "AZURE_CLIENT_ID of peer-pods-secret (identity static)." + staticKey,
	"azureClientSecret":         "AZURE_CLIENT_SECRET of peer-pods-secret (a secret; identity static)." + staticKey,
	"azureTenantId":             "AZURE_TENANT_ID of peer-pods-secret (identity static)." + staticKey,
	"gcpCredentials":            "GCP_CREDENTIALS of peer-pods-secret: the service account's key file, its contents, checked to be one (a secret; identity static)." + staticKey,
	"redhatOfflineToken":        "REDHAT_OFFLINE_TOKEN of peer-pods-secret (a secret, optional): the operator's own libvirt image build downloads RHEL with it; not needed when the stack uploads peerpods:libvirt.image.",
	"aws":                       "The AWS settings: the provider's region and profile, how to find the worker network, the pod VM instance types and image.",
	"azure":                     "The Azure settings: the subscription, the cluster's resource groups and network, the outbound mode, the NSG priorities, the pod VM sizes and image, workload identity.",
	"gcp":                       "The GCP settings: the project and zone, the cluster's network, the firewall, the pod VM machine type and image.",
	"libvirt":                   "The libvirt settings: the libvirtd (local URI, or a remote KVM host over qemu+ssh), the storage pool and volume, the image uploaded, the network.",
	"hostKeyCerts":              "HOST_KEY_CERTS of peer-pods-secret (optional): IBM Z Secure Execution host key documents (PEM) for the operator's own libvirt image build, so refused with peerpods:libvirt.image.",
	"waitTimeout":               "How long peerpods up follows the operator after a cluster handoff (peerpods up --no-wait skips it): until the KataConfig has every node installed, osc-caa-ds rolled out, the kata-remote RuntimeClass present and the pod-VM resource advertised; a positive duration such as 90m or 2h (default 90m: installing kata reboots each node, 10 to 60 minutes or more).",
}

// staticKey ends the description of a cloud key of peer-pods-secret that
// the stack's secrets give.
const staticKey = " Required with identity static and the handoff on (cluster or manifests), unless peerpods:credentialsFromCluster is true; refused with the other identities (the operator writes peer-pods-secret then)."

// extraDoc describes peerpods:extra, naming the keys each cloud's
// contract lets it set.
func extraDoc() string {
	var b strings.Builder
	b.WriteString("Further cloud-api-adaptor keys of peer-pods-cm, a map of key to value, each checked against the cloud's contract (the key and its format; docs/handoff.md, \"Keys\"); any other key is refused (default none).")
	for _, c := range contract.Clouds {
		var names []string
		for _, k := range contract.MustFor(c).Keys {
			if k.Extra() {
				names = append(names, k.Name)
			}
		}
		if len(names) > 0 {
			fmt.Fprintf(&b, " %s: %s.", c, strings.Join(names, ", "))
		}
	}
	return b.String()
}

// knownSettings returns every top-level setting and whether it must be
// stored encrypted: the plain ones, each registered cloud's object
// setting and credentials, and the contract's secret settings of every
// cloud (sensitive or not as the contract says).
func knownSettings() map[string]bool {
	known := map[string]bool{}
	for _, k := range plainSettings {
		known[k] = false
	}
	for _, k := range credentialSettings {
		known[k] = true
	}
	for _, c := range registry {
		known[string(c.Name())] = false
		for _, k := range c.Credentials() {
			known[k] = true
		}
	}
	for _, cloud := range contract.Clouds {
		for _, s := range secretSettings(cloud) {
			known[s.config] = known[s.config] || s.Sensitive
		}
	}
	return known
}

// checkKeys refuses, whatever the cloud and handoff mode, a setting that
// is not known (naming the nearest known one) and a secret setting stored
// in plain text.
func checkKeys(keys []string, isSecret func(key string) bool) error {
	known := knownSettings()
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	slices.Sort(names)
	var ps problems.List
	for _, key := range keys {
		name, ok := strings.CutPrefix(key, Namespace+":")
		if !ok {
			continue
		}
		sensitive, isKnown := known[name]
		switch {
		case !isKnown:
			fix := "remove it, or use one of the settings listed in docs/settings.md"
			if near := nearest(name, names); near != "" {
				fix = fmt.Sprintf("did you mean peerpods:%s? Rename it, or remove it", near)
			}
			ps.Add(problems.Invalid(key, "is not a setting of this project", fix))
		case sensitive && !isSecret(key):
			ps.Add(problems.Invalid(key, "is stored in plain text", fmt.Sprintf("store it encrypted: pulumi config set --secret %s <value>", name)))
		}
	}
	return ps.Err()
}

// nearest returns the name of names closest to s (case-insensitive edit
// distance), if close enough to be a likely misspelling: at most a third
// of the longer name's letters, and at least one, differ.
func nearest(s string, names []string) string {
	best, bestDist := "", -1
	for _, n := range names {
		d := distance(strings.ToLower(s), strings.ToLower(n))
		if bestDist < 0 || d < bestDist {
			best, bestDist = n, d
		}
	}
	if bestDist < 0 || bestDist > max(1, max(len(s), len(best))/3) {
		return ""
	}
	return best
}

// distance is the Levenshtein distance of a and b (bytes).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// contextSource is a program's configuration: the engine's values, and
// the keys of the stack file in the project directory dir, which the Go
// SDK does not list.
type contextSource struct {
	*pulumi.Context
	dir string
}

// keys lists the keys of the stack's stack file,
// <project>/<stackConfigDir>/Pulumi.<stack>.yaml (or .yml; stackConfigDir
// from the project file, Pulumi.yaml or Pulumi.yml). The project
// directory is dir, else the engine's root directory, else the working
// directory (where pulumi runs a program). The checks of the keys fail
// closed: a project or stack file that cannot be found or read is an
// error, not a stack without keys.
func (c contextSource) keys() ([]string, error) {
	root := c.dir
	if root == "" {
		root = c.RootDirectory()
	}
	if root == "" {
		root = "."
	}
	project, err := ProjectFile(root)
	if err != nil {
		return nil, fmt.Errorf("the stack's settings cannot be checked without the project file (run the program in the project's directory): %w", err)
	}
	raw, err := os.ReadFile(project)
	if err != nil {
		return nil, fmt.Errorf("the project file cannot be read, so the stack's settings cannot be checked: %w", err)
	}
	var proj struct {
		StackConfigDir string `yaml:"stackConfigDir"`
	}
	if err := yaml.Unmarshal(raw, &proj); err != nil {
		return nil, fmt.Errorf("%s: %w", project, err)
	}
	file, err := stackFilePath(filepath.Join(root, proj.StackConfigDir), c.Stack())
	if err != nil {
		return nil, fmt.Errorf("the stack's settings cannot be checked without its stack file: %w", err)
	}
	raw, err = os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("the stack file cannot be read, so its settings cannot be checked: %w", err)
	}
	var stack struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &stack); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	keys := make([]string, 0, len(stack.Config))
	for k := range stack.Config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// ProjectFile returns the path of the Pulumi project file in dir:
// Pulumi.yaml or Pulumi.yml, both of which Pulumi accepts.
func ProjectFile(dir string) (string, error) {
	return oneOf(dir, "Pulumi.yaml", "Pulumi.yml")
}

// stackFilePath returns the path of stack's stack file in dir:
// Pulumi.<stack>.yaml or Pulumi.<stack>.yml.
func stackFilePath(dir, stack string) (string, error) {
	return oneOf(dir, "Pulumi."+stack+".yaml", "Pulumi."+stack+".yml")
}

// oneOf returns the path of the one of names that exists in dir; none,
// or both, is an error.
func oneOf(dir string, names ...string) (string, error) {
	var found []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			found = append(found, p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("neither %s nor %s in %s", names[0], names[1], dir)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("both %s and %s in %s: keep one", names[0], names[1], dir)
}
