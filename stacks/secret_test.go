package stacks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("hunter2")
	if s.Reveal() != "hunter2" || !s.IsSet() || NewSecret("").IsSet() {
		t.Fatal("Reveal or IsSet is wrong")
	}
	v := struct{ S Secret }{s}
	var printed []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		printed = append(printed, fmt.Sprintf(verb, v), fmt.Sprintf(verb, s))
	}
	j, _ := json.Marshal(v)
	txt, _ := s.MarshalText()
	printed = append(printed, string(j), string(txt), s.String(), s.GoString())
	for _, p := range printed {
		if strings.Contains(p, "hunter2") || !strings.Contains(p, redacted) {
			t.Errorf("printed as %q", p)
		}
	}
	if NewSecret("").Input() != nil {
		t.Error("an empty secret gives an input")
	}
	if s.Input() == nil {
		t.Error("a secret gives no input")
	}
}
