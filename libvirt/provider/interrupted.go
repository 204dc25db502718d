package provider

import "fmt"

// Interrupted says what becomes of a create of one of this provider's
// resources that an interrupted run left pending in the state, once the
// next run has cleared it (the engine keeps a pending create until
// someone resolves it: pulumi/pkg/v3 backend/snapshot.go, SnapshotManager.Snap,
// "we don't want to clear pending CREATE operations"; peerpods clears it
// with the engine's pulumi refresh --clear-pending-creates). The resource
// is created again by the next up; the note says what the interrupted
// create may have left and how the next up treats it. It returns false
// for a type this provider does not serve.
func Interrupted(typ string, inputs map[string]any) (string, bool) {
	str := func(k string) string { s, _ := inputs[k].(string); return s }
	switch typ {
	case TypeStorageVolume:
		return fmt.Sprintf("it is created again: a volume %s left in pool %s is replaced by the next up only if its create marker proves this resource's interrupted create made it; otherwise the up reports the name clash and leaves that volume alone (after a destroy, a half-written volume and its marker %s are left: delete them with virsh vol-delete)",
			str("name"), str("pool"), markerName(str("name"), "<hash>")), true
	case TypeStoragePool:
		return "it is created again: a pool the interrupted run defined is adopted (and then left in place by destroy; remove it with virsh pool-destroy and pool-undefine)", true
	case TypeKvmHostAccess:
		port, _ := inputs["port"].(float64)
		return fmt.Sprintf("it is created again with a new key: an authorized_keys line whose comment starts with %q that the interrupted run may have added for %s@%s (port %v) stays; remove it by hand", markerPrefix, str("user"), str("host"), port), true
	}
	return "", false
}
