// Package handoffcheck checks, read-only, what the cluster holds against
// what the stack handed off: each handoff object present with the stack's
// keys and values (a difference is drift: changed by hand), and the
// environment cloud-api-adaptor's DaemonSet actually gets (its envFrom
// objects in order, then the explicit env the operator sets, which wins)
// holding every key the operator line's cloud-api-adaptor requires, each
// with a valid value. Secret values never appear in a fact.
package handoffcheck

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/readiness"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Object is one handoff object as the stack wrote it.
type Object struct {
	// Name is peer-pods-cm, peer-pods-secret or ssh-key-secret, in
	// contract.Namespace; Secret says whether it is a Secret.
	Name   string
	Secret bool
	// Data are the keys and values the stack wrote.
	Data map[string]string
}

// Handoff is what the stack handed off, for the operator line it wrote for.
type Handoff struct {
	Cloud   contract.Cloud
	Line    contract.Line
	Objects []Object
}

// fixUp is how to put the stack's values back.
const fixUp = "peerpods up --stack S writes the stack's values again (or change the stack if the hand edit was meant)"

// Objects compares each handoff object with the cluster's: missing,
// missing keys, changed values and keys the stack did not write (but for
// those the operator writes itself) are drift, one fact per object.
func Objects(ctx context.Context, c cluster.Clients, h Handoff) ([]readiness.Fact, error) {
	set, _ := contract.ForLine(h.Line, h.Cloud)
	var facts []readiness.Fact
	for _, o := range h.Objects {
		kind := "ConfigMap"
		if o.Secret {
			kind = "Secret"
		}
		f := readiness.Fact{Name: readiness.SubjectObject, Object: kind + " " + contract.Namespace + "/" + o.Name, Field: "data"}
		got, found, err := Data(ctx, c, o.Name, o.Secret)
		if err != nil {
			return nil, err
		}
		if !found {
			f.State, f.Detail, f.Fix = readiness.Failed, "missing", fixUp
			facts = append(facts, f)
			continue
		}
		var drift []string
		for _, k := range slices.Sorted(maps.Keys(o.Data)) {
			v, ok := got[k]
			switch {
			case !ok:
				drift = append(drift, k+" removed")
			case v != o.Data[k] && o.Secret:
				drift = append(drift, k+" changed")
			case v != o.Data[k]:
				drift = append(drift, fmt.Sprintf("%s is %s, the stack wrote %s", k, short(v), short(o.Data[k])))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(got)) {
			if _, ok := o.Data[k]; ok {
				continue
			}
			if key, known := set.Key(k); known && key.Owner == contract.OperatorOwned {
				continue // the operator's to write
			}
			drift = append(drift, k+" added")
		}
		if len(drift) == 0 {
			f.State, f.Detail = readiness.OK, fmt.Sprintf("%d key(s) as the stack wrote them", len(o.Data))
		} else {
			f.State, f.Detail, f.Fix = readiness.Failed, "drift (changed by hand?): "+strings.Join(drift, "; "), fixUp
		}
		facts = append(facts, f)
	}
	return facts, nil
}

// short quotes a value for a report, cut to 60 characters (INITDATA is
// kilobytes of base64).
func short(v string) string {
	if len(v) > 60 {
		v = v[:57] + "..."
	}
	return strconv.Quote(v)
}

// Data returns the data of a ConfigMap or Secret of contract.Namespace
// as the cluster holds it; found is false when it does not exist.
func Data(ctx context.Context, c cluster.Clients, name string, secret bool) (map[string]string, bool, error) {
	var data map[string]string
	var err error
	if secret {
		var s *corev1.Secret
		if s, err = c.Kube.CoreV1().Secrets(contract.Namespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
			data = map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
			for k, v := range s.StringData {
				data[k] = v
			}
		}
	} else {
		var cm *corev1.ConfigMap
		if cm, err = c.Kube.CoreV1().ConfigMaps(contract.Namespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
			data = cm.Data
		}
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("reading %s/%s: %w", contract.Namespace, name, err)
	}
	if data == nil {
		data = map[string]string{}
	}
	return data, true, nil
}

// Env is the environment of cloud-api-adaptor's container as the kubelet
// would build it; only keys with a value are in it.
type Env map[string]string

// CAAEnv builds the environment osc-caa-ds's container gets: each envFrom
// source in order (a later one wins, with its prefix), then the explicit
// env (which wins over them; a fieldRef or resourceFieldRef is the pod's
// own and left out). found is false while the operator has not made the
// DaemonSet; a missing source that is not optional is an error fact.
func CAAEnv(ctx context.Context, c cluster.Clients) (env Env, problems []string, found bool, err error) {
	ds, err := c.Kube.AppsV1().DaemonSets(contract.Namespace).Get(ctx, contract.CAADaemonSet, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil, false, nil
	case err != nil:
		return nil, nil, false, fmt.Errorf("reading DaemonSet %s/%s: %w", contract.Namespace, contract.CAADaemonSet, err)
	}
	containers := ds.Spec.Template.Spec.Containers
	if len(containers) == 0 {
		return nil, []string{"the DaemonSet has no container"}, true, nil
	}
	ctr := containers[0]
	for _, x := range containers {
		if x.Name == "caa-pod" {
			ctr = x
		}
	}
	env = Env{}
	for _, src := range ctr.EnvFrom {
		name, secret, optional := "", false, false
		switch {
		case src.ConfigMapRef != nil:
			name, optional = src.ConfigMapRef.Name, src.ConfigMapRef.Optional != nil && *src.ConfigMapRef.Optional
		case src.SecretRef != nil:
			name, secret, optional = src.SecretRef.Name, true, src.SecretRef.Optional != nil && *src.SecretRef.Optional
		default:
			continue
		}
		data, ok, err := Data(ctx, c, name, secret)
		if err != nil {
			return nil, nil, true, err
		}
		if !ok {
			if !optional {
				problems = append(problems, fmt.Sprintf("envFrom %s does not exist (the container cannot start: CreateContainerConfigError)", name))
			}
			continue
		}
		for k, v := range data {
			env[src.Prefix+k] = v
		}
	}
	for _, e := range ctr.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.ConfigMapKeyRef != nil || e.ValueFrom.SecretKeyRef != nil:
			ref, secret := e.ValueFrom.ConfigMapKeyRef, false
			var name, key string
			if ref != nil {
				name, key = ref.Name, ref.Key
			} else {
				name, key, secret = e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key, true
			}
			data, ok, err := Data(ctx, c, name, secret)
			if err != nil {
				return nil, nil, true, err
			}
			if v, has := data[key]; ok && has {
				env[e.Name] = v
			} else {
				delete(env, e.Name)
			}
		default:
			delete(env, e.Name) // the pod's own field: not known here
		}
	}
	return env, problems, true, nil
}

