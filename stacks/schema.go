package stacks

//go:generate go run ../hack/settingsschema

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/peerpods/provisioner/components/problems"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"
)

// schemaJSON is the checked-in schema of the stack files (SchemaFile),
// which TestSchemaCheckedIn keeps equal to what GenerateSchema makes of
// the settings' types.
//
//go:embed settings.schema.json
var schemaJSON []byte

// settingsSchema is the parsed schema document.
var settingsSchema = sync.OnceValues(func() (any, error) {
	return jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
})

// compiled compiles the schema at the fragment ptr of the document once.
var compiled = sync.OnceValue(func() func(ptr string) (*jsonschema.Schema, error) {
	var mu sync.Mutex
	cache := map[string]*jsonschema.Schema{}
	c := jsonschema.NewCompiler()
	added := false
	return func(ptr string) (*jsonschema.Schema, error) {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := cache[ptr]; ok {
			return s, nil
		}
		doc, err := settingsSchema()
		if err != nil {
			return nil, err
		}
		if !added {
			if err := c.AddResource(schemaID, doc); err != nil {
				return nil, err
			}
			added = true
		}
		s, err := c.Compile(schemaID + "#" + ptr)
		if err != nil {
			return nil, err
		}
		cache[ptr] = s
		return s, nil
	}
})

// settingPointer is the JSON pointer of peerpods:<key>'s schema.
func settingPointer(key string) string {
	return "/properties/config/properties/" + Namespace + ":" + key
}

// ValidateStackFile validates a stack file, Pulumi.<stack>.yaml, against
// the schema: every peerpods: key known, every object's fields named
// exactly (case included) and of their type, the secrets encrypted.
func ValidateStackFile(raw []byte) error {
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return err
	}
	s, err := compiled()("")
	if err != nil {
		return err
	}
	return s.Validate(doc)
}

// checkShape validates the value v of the object setting peerpods:key
// (decoded JSON) against its schema: a field name that is not exactly one
// of its type's (JSON decoding ignores case) or a value of the wrong type
// is an error naming the full setting, so that no setting is silently
// ignored.
func checkShape(key string, v any) []error {
	s, err := compiled()(settingPointer(key))
	if err != nil {
		return []error{err}
	}
	verr, ok := s.Validate(v).(*jsonschema.ValidationError)
	if !ok {
		return nil
	}
	var out []error
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if _, ok := e.ErrorKind.(*kind.AnyOf); ok {
			// One problem, not one per form it is not.
			setting := Namespace + ":" + key + instancePath(key, e.InstanceLocation)
			out = append(out, problems.Invalid(setting, "cannot be read: it has none of the forms the setting allows",
				"check the setting's forms in docs/settings.md and the example stack files in stacks/"))
			return
		}
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		setting := Namespace + ":" + key + instancePath(key, e.InstanceLocation)
		switch k := e.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			names := fieldsAt(key, e.InstanceLocation)
			for _, f := range k.Properties {
				fix := "use one of " + strings.Join(names, ", ")
				if near := nearest(f, names); near != "" {
					fix = fmt.Sprintf("did you mean %s? (known: %s)", near, strings.Join(names, ", "))
				}
				out = append(out, problems.Invalid(setting+"."+f, "is not a setting of "+setting, fix))
			}
		case *kind.MinLength, *kind.Minimum:
			// A field whose zero is no value: set to it, it would read as
			// unset (the component's default).
			zero := `""`
			if m, ok := k.(*kind.Minimum); ok {
				zero = m.Got.RatString()
			}
			if def, ok := schemaAt(key, e.InstanceLocation)["default"]; ok {
				out = append(out, problems.Invalid(setting, fmt.Sprintf("is set to %s, which reads as unset and would become the default (%v)", zero, def),
					"remove it to use the default, or set a valid value"))
			} else {
				out = append(out, problems.Invalid(setting, fmt.Sprintf("is set to %s, which reads as unset", zero),
					"set a valid value, or remove the setting to leave it unset"))
			}
		case *kind.Type:
			out = append(out, problems.Invalid(setting, fmt.Sprintf("cannot be read: it is %s, not %s", article(k.Got), strings.Join(k.Want, " or ")),
				"check the setting's names and types against stacks/"+SchemaFile+" and the example stack files in stacks/"))
		default:
			out = append(out, problems.Invalid(setting, "cannot be read: "+e.ErrorKind.LocalizedString(message.NewPrinter(language.English)),
				"check the setting against stacks/"+SchemaFile+" and the example stack files in stacks/"))
		}
	}
	walk(verr)
	return out
}

func article(jsonType string) string {
	switch jsonType {
	case "array", "object", "integer":
		return "an " + jsonType
	case "null":
		return "null"
	}
	return "a " + jsonType
}

// schemaAt returns the schema node (of the parsed document) of the value
// at path within peerpods:key: the fields of an object, the items of a
// list, the values of a map; nil when there is none.
func schemaAt(key string, path []string) map[string]any {
	doc, err := settingsSchema()
	if err != nil {
		return nil
	}
	node := dig(doc, "properties", "config", "properties", Namespace+":"+key)
	for _, p := range path {
		n, _ := node.(map[string]any)
		if n == nil {
			return nil
		}
		switch {
		case n["items"] != nil:
			if _, err := strconv.Atoi(p); err != nil {
				return nil
			}
			node = n["items"]
		case n["properties"] != nil:
			node = dig(n, "properties", p)
		default:
			ap, _ := n["additionalProperties"].(map[string]any)
			if ap == nil {
				return nil
			}
			node = ap
		}
	}
	n, _ := node.(map[string]any)
	return n
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		if m == nil {
			return nil
		}
		v = m[k]
	}
	return v
}

// fieldsAt lists the field names of the object at path in peerpods:key.
func fieldsAt(key string, path []string) []string {
	props, _ := schemaAt(key, path)["properties"].(map[string]any)
	var names []string
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// instancePath writes path within peerpods:key as the settings name it:
// .field and [index].
func instancePath(key string, path []string) string {
	var b strings.Builder
	for i, p := range path {
		if n := schemaAt(key, path[:i]); n != nil && n["items"] != nil {
			b.WriteString("[" + p + "]")
		} else {
			b.WriteString("." + p)
		}
	}
	return b.String()
}

// IsSetting reports whether name, such as peerpods:azure.nsgPriorities.
// kataAgent or peerpods:placement.kataNodes[0], names a setting a stack
// file can hold, as the schema says: a known top-level key and, below it,
// fields by their exact names, any key of a map, any index of a list.
func IsSetting(name string) bool {
	rest, ok := strings.CutPrefix(name, Namespace+":")
	if !ok {
		return false
	}
	top, path, _ := strings.Cut(rest, ".")
	if i := strings.IndexByte(top, '['); i >= 0 {
		top, path = top[:i], top[i:]+path
	}
	if _, ok := knownSettings()[top]; !ok {
		return false
	}
	var segs []string
	for path != "" {
		if strings.HasPrefix(path, "[") {
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return false
			}
			segs, path = append(segs, path[1:end]), strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		seg := path
		if i := strings.IndexAny(path, ".["); i >= 0 {
			seg, path = path[:i], strings.TrimPrefix(path[i:], ".")
		} else {
			path = ""
		}
		segs = append(segs, seg)
	}
	if len(segs) == 0 {
		return true
	}
	// Every step must be of the kind the schema has there.
	for i := range segs {
		parent := schemaAt(top, segs[:i])
		if parent == nil || schemaAt(top, segs[:i+1]) == nil {
			return false
		}
	}
	return true
}
