package stacks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ReferenceFile is the settings reference for readers, rendered from the
// schema (SchemaFile) by SettingsReference and checked in beside it.
const ReferenceFile = "SETTINGS.md"

// SettingsReference renders schema, the JSON Schema GenerateSchema makes,
// as a Markdown reference of every setting: one table row per setting and
// per field of an object setting, with its type, its default where the
// schema has one, and its description. It holds nothing the schema does
// not.
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
	fmt.Fprintf(&b, "<!-- Rendered from %s by go generate ./stacks; do not edit. -->\n\n", SchemaFile)
	fmt.Fprintf(&b, "Every setting of a stack file (`Pulumi.<stack>.yaml`), as [%s](%s), the JSON Schema the program\n", SchemaFile, SchemaFile)
	fmt.Fprintf(&b, "checks a stack file against, describes it. A setting that is not set takes its default (in the\n")
	fmt.Fprintf(&b, "description, or the default column); a setting that is set is checked as it is.\n")
	fmt.Fprintf(&b, "`secret` settings are stored with `pulumi config set --secret`.\n\n")
	fmt.Fprintf(&b, "| setting | type | default | description |\n|---|---|---|---|\n")
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
	fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", name, typeOf(s, doc), def, cell(s["description"]))
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
