package actiontest

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	unlisted, missing := Diff([]string{"b", "a", "c", "a"}, []string{"a", "b", "d"})
	if !reflect.DeepEqual(unlisted, []string{"c"}) || !reflect.DeepEqual(missing, []string{"d"}) {
		t.Errorf("unlisted %v missing %v", unlisted, missing)
	}
	if u, m := Diff([]string{"a"}, []string{"a"}); u != nil || m != nil {
		t.Errorf("equal sets: %v %v", u, m)
	}
}

func TestCheckFails(t *testing.T) {
	var ft fakeT
	Check(&ft, "policy", []string{"x"}, []string{"y"})
	if len(ft.errs) != 2 || !strings.Contains(ft.errs[0], "[x]") || !strings.Contains(ft.errs[1], "[y]") {
		t.Errorf("errors %q", ft.errs)
	}
}

func TestReadRefusesBadLists(t *testing.T) {
	for name, body := range map[string]string{
		"twice":      `{"source":"s","branch":"b","actions":[{"action":"a","uses":[{"file":"src/f.go","function":"F","call":"c"}]},{"action":"a","uses":[{"file":"src/f.go","function":"F","call":"c"}]}]}`,
		"no use":     `{"source":"s","branch":"b","actions":[{"action":"a","uses":[]}]}`,
		"no file":    `{"source":"s","branch":"b","actions":[{"action":"a","uses":[{"function":"F","call":"c"}]}]}`,
		"no branch":  `{"source":"s","actions":[{"action":"a","uses":[{"file":"src/f.go","function":"F","call":"c"}]}]}`,
		"odd fields": `{"source":"s","branch":"b","why":"x","actions":[{"action":"a","uses":[{"file":"src/f.go","function":"F","call":"c"}]}]}`,
	} {
		p := filepath.Join(t.TempDir(), "l.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		var ft fakeT
		func() {
			defer func() { _ = recover() }()
			Read(&ft, p)
		}()
		if !ft.fatal {
			t.Errorf("%s: read without failing", name)
		}
	}
	l := List{Source: "s", Branch: "b", Actions: []Action{
		{Action: "a", Role: "r", Uses: []Use{{File: "src/f.go", Function: "F", Call: "c"}}},
		{Action: "b", Role: "r", When: []string{"Y", "X"}, Uses: []Use{{File: "src/f.go", Function: "F", Call: "c"}}},
	}}
	if got := l.Want("r"); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("want %v", got)
	}
	if got := l.Want("r", "X"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("want with X %v", got)
	}
}

// fakeT records what a helper reports.
type fakeT struct {
	testing.TB
	errs  []string
	fatal bool
}

func (f *fakeT) Helper()                   {}
func (f *fakeT) Errorf(s string, a ...any) { f.errs = append(f.errs, sprintf(s, a...)) }
func (f *fakeT) Fatalf(s string, a ...any) { f.fatal = true; panic("fatal") }
func (f *fakeT) Fatal(a ...any)            { f.fatal = true; panic("fatal") }

func sprintf(s string, a ...any) string { return fmt.Sprintf(s, a...) }
