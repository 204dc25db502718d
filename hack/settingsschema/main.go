// Command settingsschema writes stacks/settings.schema.json, the JSON
// Schema of the stack files, from the settings' Go types
// (stacks.GenerateSchema), and docs/settings.md, the reference rendered
// from it (stacks.SettingsReference). Run it as go generate ./stacks.
package main

import (
	"fmt"
	"os"

	"github.com/peerpods/provisioner/stacks"
)

func main() {
	// go generate runs it in stacks/.
	schema, err := stacks.GenerateSchema(".")
	if err == nil {
		err = os.WriteFile(stacks.SchemaFile, schema, 0o644)
	}
	var ref []byte
	if err == nil {
		ref, err = stacks.SettingsReference(schema)
	}
	if err == nil {
		err = os.WriteFile(stacks.ReferenceFile, ref, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "settingsschema:", err)
		os.Exit(1)
	}
}
