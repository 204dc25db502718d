package stacks

import (
	"fmt"
	"maps"
	"sync"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/pins"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/values"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Stack output names: a stable interface for operators and CI.
const (
	// OutputCloud is the cloud prepared: aws, azure, gcp or libvirt.
	OutputCloud = "cloud"
	// OutputConfigMap is the peer-pods-cm data, key by key.
	OutputConfigMap = "configMap"
	// OutputSecret is the peer-pods-secret data, a secret.
	OutputSecret = "secret"
	// OutputSSHKeySecret is the ssh-key-secret data, a secret; only for
	// clouds that use one.
	OutputSSHKeySecret = "sshKeySecret"
	// OutputRules lists the network rules created: name, id, target, ports.
	OutputRules = "rules"
	// OutputHandoff says where the values went: mode, namespace, objects.
	OutputHandoff = "handoff"
	// OutputManifests is every handoff object as one multi-document YAML,
	// a secret; only with handoff manifests.
	OutputManifests = "manifests"
	// OutputDiscovered are the values discovery decided (setting ->
	// value), in the cloud and in the cluster; the next run reads them
	// back and plans with them.
	OutputDiscovered = "discovered"
	// OutputCluster says what was read from the cluster: its platform,
	// infrastructure name and each setting taken from it, with the value
	// and the object and field it was read from.
	OutputCluster = "cluster"
)

// Deployment is what the program built: the cloud's values and rules, the
// handoff (nil when off) and the stack outputs.
type Deployment struct {
	Config Config
	values.Result

	// Objects are the handoff's Kubernetes objects (written, rendered, or
	// only described, by handoff mode).
	Objects []handoff.Object
	Handoff *handoff.ClusterHandoff
	Outputs pulumi.Map
}

// Run is the Pulumi program of the project in the engine's root directory
// (or the working directory): Deploy, then export the outputs.
func Run(ctx *pulumi.Context) error { return Program("")(ctx) }

// Program is the Pulumi program of the project in dir ("": the engine's
// root directory, else the working directory), whose stack file Load
// checks. The Automation API runs an inline program in the calling
// process, which names the project's directory itself.
func Program(dir string) pulumi.RunFunc { return ProgramWith(dir, Options{}) }

// ProgramWith is Program with opts.
func ProgramWith(dir string, opts Options) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		d, err := deploy(ctx, dir, opts)
		if err != nil {
			return err
		}
		for k, v := range d.Outputs {
			ctx.Export(k, v)
		}
		return nil
	}
}

// Deploy loads and validates the configuration, then registers the
// providers, the cloud component and the handoff. When the configuration is
// invalid it returns the error and registers nothing.
func Deploy(ctx *pulumi.Context) (*Deployment, error) { return deploy(ctx, "", Options{}) }

// DeployWith is Deploy with opts.
func DeployWith(ctx *pulumi.Context, opts Options) (*Deployment, error) {
	return deploy(ctx, "", opts)
}

