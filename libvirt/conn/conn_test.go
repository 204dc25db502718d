package conn

import (
	"strings"
	"testing"
)

func TestOpenSSHNeedsPinnedKey(t *testing.T) {
	if _, err := Open("qemu+ssh://root@127.0.0.1:1/system", Credentials{PrivateKey: "x"}); err == nil || !strings.Contains(err.Error(), "host key") {
		t.Errorf("without host key: %v", err)
	}
	if _, err := Open("qemu+ssh://root@127.0.0.1:1/system", Credentials{HostKey: "x"}); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Errorf("without private key: %v", err)
	}
}
