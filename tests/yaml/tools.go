//go:build tools

// Package tools pins the Pulumi YAML language host that the e2e tests build
// (go build github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml, see
// hack/yaml-host.sh); it has no code of its own. It is a module of its own
// so that pulumi-yaml keeps the pulumi/pkg and sdk versions it asks for,
// whatever tests/tools pins for the CLI.
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
