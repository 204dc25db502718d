package main

import (
	"fmt"

	"github.com/peerpods/provisioner/components/handoff"
)

// configMapManifest renders the configMap stack output as the peer-pods-cm
// object of the handoff model (for oc apply -f, or to read).
func configMapManifest(outputs map[string]any) ([]byte, error) {
	data, ok := outputs["configMap"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the stack has no configMap output; run peerpods up first")
	}
	y, err := handoff.RenderYAML([]any{handoff.ConfigMapObject(nil).PlainManifest(data)})
	return []byte(y), err
}
