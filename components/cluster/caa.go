package cluster

import (
	"context"
	"fmt"
	"slices"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReadCAA reads cloud-api-adaptor's DaemonSet (contract.CAADaemonSet in
// contract.Namespace) and, when it exists, the pods of every namespace
// that run on pod VMs (runtime class contract.RuntimeClass, not yet
// terminated), for handoff.PlanCAARestart.
func ReadCAA(ctx context.Context, c Clients) (handoff.CAAState, error) {
	var s handoff.CAAState
	ds, err := c.Kube.AppsV1().DaemonSets(contract.Namespace).Get(ctx, contract.CAADaemonSet, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return s, nil
	case err != nil:
		return s, fmt.Errorf("reading DaemonSet %s/%s: %w", contract.Namespace, contract.CAADaemonSet, err)
	}
	s.Exists = true
	s.OnDelete = ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType
	s.Hash = ds.Spec.Template.Annotations[handoff.HashAnnotation]
	pods, err := c.Kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return s, fmt.Errorf("listing pods: %w", err)
	}
	for _, p := range pods.Items {
		done := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		if !done && p.Spec.RuntimeClassName != nil && *p.Spec.RuntimeClassName == contract.RuntimeClass {
			s.PodVMs = append(s.PodVMs, p.Namespace+"/"+p.Name)
		}
	}
	slices.Sort(s.PodVMs)
	return s, nil
}
