package e2eenv

import "testing"

func TestRequire(t *testing.T) {
	t.Setenv("PEERPODS_E2EENV_TEST", "x")
	if got := Require(t, "PEERPODS_E2EENV_TEST"); got != "x" {
		t.Errorf("got %q", got)
	}
}