// EnvFact checks the environment of osc-caa-ds against the line's
// contract for the cloud: every required key set, every known key's value
// valid (the errors never show a value).
func EnvFact(ctx context.Context, c cluster.Clients, cloud contract.Cloud, line contract.Line) (readiness.Fact, error) {
	f := readiness.Fact{Name: readiness.SubjectEnv, Object: "DaemonSet " + contract.Namespace + "/" + contract.CAADaemonSet, Field: "spec.template.spec.containers[caa-pod] envFrom and env"}
	env, problems, found, err := CAAEnv(ctx, c)
	if err != nil {
		return f, err
	}
	if !found {
		f.State, f.Detail = readiness.Pending, "not created yet: the operator creates it once the KataConfig has peer pods enabled"
		return f, nil
	}
	set, ok := contract.ForLine(line, cloud)
	if !ok {
		return f, fmt.Errorf("no contract for cloud %q on operator line %s", cloud, line)
	}
	for _, k := range set.Keys {
		v, has := env[k.Name]
		if k.Need != contract.Optional && (!has || v == "") {
			problems = append(problems, k.Name+" is not set: "+k.Need.String())
			continue
		}
		if has && v != "" {
			if err := k.Format.Check(v); err != nil {
				if k.Sensitive {
					problems = append(problems, k.Name+" is not valid: set it to "+k.Format.Describe)
				} else {
					problems = append(problems, k.Name+" "+err.Error())
				}
			}
		}
	}
	if len(problems) > 0 {
		f.State, f.Detail = readiness.Failed, strings.Join(problems, "; ")
		f.Fix = "the keys come from peer-pods-cm and peer-pods-secret (envFrom), and the operator's env overrides them: fix the stack and run peerpods up --stack S"
		return f, nil
	}
	f.State, f.Detail = readiness.OK, fmt.Sprintf("%d variable(s); every key operator line %s requires for %s is set and valid", len(env), line, cloud)
	return f, nil
}
