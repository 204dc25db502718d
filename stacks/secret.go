package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Secret is a secret setting's value. Printed in any form (%v, %+v, %#v,
// %s, %q), or marshalled to JSON or text, it shows as [secret], so that a
// Config printed by mistake shows no secret; Reveal gives the value.
type Secret struct{ value string }

// redacted is what a Secret prints as.
const redacted = "[secret]"

// NewSecret wraps a secret value.
func NewSecret(v string) Secret { return Secret{v} }

// Reveal returns the value.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the value is not empty.
func (s Secret) IsSet() bool { return s.value != "" }

// Input returns the value as a secret Pulumi input, nil when empty.
func (s Secret) Input() pulumi.StringInput {
	if s.value == "" {
		return nil
	}
	return pulumi.ToSecret(pulumi.String(s.value)).(pulumi.StringOutput)
}

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer (%#v).
func (Secret) GoString() string { return redacted }

// Format implements fmt.Formatter: every verb prints [secret].
func (Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, redacted) }

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler (map keys, YAML, logs).
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
