package handoff

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// HashAnnotation is the pod-template annotation of cloud-api-adaptor's
// DaemonSet (contract.CAADaemonSet) that carries DataHash: a changed value
// changes the pod template, and the DaemonSet controller replaces the pods,
// as after kubectl rollout restart (which sets
// kubectl.kubernetes.io/restartedAt). Its domain is that of the project's
// GitHub organization (github.com/peerpods).
const HashAnnotation = "peerpods.github.io/handoff-hash"

// SkipAwaitAnnotation makes pulumi-kubernetes return once the patch is
// applied, without waiting for the DaemonSet's rollout (as kubectl rollout
// restart returns): oc rollout status follows it.
const SkipAwaitAnnotation = "pulumi.com/skipAwait"

// RestartCommand restarts cloud-api-adaptor by hand.
const RestartCommand = "oc rollout restart ds/" + contract.CAADaemonSet + " -n " + contract.Namespace

// CAAState is what the cluster holds of cloud-api-adaptor's DaemonSet,
// read when the program runs (components/cluster ReadCAA).
type CAAState struct {
	// Exists is false before the operator made the DaemonSet.
	Exists bool
	// OnDelete is true when its spec.updateStrategy.type is OnDelete: a
	// template change replaces no pod.
	OnDelete bool
	// Hash is the HashAnnotation on its pod template; empty when none.
	Hash string
	// PodVMs are the pods (namespace/name) with runtime class
	// contract.RuntimeClass: a cloud-api-adaptor restart takes their pod
	// VMs from them.
	PodVMs []string
}

// CAARestart is what the handoff does with cloud-api-adaptor's DaemonSet
// (PlanCAARestart).
type CAARestart struct {
	// Patch declares the DaemonSet patch that owns HashAnnotation.
	Patch bool
	// Hold keeps Hash (the live value) instead of DataHash: no restart.
	Hold bool
	// Hash is the value kept when Hold.
	Hash string
	// Why says why the DaemonSet is not restarted (Hold, or held with no
	// patch): the warning's reason.
	Why string
}

// PlanCAARestart decides, for the operator line and the DaemonSet's state,
// whether the handoff restarts cloud-api-adaptor when the data it reads
// changes. Never on a line whose operator rolls it itself
// (contract.Line.OperatorRollsCAA), nor before the operator made the
// DaemonSet (an apply would create an invalid one). With an OnDelete
// strategy, or with pods running on pod VMs, the live hash is kept (no
// patch when there is none yet) and Why says why.
func PlanCAARestart(line contract.Line, s CAAState) CAARestart {
	if line.OperatorRollsCAA() || !s.Exists {
		return CAARestart{}
	}
	var why string
	switch {
	case s.OnDelete:
		why = "its update strategy is OnDelete"
	case len(s.PodVMs) > 0:
		why = fmt.Sprintf("pods run on pod VMs (runtime class %s) and would lose them: %s", contract.RuntimeClass, strings.Join(s.PodVMs, ", "))
	default:
		return CAARestart{Patch: true}
	}
	return CAARestart{Patch: s.Hash != "", Hold: true, Hash: s.Hash, Why: why}
}

// Warning is the warning of a held restart: what is not done, why, and the
// command to restart when the user chooses.
func (r CAARestart) Warning() string {
	change := "this run changes them"
	if r.Hash == "" {
		change = "it carries no hash of this stack's data, so it may not run with this run's"
	}
	return fmt.Sprintf("cloud-api-adaptor (DaemonSet %s/%s) reads %s, %s and %s only when it starts, and %s, but it is not restarted: %s. Restart it when you choose: %s",
		contract.Namespace, contract.CAADaemonSet, contract.ConfigMapName, contract.SecretName, contract.SSHKeySecretName, change, r.Why, RestartCommand)
}

// WithCAARestart returns a copy of a whose handoff does r with
// cloud-api-adaptor's DaemonSet (a Go program's option: the DaemonSet is
// read at program time).
func (a Args) WithCAARestart(r CAARestart) Args {
	a.restart = &r
	return a
}

// caaReads reports whether o is one of the objects cloud-api-adaptor reads.
func caaReads(o Object) bool {
	return o.Namespace == contract.Namespace && (o.Kind == "ConfigMap" && o.Name == contract.ConfigMapName ||
		o.Kind == "Secret" && (o.Name == contract.SecretName || o.Name == contract.SSHKeySecretName))
}

// DataHash is the SHA-256 of the data of the objects of objs that
// cloud-api-adaptor reads (peer-pods-cm, peer-pods-secret, ssh-key-secret),
// each object's name and its keys and values, sorted, length-prefixed: it
// changes when and only when one of them changes. It is not a secret
// output: a digest of every object at once discloses none of its values,
// since testing a guess needs every value, and each credential set the
// stack writes holds machine-made keys (an AWS secret access key, an Azure
// client secret, a GCP service-account key, an SSH private key).
func DataHash(objs []Object) pulumi.StringOutput {
	var names []string
	var data []any
	for _, o := range objs {
		if caaReads(o) {
			names = append(names, o.Kind+"/"+o.Name)
			data = append(data, o.Data)
		}
	}
	hash := pulumi.All(data...).ApplyT(func(resolved []any) string {
		h := sha256.New()
		field := func(s string) {
			_ = binary.Write(h, binary.BigEndian, uint64(len(s)))
			h.Write([]byte(s))
		}
		field("peerpods handoff data v1")
		for i, v := range resolved {
			m, _ := v.(map[string]string)
			field(names[i])
			_ = binary.Write(h, binary.BigEndian, uint64(len(m)))
			for _, k := range slices.Sorted(maps.Keys(m)) {
				field(k)
				field(m[k])
			}
		}
		return hex.EncodeToString(h.Sum(nil))
	}).(pulumi.StringOutput)
	return pulumi.Unsecret(hash).(pulumi.StringOutput)
}

// caaObject is the patch of cloud-api-adaptor's DaemonSet that owns only
// HashAnnotation, set to hash.
func caaObject(hash pulumi.StringInput) Object {
	return Object{APIVersion: "apps/v1", Kind: "DaemonSet", Name: contract.CAADaemonSet, Namespace: contract.Namespace, Patch: true,
		TemplateAnnotations: pulumi.StringMap{HashAnnotation: hash}, AfterAll: true}
}

// caaObjects is the DaemonSet patch of r for the objects objs: none
// without r or its Patch; the live hash when held, else DataHash.
func caaObjects(r *CAARestart, objs []Object) []Object {
	if r == nil || !r.Patch {
		return nil
	}
	if r.Hold {
		return []Object{caaObject(pulumi.String(r.Hash))}
	}
	return []Object{caaObject(DataHash(objs))}
}

// warnLater logs r's warning once the data is known, when a restart is
// held and DataHash differs from the kept hash (or none is kept): the
// output resolves to no resources, for pulumi.DependsOnInputs.
func warnLater(ctx *pulumi.Context, r *CAARestart, objs []Object) pulumi.ResourceArrayOutput {
	return DataHash(objs).ApplyT(func(h string) ([]pulumi.Resource, error) {
		if h == r.Hash {
			return nil, nil
		}
		return nil, ctx.Log.Warn(r.Warning(), nil)
	}).(pulumi.ResourceArrayOutput)
}
