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

// LineChange is one thing an operator line changes for the stack, with its
// source; Inferred marks a fact taken from the nearest source that could
// be read (testdata/lines/SOURCES.md says which and why).
type LineChange struct {
	Line     Line
	Change   string
	Source   string
	Inferred bool
}

// lineChanges are the changes that are no key of the contract (those come
// from Key.Since and Key.Until: Changes).
var lineChanges = []LineChange{
	{Line110, "the baseline: entrypoint.sh turns the environment into flags (a boolean is on only for \"true\", values expanded unquoted, a bad number stops CAA); cloud-api-adaptor reads peer-pods-cm only when its pods start, and the operator does not restart it: the stack does (osc-caa-ds pod-template hash)",
		CAA + " src/cloud-api-adaptor/entrypoint.sh; " + Operator + " controllers/openshift_controller.go processDaemonsetForCAA", false},
	{Line111, "the operator writes a default INITDATA for non-confidential peer pods (the pod VM image defaults to a restrictive agent policy); the stack writes INITDATA only when set, as before",
		"openshift/sandboxed-containers-operator PR #1294 (controllers/confidential_handler.go); " + CAA111 + " PR #218 (podvm restrictive agent policy)", true},
	{Line112, "environment parsed in Go (util.go BoolWithEnv, IntWithEnv): \"1\" or \"true\" is true, any other non-empty value false, a bad number silently the default; the stack writes only \"true\"/\"false\" and checked numbers, valid for every line",
		CAA112 + " src/cloud-providers/util.go", false},
	{Line112, "DISABLECVM defaults to true for libvirt in cloud-api-adaptor; the operator still writes it from its confidential feature gate",
		CAA112 + " src/cloud-providers/libvirt/manager.go", false},
	{Line112, "Azure workload identity: the operator's STS flow reads CLIENTID, TENANTID, SUBSCRIPTIONID (refused before)",
		OperatorNext + " controllers/credentials_controller.go checkAndSetupSTSWorkflow; PR #879 (Azure only, 2026-02)", true},
	{Line113, "AWS workload identity: the operator reads ROLEARN and cloud-api-adaptor no longer requires static keys (refused before, the 1.12 entrypoint.sh aws() requires them)",
		OperatorNext + " controllers/credentials_controller.go checkAndSetupSTSWorkflow; upstream cloud-api-adaptor v0.22.0", true},
	{Line113, "the operator restarts cloud-api-adaptor on a peer-pods-cm change (pod-template annotation peer-pods-cm/version) and offers an OnDelete update strategy: the stack no longer restarts it",
		"openshift/sandboxed-containers-operator@00b58ece10a5 controllers/peerpods.go configureCAA, ParseCAAUpdateStrategy (devel, bundle 1.13.1); PR #1950 approved after 1.12.0", true},
}

// changeOn says what line l changes for the key: "read from this line",
// "no longer read", or "" for no change.
func (k Key) changeOn(l Line) string {
	switch {
	case k.Since == l:
		return "read from this line"
	case k.Until == l:
		return "no longer read"
	}
	return ""
}

// Changes lists what each known line changes for the stack, line by line:
// the keys it starts or stops reading (of any cloud), then the other
// changes.
func Changes() []LineChange {
	var out []LineChange
	for _, l := range Lines {
		seen := map[string]bool{}
		add := func(k Key, what string) {
			if !seen[what] {
				seen[what] = true
				out = append(out, LineChange{Line: l, Change: what, Source: k.Source})
			}
		}
		for _, c := range Clouds {
			s := MustFor(c)
			for _, k := range s.Keys {
				if verb := k.changeOn(l); verb != "" {
					add(k, k.Name+" "+verb)
				}
			}
			for _, k := range s.SSHKeys {
				if verb := k.changeOn(l); verb != "" {
					add(k, fmt.Sprintf("%s of %s (%s) %s: the stack no longer writes it", k.Name, SSHKeySecretName, c, verb))
				}
			}
		}
		for _, ch := range lineChanges {
			if ch.Line == l {
				out = append(out, ch)
			}
		}
	}
	return out
}
