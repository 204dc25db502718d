package stacks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
)

// SchemaFile is the JSON Schema of a stack file, Pulumi.<stack>.yaml,
// generated from the settings' types by GenerateSchema (go generate
// ./stacks) and checked in next to the example stack files.
const SchemaFile = "settings.schema.json"

// schemaID is the schema's $id: its place in the repository.
const schemaID = "https://github.com/peerpods/provisioner/stacks/" + SchemaFile

// settingTypes are the types the top-level object settings (besides the
// clouds' peerpods:<cloud>) decode into.
var settingTypes = map[string]reflect.Type{
	"placement":       reflect.TypeFor[handoff.Placement](),
	"kataConfig":      reflect.TypeFor[handoff.KataConfigOptions](),
	"tags":            reflect.TypeFor[map[string]string](),
	"extra":           reflect.TypeFor[map[string]string](),
	"tunnelProtocols": reflect.TypeFor[[]string](),
	// Refused with their own advice (load), whatever they hold.
	"peerPodConfig": reflect.TypeFor[any](),
}

// scalarSchemas are the stack-file schemas of the top-level settings that
// are not objects, beside their description (settingDocs). Pulumi hands
// the program every value as text, so a number or a boolean may also be
// written as a string.
func scalarSchema(name string) *jsonschema.Schema {
	str := &jsonschema.Schema{Type: "string"}
	enum := func(values ...string) *jsonschema.Schema {
		s := &jsonschema.Schema{Type: "string"}
		for _, v := range values {
			s.Enum = append(s.Enum, v)
		}
		return s
	}
	switch name {
	case "cloud":
		var clouds []string
		for _, c := range contract.Clouds {
			clouds = append(clouds, string(c))
		}
		return enum(clouds...)
	case "handoff":
		return enum(string(handoff.ModeCluster), string(handoff.ModeManifests), string(handoff.ModeOff))
	case "identity":
		return enum(string(contract.IdentityCCO), string(contract.IdentityStatic), string(contract.IdentityWorkload))
	case "tunnelPort", "limitPerNode", "rootVolumeSize":
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "integer"}, {Type: "string", Pattern: `^\s*[0-9]+\s*$`}}}
	case "discover", "credentialsFromCluster", "acknowledgeRootCredential":
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "boolean"}, {Type: "string", Enum: []any{"true", "false"}}}}
	case "waitTimeout":
		return &jsonschema.Schema{Type: "string", Pattern: waitTimeoutPattern}
	case "disableCvm":
		return &jsonschema.Schema{}
	case "adopt":
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			{Type: "string", Enum: []any{handoff.AdoptAll}},
			{Type: "array", Items: &jsonschema.Schema{Type: "string", Pattern: `^[A-Za-z]+/[a-z0-9.-]+(/[a-z0-9.-]+)?$`}},
		}}
	}
	return str
}

