// Package handoff hands the peer-pods values on to an OpenShift cluster:
// the ClusterHandoff component, which writes peer-pods-cm,
// peer-pods-secret, ssh-key-secret and the optional operator objects
// through pulumi-kubernetes; the one model of those objects (Objects),
// which also renders them as manifests (RenderManifests); the handoff
// modes of a stack (Mode); and the operator options (KataConfigOptions)
// and node placement (Placement) that add objects. Node labels are
// server-side-apply patches; node taints, one atomic list in the API, are
// added and removed one by one by the plugin's NodeTaints resource
// (cmd/pulumi-resource-peerpods/nodetaints), and listed as oc adm taint commands in the manifests.
//
// It knows no cloud: it writes the maps a cloud component hands on
// (values.Values in Go, the component's outputs in another language),
// checked against the operator's key contract (package contract), and
// written only once the cloud resources the values need exist: Args from
// NewArgs carry values.Values.Ready, a component's outputs their
// dependencies (see the Example).
package handoff
