package common

// What this project makes is marked as its own (never as proof of
// ownership: that comes from Pulumi state).
const (
	// ManagedByLabel marks the Kubernetes objects this project writes.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByTag marks the cloud resources this project creates.
	ManagedByTag = "managed-by"
	// ManagedBy is the value of ManagedByLabel and ManagedByTag.
	ManagedBy = "peerpods"
)
