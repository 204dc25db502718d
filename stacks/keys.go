package stacks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
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
		"tunnelPort", "tunnelProtocols", "proxyTimeout", "limitPerNode", "rootVolumeSize", "tags",
		"initdataFile", "initdata", "extra", "kataConfig", "placement",
		"identity", "discover", "credentialsFromCluster", "operatorSubscription",
		// Refused with their own advice (load).
		"disableCvm", "peerPodConfig",
	}
	// credentialSettings hold credentials that are not peer-pods-secret
	// keys: always secret. The clouds add their own (cloud.Credentials).
	credentialSettings = []string{"kubeconfig"}
)

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
			fix := "remove it, or use one of the settings listed in the README"
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
		return nil, err
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
	file, err := stackFile(filepath.Join(root, proj.StackConfigDir), c.Stack())
	if err != nil {
		return nil, err
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

// stackFile returns the path of stack's stack file in dir:
// Pulumi.<stack>.yaml or Pulumi.<stack>.yml.
func stackFile(dir, stack string) (string, error) {
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

// settingType is the type the object setting name decodes into: a
// registered cloud's Stack, or a common setting's type.
func settingType(name string) (reflect.Type, bool) {
	if c, ok := CloudNamed(contract.Cloud(name)); ok {
		return reflect.TypeOf(c.NewStack()).Elem(), true
	}
	t, ok := settingTypes[name]
	return t, ok
}

// settingTypes are the types the common object settings decode into.
var settingTypes = map[string]reflect.Type{
	"placement":       reflect.TypeFor[handoff.Placement](),
	"kataConfig":      reflect.TypeFor[handoff.KataConfigOptions](),
	"tags":            reflect.TypeFor[map[string]string](),
	"extra":           reflect.TypeFor[map[string]string](),
	"tunnelProtocols": reflect.TypeFor[[]string](),
}

// IsSetting reports whether name, such as peerpods:azure.nsgPriorities.
// kataAgent or peerpods:placement.kataNodes[0], names a setting a stack
// file can hold: a known top-level key and, below it, fields of its type
// by their exact names, any key of a map, any index of a list.
func IsSetting(name string) bool {
	rest, ok := strings.CutPrefix(name, Namespace+":")
	if !ok {
		return false
	}
	top, path, _ := strings.Cut(rest, ".")
	if i := strings.IndexByte(top, '['); i >= 0 {
		top, path = top[:i], top[i:]+path
	}
	if _, ok := knownSettings()[top]; !ok {
		return false
	}
	t, ok := settingType(top)
	if !ok {
		return path == ""
	}
	for path != "" {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case strings.HasPrefix(path, "["):
			end := strings.IndexByte(path, ']')
			if end < 0 || (t.Kind() != reflect.Slice && t.Kind() != reflect.Array) {
				return false
			}
			t, path = t.Elem(), strings.TrimPrefix(path[end+1:], ".")
		default:
			seg := path
			if i := strings.IndexAny(path, ".["); i >= 0 {
				seg, path = path[:i], strings.TrimPrefix(path[i:], ".")
			} else {
				path = ""
			}
			switch t.Kind() {
			case reflect.Map:
				t = t.Elem()
			case reflect.Struct:
				ft, ok := fieldType(t, seg)
				if !ok {
					return false
				}
				t = ft
			default:
				return false
			}
		}
	}
	return true
}
