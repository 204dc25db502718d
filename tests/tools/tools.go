//go:build tools

// Package tools pins the Pulumi CLI the tests build (go build
// github.com/pulumi/pulumi/pkg/v3/cmd/pulumi); it has no code of its own.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
