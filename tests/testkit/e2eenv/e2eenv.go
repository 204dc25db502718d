// Package e2eenv reads the environment the end-to-end backends set up
// (hack/backends/env.sh, sourced by make e2e): a missing variable fails the
// test, it never skips it.
package e2eenv

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the value of key, failing the test when it is unset.
func Require(tb testing.TB, key string) string {
	tb.Helper()
	v := os.Getenv(key)
	if v == "" {
		tb.Fatalf("%s is not set: run the end-to-end tests with make e2e (it starts the backends of hack/backends and sources hack/backends/env.sh)", key)
	}
	return v
}

// VirshAsCAA is a virsh command connecting to uri as cloud-api-adaptor's
// libvirt does: as root, HOME=/root, and /root/.ssh holding exactly the
// files of sshDir (as the operator mounts ssh-key-secret there), in a
// private mount namespace: a tmpfs over /root, so nothing of this
// machine's root account is seen or changed. OpenSSH takes ~ from the
// password database, not from $HOME, so the files must be at /root/.ssh.
func VirshAsCAA(sshDir, uri string, args ...string) *exec.Cmd {
	const script = `mount -t tmpfs -o mode=0700 tmpfs /root && mkdir -m 0700 /root/.ssh && mount --bind "$1" /root/.ssh && shift && exec env HOME=/root virsh -c "$@"`
	return exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", sshDir, uri}, args...)...)
}
