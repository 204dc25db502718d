package provider

import (
	"fmt"

	"github.com/peerpods/provisioner/components/problems"
	"k8s.io/client-go/tools/clientcmd"
)

// CheckKubeconfig checks the provider's cluster connection (the settings
// kubeconfig and kubeContext): a kubeconfig given loads, has a cluster
// and, when kubeContext is set, that context; a context needs a
// kubeconfig. No kubeconfig at all is valid (a provider that serves no
// NodeTaints). The kubeconfig's contents never reach the error.
func CheckKubeconfig(kubeconfig, kubeContext string) error {
	if kubeconfig == "" {
		if kubeContext != "" {
			return problems.Invalid("kubeContext", "is set, but kubeconfig is not", "set kubeconfig too, or leave kubeContext out")
		}
		return nil
	}
	cfg, err := clientcmd.Load([]byte(kubeconfig))
	if err != nil || len(cfg.Clusters) == 0 {
		return problems.Invalid("kubeconfig", "is not a kubeconfig (it cannot be loaded, or has no clusters)",
			"pass the contents of the cluster's kubeconfig, not its path")
	}
	if kubeContext != "" {
		if _, ok := cfg.Contexts[kubeContext]; !ok {
			return problems.Invalid("kubeContext", fmt.Sprintf("is %q, which is not a context of the kubeconfig", kubeContext),
				"name one of the kubeconfig's contexts, or leave kubeContext out to use its current one")
		}
	}
	return nil
}
