// Package provider implements the peerpods provider's libvirt resources
// (StoragePool, StorageVolume, KvmHostAccess) with pulumi-go-provider's
// infer, on go-libvirt: no cgo libvirt binding and no virsh.
package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"strings"

	"github.com/digitalocean/go-libvirt"
	"github.com/peerpods/provisioner/components/problems"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Version is the provider plugin's version. Its default is the version of
// this source tree, which the checked-in SDK is generated at (hack/sdkgen);
// make release sets the released version at link time
// (-ldflags -X github.com/peerpods/provisioner/libvirt/provider.Version=X.Y.Z).
var Version = "0.2.0"

// Repository is the project's GitHub repository (owner/name), where the
// release workflow publishes the plugin's tarballs.
const Repository = "peerpods/provisioner"

// PluginDownloadURL is where the engine downloads the plugin from: the
// GitHub releases of Repository, whose assets are named
// pulumi-resource-peerpods-v<version>-<os>-<arch>.tar.gz.
const PluginDownloadURL = "github://api.github.com/" + Repository

// Name of the provider plugin (pulumi-resource-peerpods).
const (
	Name = "peerpods"
	// Module is the token module of the libvirt resources.
	Module = "libvirt"
	// GoImportBasePath is the import path of the Go SDK generated from
	// the provider's schema (hack/sdkgen).
	GoImportBasePath = "github.com/peerpods/provisioner/sdk/go/peerpods"
)

// The type tokens of the libvirt resources, as their Annotate methods set
// them (TestInterruptedServesTheSchemasTypes checks them against the
// schema infer generates).
const (
	TypeStoragePool   = Name + ":" + Module + ":StoragePool"
	TypeStorageVolume = Name + ":" + Module + ":StorageVolume"
	TypeKvmHostAccess = Name + ":" + Module + ":KvmHostAccess"
)

// languages is the schema's language map: what the SDK generators of each
// language need. respectSchemaVersion makes the SDKs register the provider
// and every resource with the schema's version, which is Version.
func languages() map[string]any {
	return map[string]any{
		// See github.com/pulumi/pulumi/pkg/v3/codegen/go.GoPackageInfo.
		"go": map[string]any{
			"importBasePath":                 GoImportBasePath,
			"respectSchemaVersion":           true,
			"generateResourceContainerTypes": true,
		},
		"nodejs": map[string]any{
			"packageName":          "@peerpods/peerpods",
			"respectSchemaVersion": true,
		},
		// See github.com/pulumi/pulumi/pkg/v3/codegen/python.PackageInfo.
		"python": map[string]any{
			"packageName":          "pulumi_peerpods",
			"respectSchemaVersion": true,
			"pyproject":            map[string]any{"enabled": true},
		},
		"csharp": map[string]any{
			"respectSchemaVersion": true,
		},
	}
}

// New returns the provider serving the libvirt resources and the given
// component resources (each cloud's PeerPods and the cluster handoff:
// package plugin assembles them).
func New(components ...infer.InferredComponent) (p.Provider, error) {
	return NewWith(nil, components...)
}

// NewWith is New serving also the custom resources of other packages
// (such as the cluster handoff's NodeTaints), which share the provider's
// handling of unknown inputs (withUnknownInputs).
func NewWith(resources []infer.InferredResource, components ...infer.InferredComponent) (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("peerpods").
		WithDescription("Cloud side of OpenShift sandboxed containers peer pods: the AWS, Azure, GCP and libvirt components, the cluster handoff and its node taints, libvirt storage and KVM host access.").
		WithNamespace("peerpods").
		WithPublisher("peerpods").
		WithRepository("https://github.com/" + Repository).
		WithHomepage("https://github.com/" + Repository).
		WithLicense("Apache-2.0").
		WithPluginDownloadURL(PluginDownloadURL).
		WithLanguageMap(languages()).
		// The common settings type (Go package components/common) keeps
		// the token it had as package components': peerpods:components:Settings.
		WithModuleMap(map[tokens.ModuleName]tokens.ModuleName{"common": "components"}).
		WithConfig(infer.Config(Config{})).
		WithResources(append([]infer.InferredResource{
			infer.Resource(&StoragePool{}),
			infer.Resource(&StorageVolume{}),
			infer.Resource(&KvmHostAccess{}),
		}, resources...)...).
		WithComponents(components...).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	prov.DiffConfig = diffConfig
	return withURN(withBootstrapStash(withUnknownInputs(prov))), nil
}

func deref[T any](v *T) T {
	var zero T
	if v == nil {
		return zero
	}
	return *v
}

// failures collects check failures.
type failures []p.CheckFailure

func (f *failures) add(property, reason string) {
	*f = append(*f, p.CheckFailure{Property: property, Reason: reason})
}

// addKnown records the error check returns, unless property is unknown.
func (f *failures) addKnown(u unknowns, property string, check func() error) {
	if !u[property] {
		f.addErr(check())
	}
}

// addErr records an error of the components validation helpers, whose
// Setting is the property.
func (f *failures) addErr(err error) {
	for _, ie := range problems.InputErrors(err) {
		f.add(ie.Setting, ie.Problem+"; fix: "+ie.Fix)
	}
}

// isNotFound reports whether err is libvirt's "no such pool/volume".
func isNotFound(err error) bool {
	var le libvirt.Error
	if errors.As(err, &le) {
		return le.Code == uint32(libvirt.ErrNoStoragePool) || le.Code == uint32(libvirt.ErrNoStorageVol)
	}
	return false
}

func disconnect(ctx context.Context, l *libvirt.Libvirt) {
	if err := l.Disconnect(); err != nil {
		p.GetLogger(ctx).Debugf("disconnecting from libvirt: %v", err)
	}
}

// errorf wraps err with a message, keeping libvirt's own message readable.
func errorf(err error, format string, a ...any) error {
	return fmt.Errorf("%s: %s", fmt.Sprintf(format, a...), strings.TrimSpace(err.Error()))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}
