package provider

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/crypto/ssh"
)

// markerPrefix starts the comment of every authorized_keys line this
// provider installs; the rest is the owning resource's marker.
const markerPrefix = "peerpods:"

// newMarker returns a random marker naming one KvmHostAccess's line.
func newMarker() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// keyRestrictions are the authorized_keys options of every line this
// provider installs (sshd(8), AUTHORIZED_KEYS FILE FORMAT, OpenSSH 9.2 of
// Debian bookworm): restrict turns off the pty, agent and X11
// forwarding, ~/.ssh/rc and port forwarding; port-forwarding turns port
// forwarding on again, because this program's own libvirt client reaches
// libvirtd's unix socket over a direct-streamlocal channel
// (libvirt/conn, SSHDialer.Dial), which restrict refuses, and so would
// permitopen (measured against the e2e sshd: "connect failed (open
// failed)"). libvirt's own ssh transport, cloud-api-adaptor's, needs none
// of it: it runs a remote command (ssh -T -e none host sh -c '... nc -U
// SOCKET', seen on the e2e sshd with libvirt 9.0), which restrict allows.
const keyRestrictions = "restrict,port-forwarding"

// keyOptions are the options of the line of a key usable from the
// address ranges allowed only (from="...", every range as CIDR; none:
// from anywhere), and keyRestrictions.
func keyOptions(allowed []string) string {
	if len(allowed) == 0 {
		return keyRestrictions
	}
	return `from="` + strings.Join(allowed, ",") + `",` + keyRestrictions
}

// keyLine is the authorized_keys line a resource owns: options (see
// keyOptions; none in state written before them), then the public key
// with the comment "peerpods:<marker>", so that a replacement of the
// resource, or a second stack installing the same key, owns a line of
// its own and removing one never removes the other. State written before
// markers existed has none: its line is the public key as installed then.
func keyLine(publicKey, marker, options string) string {
	if marker == "" {
		return publicKey
	}
	f := strings.Fields(publicKey)
	if len(f) < 2 {
		return publicKey
	}
	line := f[0] + " " + f[1] + " " + markerPrefix + marker
	if options != "" {
		line = options + " " + line
	}
	return line
}

// lockName is the lock file, in ~/.ssh, that every edit of
// authorized_keys by this provider holds (flock), whichever stack or
// process runs it: two edits at once would each copy the old file and the
// second rename would drop the first one's line.
const lockName = ".authorized_keys.peerpods.lock"

// authorizedKeysScript adds ("add") or removes ("remove") the line read
// from stdin in ~/.ssh/authorized_keys, holding an exclusive flock on
// ~/.ssh/.authorized_keys.peerpods.lock (lockName) from before it reads
// the file until after it replaced it (flock, from util-linux, must be on
// the host; a lock held for 120 s is an error naming it). The file is
// never edited in place:
// the new content is written to a temporary file in the same directory
// (created by copying the old one, so mode and owner are kept), synced and
// renamed over the old one. Any failure exits non-zero before the rename,
// leaving the file as it was, and removes the temporary file; so does a
// grep that fails (exit 2) rather than finds nothing (exit 1). Adding a
// line that is there, or removing one that is not, changes nothing.
const authorizedKeysScript = `set -eu
umask 077
mode=$1
IFS= read -r line
dir="$HOME/.ssh"
f="$dir/authorized_keys"
mkdir -p "$dir"
command -v flock >/dev/null 2>&1 || { echo "flock (util-linux) is not installed on this host; it is needed to edit $f safely" >&2; exit 3; }
exec 9>>"$dir/` + lockName + `"
flock -w 120 9 || { echo "$dir/` + lockName + ` has been locked by another edit for 120 s" >&2; exit 4; }
present=1
if [ -f "$f" ]; then
  present=0
  grep -qxF -- "$line" "$f" || present=$?
  [ "$present" -le 1 ]
fi
if [ "$present" -eq 0 ]; then
  [ "$mode" = add ] && exit 0
else
  [ "$mode" = remove ] && exit 0
fi
tmp=$(mktemp "$dir/.authorized_keys.peerpods.XXXXXX")
trap 'rm -f "$tmp"' EXIT
if [ -f "$f" ]; then
  cp -p "$f" "$tmp"
fi
if [ "$mode" = add ]; then
  if [ -s "$tmp" ] && [ -n "$(tail -c 1 "$tmp")" ]; then echo >>"$tmp"; fi
  printf '%s\n' "$line" >>"$tmp"
else
  status=0
  grep -vxF -- "$line" "$f" >"$tmp" || status=$?
  [ "$status" -le 1 ]
fi
sync "$tmp" 2>/dev/null || sync
mv -f "$tmp" "$f"
trap - EXIT`

// editAuthorizedKeys runs authorizedKeysScript over the SSH connection.
func editAuthorizedKeys(c *ssh.Client, mode, line string) error {
	sess, err := c.NewSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	sess.Stdin = strings.NewReader(line + "\n")
	var stderr bytes.Buffer
	sess.Stderr = &stderr
	if err := sess.Run(authorizedKeysCommand(mode)); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// sourceAddress is the address the host's sshd sees the connection c
// come from (the first field of $SSH_CONNECTION), which is what from=
// matches.
func sourceAddress(c *ssh.Client) (netip.Addr, error) {
	sess, err := c.NewSession()
	if err != nil {
		return netip.Addr{}, err
	}
	defer sess.Close()
	out, err := sess.Output(`echo "$SSH_CONNECTION"`)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("reading $SSH_CONNECTION on the host: %w", err)
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return netip.Addr{}, errors.New("the host's sshd sets no $SSH_CONNECTION")
	}
	a, err := netip.ParseAddr(f[0])
	if err != nil {
		return netip.Addr{}, fmt.Errorf("$SSH_CONNECTION on the host: %w", err)
	}
	return a.Unmap(), nil
}

// checkSource refuses key options whose from= would not let this program
// in from src: it manages the pool and the volume with the same key.
func checkSource(src netip.Addr, allowed []string) error {
	if len(allowed) == 0 {
		return nil
	}
	for _, r := range allowed {
		if p, err := netip.ParsePrefix(r); err == nil && p.Contains(src) {
			return nil
		}
	}
	return fmt.Errorf("the host sees this program connect from %s, which allowedSources (%s) does not include: the key's from= would lock out the program, which manages the pool and the volume with that key; "+
		"fix: add %s/%d to allowedSources (peerpods:libvirt.allowedSources), or run the program from within those ranges", src, strings.Join(allowed, ","), src, src.BitLen())
}

// authorizedKeysCommand is the shell command that runs the script.
func authorizedKeysCommand(mode string) string {
	return "sh -c '" + strings.ReplaceAll(authorizedKeysScript, "'", `'\''`) + "' sh " + mode
}
