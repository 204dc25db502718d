package problems

import (
	"errors"
	"fmt"
	"strings"
)

// InputError is a bad input: the setting it came from, what is wrong with
// it, and how to fix it.
type InputError struct {
	// Setting names the input, as the user wrote it: a stack config key such
	// as "aws.subnetId", or a component argument.
	Setting string
	// Problem says what is wrong, completing "<setting> ...".
	Problem string
	// Fix says what to do instead.
	Fix string
}

// Invalid returns an *InputError.
func Invalid(setting, problem, fix string) *InputError {
	return &InputError{Setting: setting, Problem: problem, Fix: fix}
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s %s; fix: %s", e.Setting, e.Problem, e.Fix)
}

// Within returns a copy of e whose Setting is prefixed by scope, such as
// "peerpods:" for stack config keys.
func (e *InputError) Within(scope string) *InputError {
	c := *e
	c.Setting = scope + e.Setting
	return &c
}

// Problems collects input errors, so that every bad setting is reported in
// one error instead of one per run.
type List []error

// Add records err if it is not nil, and not an *InputError equal to one
// already recorded (two checks of the same value report it once).
func (p *List) Add(err error) {
	if err == nil {
		return
	}
	if ie, ok := err.(*InputError); ok {
		for _, e := range *p {
			if old, ok := e.(*InputError); ok && *old == *ie {
				return
			}
		}
	}
	*p = append(*p, err)
}

// Err returns nil when there is no problem, the error itself when there is
// one, and one error listing all of them otherwise.
func (p List) Err() error {
	switch len(p) {
	case 0:
		return nil
	case 1:
		return p[0]
	}
	lines := make([]string, len(p))
	for i, e := range p {
		lines[i] = "  - " + e.Error()
	}
	return &multiError{errs: p, msg: fmt.Sprintf("%d invalid settings:\n%s", len(p), strings.Join(lines, "\n"))}
}

type multiError struct {
	errs []error
	msg  string
}

func (m *multiError) Error() string   { return m.msg }
func (m *multiError) Unwrap() []error { return m.errs }

// InputErrors returns every *InputError inside err.
func InputErrors(err error) []*InputError {
	var out []*InputError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if ie, ok := e.(*InputError); ok {
			out = append(out, ie)
			return
		}
		if u, ok := e.(interface{ Unwrap() []error }); ok {
			for _, c := range u.Unwrap() {
				walk(c)
			}
			return
		}
		walk(errors.Unwrap(e))
	}
	walk(err)
	return out
}

// AddWithin records err like Add, with the Setting of every *InputError in
// it prefixed by scope; other errors are recorded as they are.
func (p *List) AddWithin(scope string, err error) {
	if err == nil {
		return
	}
	inputs := InputErrors(err)
	if len(inputs) == 0 {
		p.Add(err)
		return
	}
	for _, ie := range inputs {
		p.Add(ie.Within(scope))
	}
}

// LookupFailed is the error of a discovery lookup that failed: it names
// the setting that led to the lookup, what was read, the cloud's own
// message, and the fix, in the same form as every other bad setting.
func LookupFailed(setting, what string, err error, fix string) error {
	return Invalid(setting, fmt.Sprintf("leads to %s, which cannot be read (%v)", what, err), fix)
}
