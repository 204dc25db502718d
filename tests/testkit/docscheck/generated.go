package docscheck

import (
	"os"
	"strings"
	"testing"
)

// Generated checks that the page at path holds content between the
// markers begin and end. With update it rewrites that section; otherwise
// a difference fails t with stale, which names the command that
// regenerates it.
func Generated(t *testing.T, path, begin, end, content string, update bool, stale string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(data), begin)
	_, after, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("%s has no %q ... %q section", path, begin, end)
	}
	want := before + begin + content + end + after
	if want == string(data) {
		return
	}
	if update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Error(stale)
}
