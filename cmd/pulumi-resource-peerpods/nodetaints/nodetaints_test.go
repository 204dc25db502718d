package nodetaints

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// The resource's logic on client-go's fake clientset: what each step
// writes to the node, the others' taints kept, a conflict retried.

var (
	cp    = Taint{Key: "hypershift.openshift.io/control-plane", Value: "true", Effect: "NoSchedule"}
	hcp   = Taint{Key: "hypershift.openshift.io/cluster", Value: "clusters-hcp1", Effect: "NoSchedule"}
	admin = corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoExecute}
)

func kube(t Taint) corev1.Taint {
	return corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)}
}

// fakeNode is a clientset holding node name with taints.
func fakeNode(name string, taints ...corev1.Taint) *fake.Clientset {
	return fake.NewClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Taints: taints}})
}

func taintsOf(t *testing.T, c kubernetes.Interface, name string) []corev1.Taint {
	t.Helper()
	n, err := c.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n.Spec.Taints
}

// updates counts the node updates c received.
func updates(c *fake.Clientset) int {
	n := 0
	for _, a := range c.Actions() {
		if a.GetVerb() == "update" && a.GetResource().Resource == "nodes" {
			n++
		}
	}
	return n
}

func TestPlan(t *testing.T) {
	other := corev1.Taint{Key: cp.Key, Value: "false", Effect: corev1.TaintEffectNoSchedule}
	cases := []struct {
		name          string
		current       []corev1.Taint
		want, remove  []Taint
		next          []corev1.Taint
		added         []Taint
		errorContains []string
	}{
		{"adds to none", nil, []Taint{cp, hcp}, nil, []corev1.Taint{kube(cp), kube(hcp)}, []Taint{cp, hcp}, nil},
		{"keeps the others', adds after them", []corev1.Taint{admin}, []Taint{cp}, nil, []corev1.Taint{admin, kube(cp)}, []Taint{cp}, nil},
		{"present with the same value: not added", []corev1.Taint{kube(cp), admin}, []Taint{cp}, nil, []corev1.Taint{kube(cp), admin}, nil, nil},
		{"same key, another effect: another taint", []corev1.Taint{{Key: cp.Key, Value: "true", Effect: corev1.TaintEffectNoExecute}}, []Taint{cp}, nil,
			[]corev1.Taint{{Key: cp.Key, Value: "true", Effect: corev1.TaintEffectNoExecute}, kube(cp)}, []Taint{cp}, nil},
		{"removes exactly", []corev1.Taint{kube(cp), admin, kube(hcp)}, nil, []Taint{cp, hcp}, []corev1.Taint{admin}, nil, nil},
		{"removes nothing of another value", []corev1.Taint{other}, nil, []Taint{cp}, []corev1.Taint{other}, nil, nil},
		{"value changed: removed, then added", []corev1.Taint{admin, kube(cp)}, []Taint{{Key: cp.Key, Value: "yes", Effect: cp.Effect}}, []Taint{cp},
			[]corev1.Taint{admin, {Key: cp.Key, Value: "yes", Effect: corev1.TaintEffectNoSchedule}}, []Taint{{Key: cp.Key, Value: "yes", Effect: cp.Effect}}, nil},
		{"another value set by someone else", []corev1.Taint{other}, []Taint{cp, hcp}, nil, nil, nil,
			[]string{"node w has the taint " + cp.Key + "=false:NoSchedule", "sets " + cp.Key + "=true:NoSchedule", "not overwritten", "oc adm taint nodes w " + cp.Key + ":NoSchedule-"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, added, err := plan("w", c.current, c.want, c.remove)
			if len(c.errorContains) > 0 {
				if err == nil {
					t.Fatalf("no error; next %v", next)
				}
				for _, s := range c.errorContains {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(next, c.next) || !reflect.DeepEqual(added, c.added) {
				t.Errorf("next %v added %v\nwant %v %v", next, added, c.next, c.added)
			}
		})
	}
}

// TestLifeCycle: create adds ours next to the admin's taint, an update
// drops one of ours and keeps a taint added since by someone else,
// delete removes exactly ours.
func TestLifeCycle(t *testing.T) {
	ctx := t.Context()
	c := fakeNode("w", admin)
	owned, err := update(ctx, c, "w", []Taint{cp, hcp}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Taint{cp, hcp}; !reflect.DeepEqual(owned, want) {
		t.Errorf("owned %v, want %v", owned, want)
	}
	if got, want := taintsOf(t, c, "w"), []corev1.Taint{admin, kube(cp), kube(hcp)}; !reflect.DeepEqual(got, want) {
		t.Errorf("after create %v\nwant %v", got, want)
	}
	// Someone else adds a taint.
	later := corev1.Taint{Key: "maintenance", Effect: corev1.TaintEffectPreferNoSchedule}
	n, _ := c.CoreV1().Nodes().Get(ctx, "w", metav1.GetOptions{})
	n.Spec.Taints = append(n.Spec.Taints, later)
	if _, err := c.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The update drops hcp.
	owned, err = update(ctx, c, "w", []Taint{cp}, []Taint{hcp}, []Taint{cp})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Taint{cp}; !reflect.DeepEqual(owned, want) {
		t.Errorf("owned %v, want %v", owned, want)
	}
	if got, want := taintsOf(t, c, "w"), []corev1.Taint{admin, kube(cp), later}; !reflect.DeepEqual(got, want) {
		t.Errorf("after update %v\nwant %v", got, want)
	}
	// Nothing to change: no write.
	c.ClearActions()
	if _, err := update(ctx, c, "w", []Taint{cp}, nil, []Taint{cp}); err != nil {
		t.Fatal(err)
	}
	if n := updates(c); n != 0 {
		t.Errorf("%d node updates for no change", n)
	}
	// Delete.
	if _, err := update(ctx, c, "w", nil, owned, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := taintsOf(t, c, "w"), []corev1.Taint{admin, later}; !reflect.DeepEqual(got, want) {
		t.Errorf("after delete %v\nwant %v", got, want)
	}
}

// TestConflictRetried: the first update is refused with a conflict (the
// node changed since it was read: another manager added a taint); the
// node is read again and the write keeps that taint.
func TestConflictRetried(t *testing.T) {
	ctx := t.Context()
	c := fake.NewClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w", ResourceVersion: "1"}, Spec: corev1.NodeSpec{Taints: []corev1.Taint{admin}}})
	concurrent := corev1.Taint{Key: "node.kubernetes.io/unschedulable", Effect: corev1.TaintEffectNoSchedule}
	conflicts := 0
	c.PrependReactor("update", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts > 0 {
			return false, nil, nil
		}
		conflicts++
		// Another writer gets in first.
		obj, err := c.Tracker().Get(corev1.SchemeGroupVersion.WithResource("nodes"), "", "w")
		if err != nil {
			return true, nil, err
		}
		n := obj.(*corev1.Node).DeepCopy()
		n.Spec.Taints = append(n.Spec.Taints, concurrent)
		n.ResourceVersion = "2"
		if err := c.Tracker().Update(corev1.SchemeGroupVersion.WithResource("nodes"), n, ""); err != nil {
			return true, nil, err
		}
		return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "nodes"}, "w", errors.New("the object has been modified"))
	})
	owned, err := update(ctx, c, "w", []Taint{cp}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if conflicts != 1 || updates(c) != 2 {
		t.Errorf("%d conflicts, %d updates: want one refused and one written", conflicts, updates(c))
	}
	if !reflect.DeepEqual(owned, []Taint{cp}) {
		t.Errorf("owned %v", owned)
	}
	if got, want := taintsOf(t, c, "w"), []corev1.Taint{admin, concurrent, kube(cp)}; !reflect.DeepEqual(got, want) {
		t.Errorf("taints %v\nwant %v (the concurrent one kept)", got, want)
	}
	// Each attempt writes with the resourceVersion it read.
	var versions []string
	for _, a := range c.Actions() {
		if u, ok := a.(k8stesting.UpdateAction); ok {
			versions = append(versions, u.GetObject().(*corev1.Node).ResourceVersion)
		}
	}
	if want := []string{"1", "2"}; !reflect.DeepEqual(versions, want) {
		t.Errorf("updates with resourceVersions %v, want %v", versions, want)
	}
}

// TestConflictsExhausted: a node that keeps changing is an error, after
// the retries.
func TestConflictsExhausted(t *testing.T) {
	c := fakeNode("w")
	c.PrependReactor("update", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "nodes"}, "w", errors.New("the object has been modified"))
	})
	_, err := update(t.Context(), c, "w", []Taint{cp}, nil, nil)
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "node w") {
		t.Errorf("error %v", err)
	}
	if n := updates(c); n != 5 {
		t.Errorf("%d attempts, want retry.DefaultRetry's 5", n)
	}
}