func deploy(ctx *pulumi.Context, dir string, opts Options) (*Deployment, error) {
	// The stack reference is one resource: read once, however often asked.
	rec := sync.OnceValues(func() (pins.Recorded, error) { return recorded(ctx) })
	src := contextSource{ctx, dir}
	cfg, err := load(src, loader{opts: opts, discover: true})
	if err != nil {
		return nil, err
	}
	// Valid: the values found in the cluster are compared with those
	// recorded at the last up, and the recorded ones used where they
	// differ (the configuration is read again with them).
	if d := cfg.Discovery; d != nil && len(d.Found) > 0 {
		recorded, err := rec()
		if err != nil {
			return nil, err
		}
		if d.Differs(recorded) {
			if cfg, err = load(src, loader{opts: opts, discover: true, recorded: recorded, read: d}); err != nil {
				return nil, err
			}
		}
	}
	d := &Deployment{Config: cfg}
	if cfg.Discovery != nil {
		for _, m := range cfg.Discovery.Messages() {
			if err := ctx.Log.Info(m, nil); err != nil {
				return nil, err
			}
		}
		for _, c := range cfg.Discovery.Changes {
			if err := ctx.Log.Warn(c.Message(), nil); err != nil {
				return nil, err
			}
		}
	}
	d.Result, err = cfg.Stack.Deploy(ctx, DeployArgs{
		Secret:   func(key string) pulumi.StringInput { return cfg.Secrets[key].Input() },
		Recorded: rec,
	})
	if err != nil {
		// The components name settings under the cloud's key (aws.infraId,
		// found bad in discovery too): the stack's names are peerpods:...
		var p problems.List
		p.AddWithin(Namespace+":", err)
		return nil, p.Err()
	}
	for _, c := range d.DiscoveryChanges {
		if err := ctx.Log.Warn(c.Message(), nil); err != nil {
			return nil, err
		}
	}

	// The values' keys are known here: checked before the handoff
	// registers anything (and when nothing goes to a cluster, without the
	// user's credentials).
	if cfg.Handoff == handoff.ModeOff {
		err = d.Values.Check(false)
	} else {
		err = d.Values.CheckComplete()
	}
	if err != nil {
		return nil, err
	}
	args := handoff.NewArgs(d.Values, cfg.Operator)
	d.Objects = handoff.Objects(args)
	if cfg.Handoff == handoff.ModeCluster {
		k8s, err := kubernetes.NewProvider(ctx, "cluster", &kubernetes.ProviderArgs{
			Kubeconfig:             cfg.Kubeconfig.Input(),
			Context:                providers.OptionalString(cfg.KubeContext),
			EnableConfigMapMutable: pulumi.Bool(true),
			EnableSecretMutable:    pulumi.Bool(true),
		})
		if err != nil {
			return nil, err
		}
		// The node taints are added through the API by the handoff's
		// NodeTaints, with the provider's kubeconfig.
		args.Kubeconfig, args.KubeContext = cfg.Kubeconfig.Input(), cfg.KubeContext
		// The handoff waits for the resources the values need first,
		// such as the network rules: args carry them (NewArgs).
		d.Handoff, err = handoff.NewClusterHandoff(ctx, "handoff", args, pulumi.Provider(k8s))
		if err != nil {
			return nil, err
		}
	}
	d.Outputs = outputs(d)
	return d, nil
}

// recorded reads the values discovery decided at the last up, from this
// stack's own "discovered" output (a reference to the stack itself; empty
// on the first run).
func recorded(ctx *pulumi.Context) (pins.Recorded, error) {
	self := ctx.Organization() + "/" + ctx.Project() + "/" + ctx.Stack()
	ref, err := pulumi.NewStackReference(ctx, "recorded-discovery", &pulumi.StackReferenceArgs{Name: pulumi.String(self)})
	if err != nil {
		return nil, err
	}
	out, err := ref.GetOutputDetails(OutputDiscovered)
	if err != nil {
		return nil, fmt.Errorf("reading the values discovered at the last up (output %q of %s): %w", OutputDiscovered, self, err)
	}
	rec := pins.Recorded{}
	if m, ok := out.Value.(map[string]any); ok {
		for k, v := range m {
			if s, ok := v.(string); ok {
				rec[k] = s
			}
		}
	}
	return rec, nil
}

func outputs(d *Deployment) pulumi.Map {
	var objects pulumi.StringArray
	for _, o := range d.Objects {
		objects = append(objects, pulumi.String(o.Kind+"/"+o.Name))
	}
	out := pulumi.Map{
		OutputCloud:     pulumi.String(string(d.Values.Cloud)),
		OutputConfigMap: d.Values.ConfigMap,
		OutputSecret:    d.Values.SecretOutput(),
		OutputRules:     values.RulesOutput(d.Rules),
	}
	if d.Values.SSHKey != nil {
		out[OutputSSHKeySecret] = d.Values.SSHKeyOutput()
	}
	if d.Config.Handoff == handoff.ModeManifests {
		out[OutputManifests] = handoff.RenderManifests(d.Objects)
	}
	for k, v := range d.CloudOutputs {
		out[k] = v
	}
	discovered := maps.Clone(d.Discovered)
	if c := d.Config.Discovery; c != nil {
		if discovered == nil {
			discovered = map[string]string{}
		}
		maps.Copy(discovered, c.Recorded())
		out[OutputCluster] = pulumi.ToMap(c.Report())
	}
	if len(discovered) > 0 {
		out[OutputDiscovered] = pulumi.ToStringMap(discovered)
	}
	out[OutputHandoff] = pulumi.Map{
		"mode":      pulumi.String(string(d.Config.Handoff)),
		"namespace": pulumi.String(contract.Namespace),
		"objects":   objects,
	}
	return out
}
