package contract

import (
	"fmt"
	"strconv"
	"strings"
)

// Line is a release line of the sandboxed-containers operator, such as
// 1.12: the operator and the cloud-api-adaptor it ships change what they
// read from one line to the next, never within one.
type Line struct {
	// Major and Minor number the line.
	Major, Minor int
}

// The lines the contract knows, oldest first.
var (
	Line110 = Line{1, 10}
	Line111 = Line{1, 11}
	Line112 = Line{1, 12}
	Line113 = Line{1, 13}
	// Lines lists every known line, oldest first.
	Lines = []Line{Line110, Line111, Line112, Line113}
)

// OldestLine and NewestLine bound the known lines.
var (
	OldestLine = Lines[0]
	NewestLine = Lines[len(Lines)-1]
)

// String is the line as users write it: 1.12.
func (l Line) String() string { return fmt.Sprintf("%d.%d", l.Major, l.Minor) }

// IsZero reports whether l is unset.
func (l Line) IsZero() bool { return l == Line{} }

// Before reports whether l is an older line than m.
func (l Line) Before(m Line) bool {
	return l.Major < m.Major || l.Major == m.Major && l.Minor < m.Minor
}

// AtLeast reports whether l is m or a newer line.
func (l Line) AtLeast(m Line) bool { return !l.Before(m) }

// Known reports whether l is one of Lines.
func (l Line) Known() bool {
	for _, k := range Lines {
		if k == l {
			return true
		}
	}
	return false
}

// ParseVersion reads an operator version as its ClusterServiceVersion's
// spec.version or a user gives it: 1.12, 1.12.1, v1.12.1 or 1.12.1-3 (a
// pre-release or build suffix is ignored). A line older than OldestLine is
// an error; a newer minor than NewestLine gives NewestLine and a warning
// naming it (the newest contract the project knows is the nearest one);
// between known lines, the version's own line.
func ParseVersion(v string) (line Line, warning string, err error) {
	s := strings.TrimPrefix(strings.TrimSpace(v), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Line{}, "", fmt.Errorf("%q is not an operator version such as 1.12 or 1.12.1", v)
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Line{}, "", fmt.Errorf("%q is not an operator version such as 1.12 or 1.12.1", v)
		}
		nums[i] = n
	}
	l := Line{nums[0], nums[1]}
	switch {
	case l.Before(OldestLine):
		return Line{}, "", fmt.Errorf("operator version %s is older than %s, the oldest line peer pods are provisioned for here: upgrade the operator (OperatorHub, channel stable)", v, OldestLine)
	case NewestLine.Before(l):
		return NewestLine, fmt.Sprintf("operator version %s is newer than %s, the newest line this peerpods knows: the objects are written as %s reads them; check the release notes of %s for changes to peer-pods-cm and peer-pods-secret", v, NewestLine, NewestLine, l), nil
	case !l.Known():
		return Line{}, "", fmt.Errorf("operator version %s is no release line peer pods are provisioned for here (known: %s)", v, knownLines())
	}
	return l, "", nil
}

func knownLines() string {
	s := make([]string, len(Lines))
	for i, l := range Lines {
		s[i] = l.String()
	}
	return strings.Join(s, ", ")
}

// CAADaemonSet is the DaemonSet of cloud-api-adaptor the operator runs in
// Namespace (operator controllers/openshift_controller.go
// processDaemonsetForCAA at 1.10; controllers/peerpods.go configureCAA at
// devel 00b58ece10a5): its pods read peer-pods-cm and peer-pods-secret as
// their environment (envFrom) and ssh-key-secret at /root/.ssh, once, when
// they start.
const CAADaemonSet = "osc-caa-ds"

// OperatorRollsCAA reports whether the operator of line l restarts
// cloud-api-adaptor itself when peer-pods-cm changes: from 1.13, whose
// operator stamps the pod template with the ConfigMap's resourceVersion
// (annotation peer-pods-cm/version; operator PR #1950, controllers/peerpods.go
// configureCAA at devel 00b58ece10a5, bundle version 1.13.1). Inferred for
// 1.12 and 1.13: PR #1950 was approved on 2026-04-16, after 1.12.0 shipped
// (operator issue #2019 reports 1.12.0 on 2026-04-09), and no 1.12.z
// backport was found; components/contract/testdata/lines records it. On the
// older lines the docs restart osc-caa-ds by hand.
func (l Line) OperatorRollsCAA() bool { return l.AtLeast(Line113) }
