package contract

import (
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	for _, c := range []struct {
		in      string
		line    Line
		warning string
		err     string
	}{
		{in: "1.10.0", line: Line110},
		{in: "1.11.1", line: Line111},
		{in: "v1.12.2", line: Line112},
		{in: "1.13", line: Line113},
		{in: "1.12.1-3", line: Line112},
		{in: "1.14.0", line: Line113, warning: "newer than 1.13"},
		{in: "2.0.0", line: Line113, warning: "newer than 1.13"},
		{in: "1.9.1", err: "older than 1.10"},
		{in: "0.0.1", err: "older than 1.10"},
		{in: "1", err: "not an operator version"},
		{in: "1.x", err: "not an operator version"},
		{in: "", err: "not an operator version"},
	} {
		l, w, err := ParseVersion(c.in)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
		case err != nil:
			t.Errorf("%q: %v", c.in, err)
		case l != c.line || (c.warning == "") != (w == "") || !strings.Contains(w, c.warning):
			t.Errorf("%q: %s %q, want %s %q", c.in, l, w, c.line, c.warning)
		}
	}
	if !Line112.AtLeast(Line112) || !Line113.AtLeast(Line110) || Line110.AtLeast(Line111) {
		t.Error("AtLeast")
	}
}
