package provider

import (
	"context"
	"testing"
)

// TestStackOfWithoutURN: a context without a resource names no stack (the
// refusal then says --stack <stack>).
func TestStackOfWithoutURN(t *testing.T) {
	if s := stackOf(context.Background()); s != "" {
		t.Errorf("stackOf = %q", s)
	}
}
