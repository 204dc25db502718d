package provider

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl peerpods"

// runKeysScript runs the script the provider sends over SSH with the
// system's sh, HOME at home and fakes (commands that fail) first on PATH.
func runKeysScript(t *testing.T, home, mode, line string, failing ...string) error {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range failing {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\necho \"$0: simulated I/O error\" >&2\nexit 2\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", "-c", authorizedKeysCommand(mode))
	cmd.Env = []string{"HOME=" + home, "PATH=" + bin + ":" + os.Getenv("PATH")}
	cmd.Stdin = strings.NewReader(line + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("%s: %s", mode, out)
	}
	return err
}

func readKeys(t *testing.T, home string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, ".ssh", "authorized_keys"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// leftovers lists files in ~/.ssh other than authorized_keys.
func leftovers(t *testing.T, home string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(home, ".ssh"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != "authorized_keys" && e.Name() != lockName {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestAuthorizedKeysOwnership: each resource's line carries its own
// marker; removing one resource's line (a replacement's old resource, or
// another stack's) leaves the other, and everything else, in place; mode
// and the user's lines survive; adding twice adds once.
func TestAuthorizedKeysOwnership(t *testing.T) {
	home := t.TempDir()
	ssh := filepath.Join(home, ".ssh")
	if err := os.Mkdir(ssh, 0o700); err != nil {
		t.Fatal(err)
	}
	user := "ssh-rsa AAAAB3NzaC1yc2E user@laptop" // no trailing newline
	if err := os.WriteFile(filepath.Join(ssh, "authorized_keys"), []byte(user), 0o640); err != nil {
		t.Fatal(err)
	}
	a, b := keyLine(testKey, "aaaa", testOptions), keyLine(testKey, "bbbb", testOptions)
	if a == b || !strings.HasSuffix(a, " peerpods:aaaa") || keyLine(testKey, "", testOptions) != testKey {
		t.Fatalf("lines %q %q", a, b)
	}
	for _, line := range []string{a, b, a} {
		if err := runKeysScript(t, home, "add", line); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := readKeys(t, home), user+"\n"+a+"\n"+b+"\n"; got != want {
		t.Fatalf("after adding: %q\nwant %q", got, want)
	}
	if err := runKeysScript(t, home, "remove", a); err != nil {
		t.Fatal(err)
	}
	if got, want := readKeys(t, home), user+"\n"+b+"\n"; got != want {
		t.Fatalf("after removing a: %q\nwant %q", got, want)
	}
	if err := runKeysScript(t, home, "remove", a); err != nil { // already gone
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(ssh, "authorized_keys"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the file's 0640 kept", fi.Mode().Perm())
	}
	if l := leftovers(t, home); len(l) != 0 {
		t.Errorf("files left in ~/.ssh: %v", l)
	}

	// No ~/.ssh at all: created, the file 0600.
	fresh := t.TempDir()
	if err := runKeysScript(t, fresh, "add", a); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(fresh, ".ssh", "authorized_keys")); err != nil || fi.Mode().Perm() != 0o600 || readKeys(t, fresh) != a+"\n" {
		t.Fatalf("fresh authorized_keys: %v %v %q", err, fi, readKeys(t, fresh))
	}
	if err := runKeysScript(t, t.TempDir(), "remove", a); err != nil {
		t.Fatalf("removing from a missing file: %v", err)
	}
}

// TestAuthorizedKeysFailureLeavesFileAlone: when writing the new content,
// syncing it or renaming it fails, the script fails, authorized_keys is
// byte for byte what it was, and no temporary file is left behind.
func TestAuthorizedKeysFailureLeavesFileAlone(t *testing.T) {
	for _, c := range []struct {
		mode, fail string
	}{
		{"add", "mv"}, {"add", "sync"}, {"add", "cp"}, {"remove", "mv"}, {"remove", "sync"}, {"remove", "cp"},
	} {
		t.Run(c.mode+" with failing "+c.fail, func(t *testing.T) {
			home := t.TempDir()
			if err := os.Mkdir(filepath.Join(home, ".ssh"), 0o700); err != nil {
				t.Fatal(err)
			}
			before := "ssh-rsa AAAAB3NzaC1yc2E user@laptop\n" + keyLine(testKey, "aaaa", testOptions) + "\n"
			if err := os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), []byte(before), 0o600); err != nil {
				t.Fatal(err)
			}
			line := keyLine(testKey, "aaaa", testOptions)
			if c.mode == "add" {
				line = keyLine(testKey, "bbbb", testOptions)
			}
			if err := runKeysScript(t, home, c.mode, line, c.fail); err == nil {
				t.Fatal("the script succeeded although a command failed")
			}
			if got := readKeys(t, home); got != before {
				t.Errorf("authorized_keys changed: %q", got)
			}
			if l := leftovers(t, home); len(l) != 0 {
				t.Errorf("files left in ~/.ssh: %v", l)
			}
		})
	}
	// grep failing with an I/O error (exit 2) while filtering is a
	// failure, not "no line left" (exit 1).
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	before := keyLine(testKey, "aaaa", testOptions) + "\n"
	if err := os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runKeysScript(t, home, "remove", keyLine(testKey, "aaaa", testOptions), "grep"); err == nil {
		t.Fatal("remove succeeded with grep failing")
	}
	if got := readKeys(t, home); got != before {
		t.Errorf("authorized_keys changed: %q", got)
	}
}

// TestKeysScriptEditsOneAtATime: many adds and removes at once, as two
// stacks' KvmHostAccess may run them on one host, lose no line: each edit
// holds the lock from its read to its rename. (Without the lock, this
// test lost lines: each edit copied the file before the other's rename.)
func TestKeysScriptEditsOneAtATime(t *testing.T) {
	home := t.TempDir()
	line := func(i int) string { return keyLine(testKey, fmt.Sprintf("m%02d", i), testOptions) }
	const n = 24
	run := func(mode string, from, to int) {
		var wg sync.WaitGroup
		errs := make(chan error, to-from)
		for i := from; i < to; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- runKeysScript(t, home, mode, line(i))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	run("add", 0, n)
	for i := 0; i < n; i++ {
		if !strings.Contains(readKeys(t, home), line(i)+"\n") {
			t.Fatalf("line %d lost among %d added at once:\n%s", i, n, readKeys(t, home))
		}
	}
	// Half removed while the other half is added again (no change).
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); run("remove", 0, n/2) }()
	go func() { defer wg.Done(); run("add", n/2, n) }()
	wg.Wait()
	got := readKeys(t, home)
	for i := 0; i < n; i++ {
		if has := strings.Contains(got, line(i)+"\n"); has != (i >= n/2) {
			t.Errorf("line %d present %t after removing the first half", i, has)
		}
	}
	if l := leftovers(t, home); len(l) != 0 {
		t.Errorf("left in ~/.ssh: %v", l)
	}
}

// TestKeysScriptNeedsFlock: a host without flock is an error that says so,
// and the file is left as it was.
func TestKeysScriptNeedsFlock(t *testing.T) {
	home := t.TempDir()
	if err := runKeysScript(t, home, "add", keyLine(testKey, "a", testOptions)); err != nil {
		t.Fatal(err)
	}
	before := readKeys(t, home)
	// A PATH with sh and the script's tools but no flock.
	bin := t.TempDir()
	for _, tool := range []string{"sh", "grep", "mkdir", "mktemp", "cp", "tail", "sync", "mv", "rm"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(path, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(filepath.Join(bin, "sh"), "-c", authorizedKeysCommand("add"))
	cmd.Env = []string{"HOME=" + home, "PATH=" + bin}
	cmd.Stdin = strings.NewReader(keyLine(testKey, "b", testOptions) + "\n")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "flock (util-linux) is not installed") {
		t.Fatalf("without flock: %v\n%s", err, out)
	}
	if readKeys(t, home) != before {
		t.Error("the file changed")
	}
}

// testOptions are key options with a from= of two ranges (quotes in the
// line the script matches).
var testOptions = keyOptions([]string{"10.0.0.0/16", "192.168.1.0/24"})

// TestKeyOptions: the line's options, exactly: from= with every range,
// then the restrictions; none without ranges but the restrictions; the
// program's source inside the ranges or refused, naming the setting.
func TestKeyOptions(t *testing.T) {
	const restrictions = "restrict,port-forwarding"
	if got := keyLine(testKey, "aaaa", testOptions); got != `from="10.0.0.0/16,192.168.1.0/24",`+restrictions+" "+strings.Join(strings.Fields(testKey)[:2], " ")+" peerpods:aaaa" {
		t.Errorf("line %q", got)
	}
	if got := keyOptions(nil); got != restrictions {
		t.Errorf("options without ranges %q", got)
	}
	if err := checkSource(netip.MustParseAddr("192.168.1.7"), []string{"10.0.0.0/16", "192.168.1.0/24"}); err != nil {
		t.Error(err)
	}
	if err := checkSource(netip.MustParseAddr("127.0.0.2"), nil); err != nil {
		t.Error(err)
	}
	err := checkSource(netip.MustParseAddr("172.16.0.9"), []string{"10.0.0.0/16"})
	if err == nil || !strings.Contains(err.Error(), "from 172.16.0.9") || !strings.Contains(err.Error(), "peerpods:libvirt.allowedSources") || !strings.Contains(err.Error(), "172.16.0.9/32") {
		t.Errorf("a source outside: %v", err)
	}
}