// GenerateSchema returns the JSON Schema of a stack file: its config map
// holds the peerpods: settings of every cloud (the registered ones: build
// without cloud tags), each described by its Go doc comment, objects
// closed to other fields (names are exact, case included); the secret
// ones are {secure: ...} objects, as pulumi config set --secret writes
// them. Keys of other namespaces are left alone. dir is the stacks/
// directory of the source tree, whose packages' comments are read.
func GenerateSchema(dir string) ([]byte, error) {
	for _, c := range contract.Clouds {
		if _, ok := CloudNamed(c); !ok {
			return nil, fmt.Errorf("the schema describes every cloud, and %s is not built in: generate it without cloud build tags", c)
		}
	}
	r := &jsonschema.Reflector{
		DoNotReference:             true,
		RequiredFromJSONSchemaTags: true,
		ExpandedStruct:             true,
	}
	base := "github.com/peerpods/provisioner/stacks"
	for _, pkg := range []string{".", "../aws", "../azure", "../gcp", "../libvirt", "../components"} {
		if err := r.AddGoComments(base, filepath.Join(dir, pkg)); err != nil {
			return nil, err
		}
	}
	// AddGoComments keys comments by the directory walked: relative to
	// dir, which keys them as the import paths.
	if dir != "." {
		fixed := map[string]string{}
		for k, v := range r.CommentMap {
			rel, err := filepath.Rel(filepath.Join(base, dir), k)
			if err != nil {
				return nil, err
			}
			fixed[filepath.ToSlash(filepath.Join(base, rel))] = v
		}
		r.CommentMap = fixed
	}
	// The stack types of this package are unexported, which
	// AddGoComments skips: their fields' comments are read here.
	own, err := fieldComments(dir)
	if err != nil {
		return nil, err
	}
	r.LookupComment = func(t reflect.Type, field string) string {
		if t.PkgPath() == base && field != "" {
			return own[t.Name()+"."+field]
		}
		return ""
	}
	secure := &jsonschema.Schema{
		Type:                 "object",
		Description:          "An encrypted value, as pulumi config set --secret writes it.",
		Properties:           jsonschema.NewProperties(),
		Required:             []string{"secure"},
		AdditionalProperties: jsonschema.FalseSchema,
	}
	secure.Properties.Set("secure", &jsonschema.Schema{Type: "string"})

	config := &jsonschema.Schema{
		Type:        "object",
		Description: "The stack's settings; those of this project are under peerpods:.",
		Properties:  jsonschema.NewProperties(),
	}
	known := knownSettings()
	names := slices.Sorted(maps.Keys(known))
	for _, name := range names {
		var s *jsonschema.Schema
		switch t, ok := settingType(name); {
		case known[name]:
			s = &jsonschema.Schema{Ref: "#/$defs/secure"}
		case ok:
			s = r.ReflectFromType(t)
			s.Version, s.ID = "", ""
			if t.Kind() == reflect.Struct {
				s.Type = "object"
			}
		default:
			s = scalarSchema(name)
		}
		if d := settingDocs[name]; d != "" {
			s.Description = d
		} else if s.Description == "" {
			return nil, fmt.Errorf("peerpods:%s has no description (settingDocs)", name)
		}
		if !known[name] && isSecretSetting(name) { // a peer-pods-secret value that may be plain
			s = &jsonschema.Schema{Description: s.Description, AnyOf: []*jsonschema.Schema{{Type: "string"}, {Ref: "#/$defs/secure"}}}
		}
		config.Properties.Set(Namespace+":"+name, s)
	}
	var keys []any
	for _, n := range names {
		keys = append(keys, Namespace+":"+n)
	}
	config.PropertyNames = &jsonschema.Schema{
		AnyOf: []*jsonschema.Schema{{Enum: keys}, {Not: &jsonschema.Schema{Pattern: "^" + Namespace + ":"}}},
	}
	doc := &jsonschema.Schema{
		Version:     jsonschema.Version,
		ID:          schemaID,
		Title:       "Pulumi.<stack>.yaml of the peerpods project",
		Description: "A stack file of the peerpods project (stacks/Pulumi.<stack>.yaml): its settings under peerpods:. Generated by go generate ./stacks from the settings' Go types; do not edit.",
		Type:        "object",
		Properties:  jsonschema.NewProperties(),
		Definitions: jsonschema.Definitions{"secure": secure},
	}
	doc.Properties.Set("config", config)
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	// The defaults of the fields whose zero is no value (minLength or
	// minimum 1: zero would read as unset), from the clouds' own
	// defaults.
	var tree map[string]any
	if err := json.Unmarshal(out, &tree); err != nil {
		return nil, err
	}
	props, _ := dig(tree, "properties", "config", "properties").(map[string]any)
	for _, name := range names {
		c, ok := CloudNamed(contract.Cloud(name))
		if !ok {
			continue
		}
		d, ok := c.NewStack().(defaulter)
		if !ok {
			continue
		}
		raw, err := json.Marshal(d.defaults())
		if err != nil {
			return nil, err
		}
		var def any
		if err := json.Unmarshal(raw, &def); err != nil {
			return nil, err
		}
		addDefaults(props[Namespace+":"+name], def)
	}
	out, err = json.MarshalIndent(tree, "", "  ")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(out)
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// isSecretSetting reports whether name is a contract setting of
// peer-pods-secret (of any cloud).
func isSecretSetting(name string) bool {
	for _, cloud := range contract.Clouds {
		for _, s := range secretSettings(cloud) {
			if s.config == name {
				return true
			}
		}
	}
	return false
}

// settingType is the type the object setting name decodes into: a
// registered cloud's Stack, or a common setting's type.
func settingType(name string) (reflect.Type, bool) {
	if c, ok := CloudNamed(contract.Cloud(name)); ok {
		return reflect.TypeOf(c.NewStack()).Elem(), true
	}
	t, ok := settingTypes[name]
	return t, ok
}

// fieldComments returns the doc comments of the struct fields declared in
// the Go files of dir, by "Type.Field".
func fieldComments(dir string) (map[string]string, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			if st, ok := ts.Type.(*ast.StructType); ok {
				for _, fld := range st.Fields.List {
					for _, name := range fld.Names {
						if txt := strings.TrimSpace(fld.Doc.Text()); txt != "" {
							out[ts.Name.Name+"."+name.Name] = txt
						}
					}
				}
			}
			return false
		})
	}
	return out, nil
}

// addDefaults sets the default keyword of the fields of schema (a schema
// object) whose zero is no value, from the defaulted settings def.
func addDefaults(schema, def any) {
	s, _ := schema.(map[string]any)
	d, _ := def.(map[string]any)
	props, _ := s["properties"].(map[string]any)
	for name, p := range props {
		v, ok := d[name]
		if !ok {
			continue
		}
		ps, _ := p.(map[string]any)
		if ps["minLength"] != nil || ps["minimum"] != nil {
			ps["default"] = v
		}
		addDefaults(p, v)
	}
}
