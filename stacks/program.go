package stacks

import (
	"fmt"
	"maps"
	"slices"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/sdk/go/peerpods"
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
	// OutputRules lists the network rules created (name, id, target,
	// ports, adopted; sources and destinations where the cloud declares
	// them), then the attachments (attachedTo: a NAT gateway on a subnet).
	OutputRules = "rules"
	// OutputHandoff says where the values went: mode, namespace, objects.
	OutputHandoff = "handoff"
	// OutputManifests is every handoff object as one multi-document YAML,
	// a secret; only with handoff manifests.
	OutputManifests = "manifests"
	// OutputDiscovered are the values this run decided without the stack
	// file (setting -> value): found by the cloud lookups (worker network,
	// vmimport role) or taken from the cluster because the file lacks them.
	// Informational only: no run reads it back (the stack file is the
	// record).
	OutputDiscovered = "discovered"
	// OutputCluster says what was read from the cluster: its platform,
	// infrastructure name and each setting taken from it, with the value
	// and the object and field it was read from.
	OutputCluster = "cluster"
	// OutputOperatorLine is the operator release line the objects are
	// written for, such as 1.12.
	OutputOperatorLine = "operatorLine"
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
	// The configuration is loaded and validated once: the cluster is read
	// (once) to compare its facts with the stack file, which wins.
	cfg, err := load(contextSource{ctx, dir}, loader{opts: opts, discover: true})
	if err != nil {
		return nil, err
	}
	d := &Deployment{Config: cfg}
	say := ctx.Log.Info
	if cfg.LineWarns {
		say = ctx.Log.Warn
	}
	if err := say(cfg.LineNote, nil); err != nil {
		return nil, err
	}
	if cfg.RootCredential {
		if err := ctx.Log.Warn("peer-pods-secret holds the cluster's Cloud Credential Operator root credential (peerpods:credentialsFromCluster): it is mounted on every worker and kept in the stack's state; give cloud-api-adaptor a credential of its own", nil); err != nil {
			return nil, err
		}
	}
	if cfg.Discovery != nil {
		for _, m := range cfg.Discovery.Messages(ctx.Stack()) {
			if err := ctx.Log.Info(m, nil); err != nil {
				return nil, err
			}
		}
		for _, c := range cfg.Discovery.Drift {
			if err := ctx.Log.Warn(c.Message(ctx.Stack()), nil); err != nil {
				return nil, err
			}
		}
	}
	d.Result, err = cfg.Stack.Deploy(ctx, DeployArgs{
		Secret: func(key string) pulumi.StringInput { return cfg.Secrets[key].Input() },
	})
	if err != nil {
		// The components name settings under the cloud's key (aws.infraId,
		// found bad in discovery too): the stack's names are peerpods:...
		var p problems.List
		p.AddWithin(Namespace+":", err)
		return nil, p.Err()
	}
	// What the cloud lookups found (aws.infraId's worker network, the
	// Azure network names) is not in the stack file: said, so that it can
	// be written there and stay fixed when the workers change.
	for _, k := range slices.Sorted(maps.Keys(d.Discovered)) {
		if k == vmimportRecord { // not a setting: the role's ownership
			continue
		}
		if err := ctx.Log.Info(fmt.Sprintf("peerpods:%s = %q, found in the cloud: set it in the stack file to keep it when the workers change", k, d.Discovered[k]), nil); err != nil {
			return nil, err
		}
	}

	// The values' keys are known here: checked before the handoff
	// registers anything (and when nothing goes to a cluster, without the
	// user's credentials).
	d.Values = d.Values.OnLine(cfg.Operator.Line)
	if cfg.Handoff == handoff.ModeOff {
		err = d.Values.Check(false)
	} else {
		err = d.Values.CheckComplete()
	}
	if err != nil {
		return nil, err
	}
	args := handoff.NewArgs(d.Values, cfg.Operator)
	var clients cluster.Clients
	if cfg.Handoff == handoff.ModeCluster {
		if clients, err = clusterClients(cfg, opts); err != nil {
			return nil, err
		}
		// cloud-api-adaptor reads the handoff only when it starts: what
		// is done with its DaemonSet depends on the line and the cluster.
		if args, err = withCAARestart(ctx, cfg.Operator.Line, clients, args); err != nil {
			return nil, err
		}
	}
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
		handoffOpts := []pulumi.ResourceOption{pulumi.Provider(k8s)}
		if args.TaintsNodes() {
			// The node taints are added through the API by the handoff's
			// NodeTaints, served by a peerpods provider with the same
			// kubeconfig (a secret in its state, none in theirs).
			pp, err := peerpods.NewProvider(ctx, "cluster", &peerpods.ProviderArgs{
				Kubeconfig:  cfg.Kubeconfig.Input(),
				KubeContext: providers.OptionalString(cfg.KubeContext),
			})
			if err != nil {
				return nil, err
			}
			handoffOpts = append(handoffOpts, pulumi.Providers(pp))
		}
		// What exists of the handoff decides what is imported (the
		// namespace, the adopted objects); the lookup refuses, when the
		// engine is about to create an object, one that exists already.
		if args, err = withOwnership(ctx, clients, opts, args, d.Objects); err != nil {
			return nil, err
		}
		// The handoff waits for the resources the values need first,
		// such as the network rules: args carry them (NewArgs).
		d.Handoff, err = handoff.NewClusterHandoff(ctx, "handoff", args, handoffOpts...)
		if err != nil {
			// The handoff names its inputs as the stack's settings, under
			// peerpods:.
			var p problems.List
			p.AddWithin(Namespace+":", err)
			return nil, p.Err()
		}
	}
	d.Outputs = outputs(d)
	return d, nil
}

