//go:build tools

// Package actionlint pins github.com/rhysd/actionlint, the GitHub Actions
// workflow checker make lint runs on .github/workflows (go run from this
// module, apart from the product's go.mod).
package actionlint

import _ "github.com/rhysd/actionlint/cmd/actionlint"
