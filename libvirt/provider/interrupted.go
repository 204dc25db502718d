package provider

import "fmt"

// Interruption is how the next run resolves a create of one of this
// provider's resources that an interrupted run left pending in the state
// (the engine keeps a pending create until someone resolves it:
// pulumi/pkg/v3 backend/snapshot.go, "we don't want to clear pending
// CREATE operations").
type Interruption struct {
	// ID, when set, is the resource's ID, derived from its inputs: the
	// object may exist, half made (a volume whose upload was cut); the
	// resource is recorded in the state with this ID and no content hash,
	// so that a refresh drops it when it is gone and the next up replaces
	// whatever is there.
	ID string
	// Note says what happens otherwise: the create is dropped and runs
	// again, and what it may have left.
	Note string
}

// Interrupted returns how an interrupted create of a resource of type
// typ with the given (checked) inputs is resolved, and false for a type
// this provider does not serve.
func Interrupted(typ string, inputs map[string]any) (Interruption, bool) {
	str := func(k string) string { s, _ := inputs[k].(string); return s }
	switch typ {
	case TypeStorageVolume:
		if str("pool") == "" || str("name") == "" {
			return Interruption{Note: "its inputs name no pool and volume: it is created again"}, true
		}
		return Interruption{ID: str("pool") + "/" + str("name")}, true
	case TypeStoragePool:
		return Interruption{Note: "it is created again: a pool the interrupted run defined is adopted (and then left in place by destroy; remove it with virsh pool-destroy and pool-undefine)"}, true
	case TypeKvmHostAccess:
		port, _ := inputs["port"].(float64)
		return Interruption{Note: fmt.Sprintf("it is created again with a new key: an authorized_keys line whose comment starts with %q that the interrupted run may have added for %s@%s (port %v) stays; remove it by hand", markerPrefix, str("user"), str("host"), port)}, true
	}
	return Interruption{}, false
}