func TestClashWritesNothing(t *testing.T) {
	other := corev1.Taint{Key: cp.Key, Value: "false", Effect: corev1.TaintEffectNoSchedule}
	c := fakeNode("w", other)
	_, err := update(t.Context(), c, "w", []Taint{hcp, cp}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "node w") || !strings.Contains(err.Error(), cp.Key) {
		t.Fatalf("error %v", err)
	}
	if n := updates(c); n != 0 {
		t.Errorf("%d updates on a clash", n)
	}
	if got := taintsOf(t, c, "w"); !reflect.DeepEqual(got, []corev1.Taint{other}) {
		t.Errorf("taints %v", got)
	}
}

func TestMissingNode(t *testing.T) {
	c := fake.NewClientset()
	if _, err := update(t.Context(), c, "gone", []Taint{cp}, nil, nil); err == nil || !strings.Contains(err.Error(), "node gone does not exist") {
		t.Errorf("create on a missing node: %v", err)
	}
	if _, err := update(t.Context(), c, "gone", nil, []Taint{cp}, nil); !apierrors.IsNotFound(err) {
		t.Errorf("delete on a missing node: %v, want not found (taken as done)", err)
	}
	c.PrependReactor("get", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "w", errors.New("no"))
	})
	if _, err := update(t.Context(), c, "w", []Taint{cp}, nil, nil); !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "node w") {
		t.Errorf("forbidden: %v", err)
	}
}
