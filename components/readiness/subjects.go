package readiness

// The names of the facts peerpods check reports (Fact.Name), one per
// thing it reads.
const (
	SubjectObject       = "object"
	SubjectEnv          = "env"
	SubjectKataConfig   = "kataconfig"
	SubjectCAA          = "caa"
	SubjectRuntimeClass = "runtimeclass"
	SubjectResource     = "resource"
	SubjectWebhook      = "webhook"
	SubjectRule         = "rule"
	SubjectAttachment   = "attachment"
	SubjectLibvirt      = "libvirt"
)

// Subject is one thing peerpods check reads, as the preview report
// announces it.
type Subject struct {
	// Name is its facts' Fact.Name.
	Name string
	// Verifies says what holds when its facts are ok.
	Verifies string
}

// ClusterSubjects are what peerpods check reads in the cluster, in the
// order it reports them; the cloud's subjects (rules, attachments, the
// KVM host) depend on the stack's paths.
var ClusterSubjects = []Subject{
	{SubjectObject, "the handoff objects (`peer-pods-cm`, `peer-pods-secret`, `ssh-key-secret` where the cloud has one) hold the stack's values, each drift named"},
	{SubjectEnv, "the environment `osc-caa-ds` gets (its `envFrom` objects and the operator's `env`) has every key the operator line requires, each valid"},
	{SubjectKataConfig, "the KataConfig reports every selected node installed"},
	{SubjectCAA, "`osc-caa-ds` is rolled out, updated and ready on every node, no container stuck"},
	{SubjectRuntimeClass, "the `kata-remote` RuntimeClass exists"},
	{SubjectResource, "the kata nodes advertise `kata.peerpods.io/vm` at `PEERPODS_LIMIT_PER_NODE`"},
	{SubjectWebhook, "the operator's peer-pods webhook is registered, has its CA bundle and an available replica"},
}
