package stacks

import (
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/values"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cloud is the program's side of a cloud: its stack settings
// (peerpods:<cloud>), their validation, the providers and the component
// it registers, what it takes from the cluster and its example stacks.
// Each cloud implements it in stacks/cloud_<name>.go, next to its
// registration; the cloud's package (aws, azure, gcp, libvirt) is the
// component library it deploys.
type Cloud interface {
	// Name is the cloud as peerpods:cloud and CLOUD_PROVIDER name it; its
	// settings are the object peerpods:<Name>.
	Name() contract.Cloud
	// NewStack returns a new, empty Stack: the object peerpods:<Name>
	// decodes into it (strict JSON, exact field names).
	NewStack() Stack
	// Credentials are the cloud's own secret settings (under peerpods:)
	// that are not peer-pods-secret keys of the contract, such as
	// libvirtHostPassword; always stored encrypted.
	Credentials() []string
	// Examples are the cloud's example stacks (stacks/Pulumi.<name>.yaml)
	// whose handoff goes to a cluster.
	Examples() []string
	// FromCluster returns the settings the cloud takes from the cluster's
	// facts in identity mode id, sorted by setting: peerpods init and
	// peerpods discover write them into the stack file; a run uses those
	// the file lacks and compares those it sets (Discovery.Drift).
	FromCluster(f cluster.Facts, id contract.Identity) []cluster.Found
}

// Stack is a cloud's settings in a stack: what peerpods:<cloud> decoded
// into, then prepared.
type Stack interface {
	// Prepare completes the decoded settings (the common settings, the
	// defaults, the credentials read from in) and validates them,
	// recording every problem with in.Check. Problems name settings
	// relative to peerpods: (aws.subnetId).
	Prepare(in Input)
	// Deploy registers the cloud's providers and its component. Nothing
	// is registered when Prepare recorded a problem.
	Deploy(ctx *pulumi.Context, in DeployArgs) (values.Result, error)
}

// defaulter is a Stack that tells its defaults: the settings an empty
// peerpods:<cloud> takes (the component's WithDefaults, its nested
// objects present), for the schema's default keywords. A default that
// follows another setting is left out (zero): an empty object's would be
// wrong, and the field's description says it.
type defaulter interface {
	defaults() any
}

// Input is what Prepare reads besides the decoded object.
type Input interface {
	// Settings are the common peer-pods settings, defaults applied: a
	// copy of the cloud's own.
	Settings() *common.Settings
	// Handoff is peerpods:handoff.
	Handoff() handoff.Mode
	// Identity is peerpods:identity (the cloud's default when unset),
	// already checked to be one the cloud supports.
	Identity() contract.Identity
	// Has reports whether the top-level setting peerpods:<key> is set.
	Has(key string) bool
	// Credential reads a credential setting (one of Credentials), which
	// must be stored encrypted; an unset one is empty.
	Credential(key string) Secret
	// Check records the problems of err (problems.Invalid errors),
	// their settings relative to peerpods:.
	Check(err error)
}

// DeployArgs is what a Stack's Deploy takes from the program.
type DeployArgs struct {
	// Secret is the stack's value of a peer-pods-secret key as a secret
	// input, nil when the stack has none.
	Secret func(key string) pulumi.StringInput
}

// SSHPrivateKeySetting is the stack secret of a key pair to use instead
// of a generated one (libvirt: installed on the KVM host; azure: for
// ssh-key-secret).
const SSHPrivateKeySetting = "sshPrivateKey"