// clusterClients are the clients of the stack's cluster: the one
// discovery read, else it is connected to here.
func clusterClients(cfg Config, opts Options) (cluster.Clients, error) {
	if cfg.Discovery != nil {
		return cfg.Discovery.clients, nil
	}
	clients, err := opts.connect([]byte(cfg.Kubeconfig.Reveal()), cfg.KubeContext)
	if err != nil {
		return clients, problems.Invalid("peerpods:kubeconfig", err.Error(), "store a working kubeconfig: pulumi config set --secret kubeconfig < ~/.kube/config")
	}
	return clients, nil
}

// withCAARestart returns args with what the handoff does with
// cloud-api-adaptor's DaemonSet on the operator's line, as the cluster
// holds it now (handoff.PlanCAARestart). On a line whose operator rolls
// it, the cluster is not read.
func withCAARestart(ctx *pulumi.Context, line contract.Line, clients cluster.Clients, args handoff.Args) (handoff.Args, error) {
	if line.OperatorRollsCAA() {
		return args, nil
	}
	state, err := cluster.ReadCAA(ctx.Context(), clients)
	if err != nil {
		return args, problems.Invalid("peerpods:kubeconfig", "names a cluster whose cloud-api-adaptor cannot be read: "+err.Error(),
			"check that the user may read DaemonSets in "+contract.Namespace+" and list pods")
	}
	return args.WithCAARestart(handoff.PlanCAARestart(line, state)), nil
}

// withOwnership returns args with the handoff's objects found in the
// cluster of clients (Existing) and the lookup that guards their
// creation.
func withOwnership(ctx *pulumi.Context, clients cluster.Clients, opts Options, args handoff.Args, objs []handoff.Object) (handoff.Args, error) {
	lookup := cluster.Lookup{Clients: clients}
	refs := make([]handoff.Ref, 0, len(objs))
	for _, o := range objs {
		if !o.Patch {
			refs = append(refs, handoff.RefOf(o))
		}
	}
	existing, err := lookup.Existing(ctx.Context(), refs)
	if err != nil {
		return args, problems.Invalid("peerpods:kubeconfig", "names a cluster whose objects cannot be read: "+err.Error(),
			"check that the cluster is reachable from here and that the user may read the handoff's objects")
	}
	args.Existing = existing
	if opts.NoCreateGuard {
		return args, nil
	}
	return args.WithLookup(lookup), nil
}

// vmimportRecord is aws.RecordedVMImport, which package stacks names
// without linking the AWS component.
const vmimportRecord = "aws.vmimportRole"

func outputs(d *Deployment) pulumi.Map {
	var objects pulumi.StringArray
	for _, o := range d.Objects {
		objects = append(objects, pulumi.String(o.Kind+"/"+o.Name))
	}
	out := pulumi.Map{
		OutputCloud:     pulumi.String(string(d.Values.Cloud)),
		OutputConfigMap: d.Values.ConfigMap,
		OutputSecret:    d.Values.SecretOutput(),
		OutputRules:     values.RulesOutput(append(slices.Clone(d.Rules), d.Attachments...)),
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
		maps.Copy(discovered, c.Decided())
		out[OutputCluster] = pulumi.ToMap(c.Report())
	}
	if len(discovered) > 0 {
		out[OutputDiscovered] = pulumi.ToStringMap(discovered)
	}
	out[OutputOperatorLine] = pulumi.String(d.Config.Operator.Line.String())
	out[OutputHandoff] = pulumi.Map{
		"mode":      pulumi.String(string(d.Config.Handoff)),
		"namespace": pulumi.String(contract.Namespace),
		"objects":   objects,
	}
	return out
}
