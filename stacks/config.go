package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/peerpods/provisioner/aws"
	"github.com/peerpods/provisioner/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Namespace is the stack config namespace: keys are "peerpods:<key>".
const Namespace = "peerpods"

// Config is the validated stack configuration.
type Config struct {
	// Cloud is the cloud to prepare (peerpods:cloud).
	Cloud components.Cloud
	// Handoff says whether the values are written into the cluster
	// (peerpods:handoff, default cluster).
	Handoff components.HandoffMode
	// Kubeconfig is the cluster's kubeconfig (peerpods:kubeconfig, a
	// secret), needed when Handoff is cluster.
	Kubeconfig string
	// KubeContext is the kubeconfig context (peerpods:kubeContext).
	KubeContext string
	// Settings are the common peer-pods settings.
	Settings components.Settings
	// AWS is the AWS configuration (peerpods:aws) when Cloud is aws.
	AWS AWSConfig
	// Secrets are the peer-pods-secret values found in the stack secrets,
	// by operator key.
	Secrets map[string]string
}

// AWSConfig is peerpods:aws: the provider settings and the component's
// arguments.
type AWSConfig struct {
	// Region is the AWS provider's region; empty uses AWS_REGION or the
	// profile's region.
	Region string `json:"region,omitempty"`
	// Profile is the shared-credentials profile of the AWS provider.
	Profile string `json:"profile,omitempty"`
	aws.Args
}

// secretKeys maps, per cloud, the stack secret config keys to the
// peer-pods-secret keys they fill.
var secretKeys = map[components.Cloud][]struct{ config, key string }{
	components.AWS: {
		{"awsAccessKeyId", components.KeyAWSAccessKeyID},
		{"awsSecretAccessKey", components.KeyAWSSecretAccessKey},
	},
}

var reRegion = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)

// source is where configuration is read from: a Pulumi context in the
// program, a map in tests of Load's parsing.
type source interface {
	GetConfig(key string) (string, bool)
	IsConfigSecret(key string) bool
}

var _ source = (*pulumi.Context)(nil)

// Load reads and validates the stack configuration of ctx. It registers
// nothing; every problem is reported in one error naming the config keys.
func Load(ctx *pulumi.Context) (Config, error) { return load(ctx) }

func load(src source) (Config, error) {
	r := reader{src: src}
	var c Config

	cloud := r.str("cloud", "")
	switch {
	case cloud == "":
		r.fail(components.Invalid("peerpods:cloud", "is not set", fmt.Sprintf("set it to one of %s", cloudList())))
	case !slices.Contains(components.Clouds, components.Cloud(cloud)):
		r.fail(components.Invalid("peerpods:cloud", fmt.Sprintf("is %q, which is not a known cloud", cloud), fmt.Sprintf("set it to one of %s", cloudList())))
	case components.Cloud(cloud) != components.AWS:
		r.fail(components.Invalid("peerpods:cloud", fmt.Sprintf("is %q, which this version cannot prepare yet", cloud), `use "aws"`))
	}
	c.Cloud = components.Cloud(cloud)

	mode, err := components.ParseHandoffMode("peerpods:handoff", r.str("handoff", string(components.HandoffCluster)))
	r.fail(err)
	c.Handoff = mode
	c.KubeContext = r.str("kubeContext", "")
	if c.Handoff == components.HandoffCluster {
		c.Kubeconfig = r.secret("kubeconfig", "the cluster's kubeconfig: pulumi config set --secret kubeconfig < ~/.kube/config")
		if c.Kubeconfig != "" && !strings.Contains(c.Kubeconfig, "clusters") {
			r.fail(components.Invalid("peerpods:kubeconfig", "is not a kubeconfig (it has no clusters)",
				"store the file's contents, not its path: pulumi config set --secret kubeconfig < ~/.kube/config"))
		}
	}

	c.Settings = components.DefaultSettings(c.Cloud)
	s := &c.Settings
	s.TunnelPort = r.integer("tunnelPort", s.TunnelPort)
	r.object("tunnelProtocols", &s.TunnelProtocols)
	s.ProxyTimeout = r.str("proxyTimeout", s.ProxyTimeout)
	s.LimitPerNode = r.integer("limitPerNode", s.LimitPerNode)
	s.RootVolumeSize = r.integer("rootVolumeSize", s.RootVolumeSize)
	r.object("tags", &s.Tags)
	s.DisableCVM = r.boolean("disableCvm", s.DisableCVM)
	s.InitData = r.str("initdata", "")

	c.Secrets = map[string]string{}
	for _, sk := range secretKeys[c.Cloud] {
		if v := r.secret(sk.config, ""); v != "" {
			c.Secrets[sk.key] = v
		}
	}

	if c.Cloud == components.AWS {
		r.object("aws", &c.AWS)
		if c.AWS.Region != "" && !reRegion.MatchString(c.AWS.Region) {
			r.fail(components.Invalid("peerpods:aws.region", fmt.Sprintf("is %q, which is not an AWS region", c.AWS.Region), `use a region name such as "us-east-2"`))
		}
		c.AWS.Args.Settings = c.Settings
		c.AWS.Args = c.AWS.Args.WithDefaults()
		r.p.AddWithin("peerpods:", c.AWS.Args.Validate())
	} else {
		// Common settings are validated by the cloud's Args otherwise.
		r.p.AddWithin("peerpods:", c.Settings.Validate())
	}

	if c.Handoff == components.HandoffCluster {
		for _, sk := range secretKeys[c.Cloud] {
			if _, ok := c.Secrets[sk.key]; !ok {
				r.fail(components.Invalid("peerpods:"+sk.config, fmt.Sprintf("is not set, and the handoff needs it for %s", sk.key),
					fmt.Sprintf("pulumi config set --secret %s <value>, or set peerpods:handoff to off", sk.config)))
			}
		}
	}
	return c, r.p.Err()
}

