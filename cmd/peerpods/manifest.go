package main

import (
	"fmt"

	"github.com/peerpods/provisioner/components"
	"gopkg.in/yaml.v3"
)

// configMapManifest renders the configMap stack output as the peer-pods-cm
// manifest the handoff writes (for oc apply -f, or to read).
func configMapManifest(outputs map[string]any) ([]byte, error) {
	data, ok := outputs["configMap"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the stack has no configMap output; run peerpods up first")
	}
	return yaml.Marshal(map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":      components.ConfigMapName,
			"namespace": components.OperatorNamespace,
			"labels":    map[string]string{components.ManagedByLabel: components.ManagedBy},
		},
		"data": data,
	})
}
