package cluster_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// caaDaemonSet is osc-caa-ds with an update strategy and a hash annotation.
func caaDaemonSet(strategy appsv1.DaemonSetUpdateStrategyType, hash string) *appsv1.DaemonSet {
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.CAADaemonSet}}
	ds.Spec.UpdateStrategy.Type = strategy
	if hash != "" {
		ds.Spec.Template.Annotations = map[string]string{handoff.HashAnnotation: hash, "other": "x"}
	}
	return ds
}

// TestReadCAA: no DaemonSet is a state that does not exist (and no pod is
// listed); one that exists gives its strategy, its hash annotation and
// the running pods of runtime class kata-remote of every namespace,
// sorted, not the finished ones nor those of another class.
func TestReadCAA(t *testing.T) {
	done := pod("b", "done", contract.RuntimeClass)
	done.Status.Phase = corev1.PodSucceeded
	pods := []runtime.Object{pod("b", "web", contract.RuntimeClass), pod("a", "db", contract.RuntimeClass), pod("a", "plain", ""), pod("a", "runc", "runc"), done}
	for name, tc := range map[string]struct {
		core []runtime.Object
		want handoff.CAAState
	}{
		"absent": {pods, handoff.CAAState{}},
		"rolling": {append([]runtime.Object{caaDaemonSet(appsv1.RollingUpdateDaemonSetStrategyType, "h1")}, pods...),
			handoff.CAAState{Exists: true, Hash: "h1", PodVMs: []string{"a/db", "b/web"}}},
		"on delete, no pods": {[]runtime.Object{caaDaemonSet(appsv1.OnDeleteDaemonSetStrategyType, "")},
			handoff.CAAState{Exists: true, OnDelete: true}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := cluster.ReadCAA(t.Context(), cluster.Clients{Kube: kubefake.NewClientset(tc.core...)})
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReadCAA = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}

	// A DaemonSet or pods that cannot be read are an error, never "absent".
	for _, res := range []string{"daemonsets", "pods"} {
		kube := kubefake.NewClientset(caaDaemonSet(appsv1.RollingUpdateDaemonSetStrategyType, ""))
		kube.PrependReactor("*", res, func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, errors.New("forbidden") })
		if _, err := cluster.ReadCAA(t.Context(), cluster.Clients{Kube: kube}); err == nil {
			t.Errorf("ReadCAA with %s unreadable: no error", res)
		}
	}
}