func cloudList() string {
	names := make([]string, len(components.Clouds))
	for i, c := range components.Clouds {
		names[i] = strconv.Quote(string(c))
	}
	return strings.Join(names, ", ")
}

// reader reads typed config values, recording every problem.
type reader struct {
	src source
	p   components.Problems
}

func (r *reader) fail(err error) { r.p.Add(err) }

func (r *reader) get(key string) (string, bool) {
	return r.src.GetConfig(Namespace + ":" + key)
}

func (r *reader) str(key, def string) string {
	if v, ok := r.get(key); ok {
		return v
	}
	return def
}

func (r *reader) integer(key string, def int) int {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(components.Invalid("peerpods:"+key, fmt.Sprintf("is %q, which is not a whole number", v), fmt.Sprintf("set a number (default %d)", def)))
		return def
	}
	return n
}

func (r *reader) boolean(key string, def bool) bool {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.fail(components.Invalid("peerpods:"+key, fmt.Sprintf("is %q, which is not true or false", v), fmt.Sprintf("set true or false (default %t)", def)))
		return def
	}
	return b
}

// object decodes a structured value strictly: a field name that is not
// exactly one of the struct's (JSON's own matching ignores case) or a
// value of the wrong type is an error, so that no setting is silently
// ignored.
func (r *reader) object(key string, into any) {
	v, ok := r.get(key)
	if !ok {
		return
	}
	fail := func(problem string) {
		r.fail(components.Invalid("peerpods:"+key, "cannot be read: "+problem,
			"check the setting's names and types against the example stack files in stacks/"))
	}
	if names := fieldNames(reflect.TypeOf(into).Elem()); names != nil {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(v), &fields); err != nil {
			fail(jsonProblem(err))
			return
		}
		for _, f := range slices.Sorted(maps.Keys(fields)) {
			if !slices.Contains(names, f) {
				fail(fmt.Sprintf("unknown setting %q (known: %s)", f, strings.Join(names, ", ")))
				return
			}
		}
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		fail(jsonProblem(err))
	}
}

// fieldNames lists the JSON names of a struct's fields, including those of
// embedded structs; nil for a type that is not a struct.
func fieldNames(t reflect.Type) []string {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "":
			names = append(names, fieldNames(f.Type)...)
		case name == "":
			names = append(names, f.Name)
		default:
			names = append(names, name)
		}
	}
	return names
}

// secret reads a secret value: it must be stored encrypted. need, when not
// empty, makes the value required and says how to set it.
func (r *reader) secret(key, need string) string {
	v, ok := r.get(key)
	switch {
	case !ok || v == "":
		if need != "" {
			r.fail(components.Invalid("peerpods:"+key, "is not set", "set "+need))
		}
		return ""
	case !r.src.IsConfigSecret(Namespace + ":" + key):
		r.fail(components.Invalid("peerpods:"+key, "is stored in plain text", fmt.Sprintf("store it encrypted: pulumi config set --secret %s <value>", key)))
		return ""
	}
	return v
}

// jsonProblem words a JSON decoding error without echoing values.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s should be %s, not %s", te.Field, te.Type, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
