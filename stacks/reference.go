package stacks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
)

// ReferenceFile is the settings reference for readers, docs/settings.md,
// rendered from the schema (SchemaFile) by SettingsReference; the path is
// relative to stacks/, where go generate runs.
const ReferenceFile = "../docs/settings.md"

// SettingsReference renders schema, the JSON Schema GenerateSchema makes,
// as a Markdown reference of every setting: one table row per setting and
// per field of an object setting, with the clouds it applies to, its
// type, its default where the schema has one, and its description. It
// holds nothing the schema, the contract and the cloud registry do not.
func SettingsReference(schema []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(schema, &doc); err != nil {
		return nil, err
	}
	props, ok := dig(doc, "properties", "config", "properties").(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the schema has no config properties")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Stack settings\n\n")
	fmt.Fprintf(&b, "<!-- Rendered from stacks/%s by go generate ./stacks; do not edit. -->\n\n", SchemaFile)
	fmt.Fprintf(&b, "Every setting of a stack file (`stacks/Pulumi.<stack>.yaml`), as [%s](../stacks/%s), the JSON Schema the program\n", SchemaFile, SchemaFile)
	fmt.Fprintf(&b, "checks a stack file against, describes it. A setting that is not set takes its default (in the\n")
	fmt.Fprintf(&b, "description, or the default column); a setting that is set is checked as it is.\n")
	fmt.Fprintf(&b, "`secret` settings are stored with `pulumi config set --secret`. The cloud column names the clouds a\n")
	fmt.Fprintf(&b, "setting applies to (`all`: every cloud). Regenerate this page with `go generate ./stacks`; `TestSchemaCheckedIn` fails when it is stale.\n\n")
	fmt.Fprintf(&b, "| setting | cloud | type | default | description |\n|---|---|---|---|---|\n")
	for _, name := range slices.Sorted(maps.Keys(props)) {
		row(&b, name, props[name].(map[string]any), doc)
	}
	return b.Bytes(), nil
}

// row writes the rows of setting name (schema s), and of its fields when
// it is an object.
func row(b *bytes.Buffer, name string, s, doc map[string]any) {
	def := ""
	if v, ok := s["default"]; ok {
		raw, _ := json.Marshal(v)
		def = "`" + string(raw) + "`"
	}
	fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", name, settingClouds(name), typeOf(s, doc), def, cell(s["description"]))
	if sub, ok := s["properties"].(map[string]any); ok {
		for _, f := range slices.Sorted(maps.Keys(sub)) {
			row(b, name+"."+f, sub[f].(map[string]any), doc)
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		if sub, ok := items["properties"].(map[string]any); ok {
			for _, f := range slices.Sorted(maps.Keys(sub)) {
				row(b, name+"[]."+f, sub[f].(map[string]any), doc)
			}
		}
	}
}

// settingClouds names the clouds setting name applies to: the cloud of a
// peerpods:<cloud> object; else the clouds whose contract key it sets or
// whose credential it is, unless that is every cloud; else "all".
func settingClouds(name string) string {
	top, _, _ := strings.Cut(name, ".")
	top, _, _ = strings.Cut(top, "[")
	var clouds []string
	for _, c := range contract.Clouds {
		if top == "peerpods:"+string(c) {
			return string(c)
		}
		set, _ := contract.For(c)
		uses := false
		for _, k := range append(slices.Clone(set.Keys), set.SSHKeys...) {
			uses = uses || k.Setting == top
		}
		for _, cl := range Clouds() {
			if cl.Name() == c {
				uses = uses || slices.Contains(cl.Credentials(), strings.TrimPrefix(top, "peerpods:"))
			}
		}
		if uses {
			clouds = append(clouds, string(c))
		}
	}
	if len(clouds) == 0 || len(clouds) == len(contract.Clouds) {
		return "all"
	}
	return strings.Join(clouds, ", ")
}

// typeOf names the type schema s describes.
func typeOf(s, doc map[string]any) string {
	if ref, ok := s["$ref"].(string); ok && ref == "#/$defs/secure" {
		return "secret"
	}
	if alts, ok := s["anyOf"].([]any); ok {
		var names []string
		for _, a := range alts {
			n := typeOf(a.(map[string]any), doc)
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		if slices.Equal(names, []string{"integer", "string"}) {
			return "integer"
		}
		if slices.Equal(names, []string{"boolean", "string"}) {
			return "boolean"
		}
		return strings.Join(names, " or ")
	}
	if enum, ok := s["enum"].([]any); ok {
		var vals []string
		for _, v := range enum {
			vals = append(vals, fmt.Sprintf("`%v`", v))
		}
		return strings.Join(vals, ", ")
	}
	t, _ := s["type"].(string)
	switch t {
	case "array":
		items, _ := s["items"].(map[string]any)
		return "list of " + typeOf(items, doc)
	case "object":
		if _, ok := s["properties"]; !ok {
			if ap, ok := s["additionalProperties"].(map[string]any); ok {
				return "map of " + typeOf(ap, doc)
			}
		}
		return "object"
	case "":
		return "any"
	}
	return t
}

// cell makes a description fit one table cell.
func cell(v any) string {
	s, _ := v.(string)
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
