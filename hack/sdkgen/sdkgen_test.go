package sdkgen

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/peerpods/provisioner/sdk/go/peerpods"
	"github.com/peerpods/provisioner/sdk/go/peerpods/libvirt"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// checkedIn is the checked-in SDK, from this package's directory.
var checkedIn = filepath.Join("..", "..", filepath.FromSlash(Dir))

// TestCheckedIn regenerates the SDK from the provider's schema and fails,
// naming each file, when the checked-in files differ, are missing or are
// extra.
func TestCheckedIn(t *testing.T) {
	files, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	diff, err := Diff(checkedIn, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(diff) > 0 {
		t.Errorf("the checked-in SDK (%s) is not what the provider's schema generates; run go generate ./hack/sdkgen:\n%s", Dir, strings.Join(diff, "\n"))
	}
}

// TestSchemaLanguages checks what the schema tells the SDK generators:
// the provider's version, the Go import path with the schema's version
// respected, and the other languages' package names.
func TestSchemaLanguages(t *testing.T) {
	raw, err := Schema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Name     string                    `json:"name"`
		Version  string                    `json:"version"`
		Language map[string]map[string]any `json:"language"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != provider.Name || s.Version != provider.Version {
		t.Errorf("schema of %s %s, want %s %s", s.Name, s.Version, provider.Name, provider.Version)
	}
	want := map[string]map[string]any{
		"go":     {"importBasePath": "github.com/peerpods/provisioner/sdk/go/peerpods", "respectSchemaVersion": true},
		"nodejs": {"packageName": "@peerpods/peerpods", "respectSchemaVersion": true},
		"python": {"packageName": "pulumi_peerpods", "respectSchemaVersion": true},
	}
	for lang, settings := range want {
		for k, v := range settings {
			if got := s.Language[lang][k]; got != v {
				t.Errorf("language.%s.%s = %v, want %v", lang, k, got, v)
			}
		}
	}
	if provider.GoImportBasePath != want["go"]["importBasePath"] {
		t.Errorf("GoImportBasePath %s", provider.GoImportBasePath)
	}
}

// registration is what the engine saw of one resource registration.
type registration struct {
	version       string
	downloadURL   string
	inputs        resource.PropertyMap
	secretOutputs []string
}

// recorder is a mock monitor that records registrations by type token.
type recorder struct {
	mu   sync.Mutex
	regs map[string]registration
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	outs := slices.Clone(args.RegisterRPC.GetAdditionalSecretOutputs())
	slices.Sort(outs)
	r.regs[args.TypeToken] = registration{version: args.RegisterRPC.GetVersion(), downloadURL: args.RegisterRPC.GetPluginDownloadURL(), inputs: args.Inputs, secretOutputs: outs}
	return args.Name + "-id", args.Inputs, nil
}

func (*recorder) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// register registers the provider and each resource through the
// generated SDK, with plain values for every secret input, on mocks.
func register(t *testing.T) map[string]registration {
	t.Helper()
	r := &recorder{regs: map[string]registration{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		prov, err := peerpods.NewProvider(ctx, "peerpods", &peerpods.ProviderArgs{
			Uri: pulumi.String("qemu+ssh://root@kvm1/system"), PrivateKey: pulumi.String("key"), HostKey: pulumi.String("kvm1 ssh-ed25519 AAAA"),
		})
		if err != nil {
			return err
		}
		with := pulumi.Provider(prov)
		pool, err := libvirt.NewStoragePool(ctx, "pool", &libvirt.StoragePoolArgs{Name: pulumi.String("images")}, with)
		if err != nil {
			return err
		}
		if _, err := libvirt.NewStorageVolume(ctx, "volume", &libvirt.StorageVolumeArgs{Pool: pool.Name, Capacity: pulumi.Int(1 << 30)}, with); err != nil {
			return err
		}
		_, err = libvirt.NewKvmHostAccess(ctx, "access", &libvirt.KvmHostAccessArgs{
			Host: pulumi.String("kvm1"), Password: pulumi.String("pw"),
			BootstrapPrivateKey: pulumi.String("bootstrap"), PrivateKey: pulumi.String("private"),
		}, with)
		return err
	}, pulumi.WithMocks("project", "stack", r))
	if err != nil {
		t.Fatal(err)
	}
	return r.regs
}

// TestRegisteredVersion: the engine is asked for the provider plugin of
// the provider's own version, downloaded from the project's GitHub
// releases, for the provider and for every resource.
func TestRegisteredVersion(t *testing.T) {
	regs := register(t)
	tokens := []string{"pulumi:providers:peerpods", "peerpods:libvirt:StoragePool", "peerpods:libvirt:StorageVolume", "peerpods:libvirt:KvmHostAccess"}
	if len(regs) != len(tokens) {
		t.Errorf("registered %d resources, want %d", len(regs), len(tokens))
	}
	for _, token := range tokens {
		reg, ok := regs[token]
		switch {
		case !ok:
			t.Errorf("%s not registered", token)
		case reg.version != provider.Version:
			t.Errorf("%s registered with version %q, want %s", token, reg.version, provider.Version)
		case reg.downloadURL != provider.PluginDownloadURL:
			t.Errorf("%s registered with plugin download URL %q, want %s", token, reg.downloadURL, provider.PluginDownloadURL)
		}
	}
}

// TestSecrets: the SDK makes the credentials secret, given as plain
// values, and asks for their outputs to be kept secret, as the
// hand-written SDK did.
func TestSecrets(t *testing.T) {
	regs := register(t)
	want := map[string][]string{
		"pulumi:providers:peerpods":      {"privateKey"},
		"peerpods:libvirt:KvmHostAccess": {"bootstrapPrivateKey", "password", "privateKey"},
		"peerpods:libvirt:StoragePool":   nil,
		"peerpods:libvirt:StorageVolume": nil,
	}
	for token, secrets := range want {
		reg := regs[token]
		var got []string
		for k, v := range reg.inputs {
			if v.ContainsSecrets() {
				got = append(got, string(k))
			}
		}
		slices.Sort(got)
		if !reflect.DeepEqual(got, secrets) {
			t.Errorf("%s secret inputs %v, want %v", token, got, secrets)
		}
		for _, s := range secrets {
			if !slices.Contains(reg.secretOutputs, s) {
				t.Errorf("%s: output %s is not kept secret (additional secret outputs %v)", token, s, reg.secretOutputs)
			}
		}
	}
	if in := regs["pulumi:providers:peerpods"].inputs; !in["uri"].IsString() || !in["hostKey"].IsString() {
		t.Errorf("provider configuration %v: uri and hostKey not plain", in)
	}
}

func TestDiffAndWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sdk")
	files := map[string][]byte{"a.go": []byte("package a\n"), "x/b.go": []byte("package x\n"), "x/y/c.txt": []byte("c")}
	diff, err := Diff(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"missing: a.go", "missing: x/b.go", "missing: x/y/c.txt"}; !reflect.DeepEqual(diff, want) {
		t.Errorf("diff of a missing dir %v, want %v", diff, want)
	}
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	if diff, err := Diff(dir, files); err != nil || len(diff) > 0 {
		t.Fatalf("after Write: %v %v", diff, err)
	}

	// A changed file, an extra one in a directory of its own, and one
	// no longer generated.
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte("package changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "old", "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old", "deep", "d.go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	delete(files, "x/y/c.txt")
	files["x/e.go"] = []byte("package x\n")
	diff, err = Diff(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"changed: a.go", "extra: old/deep/d.go", "missing: x/e.go", "extra: x/y/c.txt"}
	if !reflect.DeepEqual(diff, want) {
		t.Errorf("diff %v\nwant %v", diff, want)
	}
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	if diff, err := Diff(dir, files); err != nil || len(diff) > 0 {
		t.Fatalf("after the second Write: %v %v", diff, err)
	}
	for _, gone := range []string{"old", "x/y"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s is left: %v", gone, err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.go")); string(got) != "package a\n" {
		t.Errorf("a.go is %q", got)
	}
}

func TestDiffUnreadable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A file where the SDK's directory should be.
	if _, err := Diff(filepath.Join(file, "sdk"), nil); err == nil {
		t.Error("Diff under a file: no error")
	}
	if err := Write(filepath.Join(file, "sdk"), map[string][]byte{"a": nil}); err == nil {
		t.Error("Write under a file: no error")
	}
}

// TestMainCommand runs the command line: writing into a directory, checking
// it, and failing the check once a file differs.
func TestMainCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "go")
	var out bytes.Buffer
	if err := Main([]string{"-dir", dir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "missing: peerpods/provider.go") {
		t.Errorf("first write reports %q", out.String())
	}
	out.Reset()
	if err := Main([]string{"-check", "-dir", dir}, &out); err != nil || out.Len() > 0 {
		t.Fatalf("check after write: %v, %q", err, out.String())
	}
	if err := os.WriteFile(filepath.Join(dir, "peerpods", "extra.go"), []byte("package peerpods\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Main([]string{"-check", "-dir", dir}, &out)
	if err == nil || !strings.Contains(err.Error(), "go generate ./hack/sdkgen") || out.String() != "extra: peerpods/extra.go\n" {
		t.Errorf("check of a changed SDK: %v, %q", err, out.String())
	}
	// The module's own SDK, found from the working directory.
	out.Reset()
	if err := Main([]string{"-check"}, &out); err != nil {
		t.Errorf("check of the checked-in SDK: %v\n%s", err, out.String())
	}
	if err := Main([]string{"-nope"}, &out); err == nil {
		t.Error("unknown flag: no error")
	}
	if err := Main([]string{"extra"}, &out); err == nil {
		t.Error("argument: no error")
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "hack", "sdkgen", "sdkgen.go")); err != nil {
		t.Errorf("module root %s: %v", root, err)
	}
	t.Chdir(t.TempDir())
	if _, err := ModuleRoot(); err == nil {
		t.Error("no go.mod above a temporary directory: no error")
	}
}

func TestGenerateBadSchema(t *testing.T) {
	if _, err := generate([]byte("{")); err == nil {
		t.Error("unreadable schema: no error")
	}
	if _, err := generate([]byte(`{"name": "x", "resources": {"x:index:A": {"properties": {"p": {"type": "nope"}}}}}`)); err == nil {
		t.Error("invalid schema: no error")
	}
	other := `{"name": "x", "version": "1.0.0", "resources": {"x:index:A": {"properties": {"p": {"$ref": "/other/v1.0.0/schema.json#/resources/other:index:B"}}}}}`
	if _, err := generate([]byte(other)); err == nil || !strings.Contains(err.Error(), "other") {
		t.Errorf("schema referencing another package: %v", err)
	}
}
