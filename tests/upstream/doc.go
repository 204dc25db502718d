// Package upstream holds reproductions of bugs in the frameworks this
// project builds on, each worked around in the product code. A test here
// asserts the bug as it is observed today, with the framework's public
// API only and types of its own, so that it fails on the day the bug is
// fixed upstream: its message then names the workaround to remove.
// docs/upstream/ describes each bug as an upstream issue.
package upstream
