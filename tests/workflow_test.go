package tests

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	"gopkg.in/yaml.v3"
)

// workflow is the part of a GitHub Actions workflow the checks read.
type workflow struct {
	On          any               `yaml:"on"`
	Permissions any               `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]struct {
		If          string            `yaml:"if"`
		Environment any               `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Env         map[string]string `yaml:"env"`
		Steps       []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]any    `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var (
	pinned  = regexp.MustCompile(`^[^@]+@[0-9a-f]{40}$`)
	secrets = regexp.MustCompile(`\$\{\{\s*secrets\.`)
)

// workflowProblems checks a workflow for what actionlint does not:
// nothing granted by default, every action pinned by commit, checkout
// keeping no token, and no secret in a job that runs a pull request's
// code unless the job waits for an environment's approval and runs for
// the repository's own branches only (forks never get secrets). A job
// that may write to the repository or its pull requests runs no
// checked-out code of a pull request. Jobs of a workflow that pull
// requests do not trigger (such as a release on tag push) run no pull
// request's code.
func workflowProblems(src []byte) []string {
	var w workflow
	if err := yaml.Unmarshal(src, &w); err != nil {
		return []string{err.Error()}
	}
	var out []string
	if m, ok := w.Permissions.(map[string]any); !ok || len(m) != 0 {
		out = append(out, "top level: permissions is not {}")
	}
	for k, v := range w.Env {
		if secrets.MatchString(v) {
			out = append(out, fmt.Sprintf("top level: env %s holds a secret, which every job gets", k))
		}
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range w.Jobs {
			if !yield(k) {
				return
			}
		}
	}) {
		j := w.Jobs[name]
		onPR := triggeredByPullRequests(w.On) && !strings.Contains(j.If, "github.event_name == 'push'")
		checksOut, usesSecrets := false, false
		for _, v := range j.Env {
			usesSecrets = usesSecrets || secrets.MatchString(v)
		}
		for i, s := range j.Steps {
			switch {
			case s.Uses == "" || strings.HasPrefix(s.Uses, "./"):
			case !pinned.MatchString(s.Uses):
				out = append(out, fmt.Sprintf("%s step %d: %s is not pinned by commit", name, i, s.Uses))
			}
			if strings.HasPrefix(s.Uses, "actions/checkout@") {
				checksOut = true
				if fmt.Sprint(s.With["persist-credentials"]) != "false" {
					out = append(out, fmt.Sprintf("%s step %d: checkout keeps its token (persist-credentials: false)", name, i))
				}
			}
			for _, v := range s.Env {
				usesSecrets = usesSecrets || secrets.MatchString(v)
			}
			for _, v := range s.With {
				usesSecrets = usesSecrets || secrets.MatchString(fmt.Sprint(v))
			}
		}
		if onPR && checksOut && usesSecrets && (j.Environment == nil || !strings.Contains(j.If, "github.event.pull_request.head.repo.full_name == github.repository")) {
			out = append(out, fmt.Sprintf("%s: runs a pull request's code with secrets, without an environment's approval and the repository's-own-branches condition", name))
		}
		for perm, level := range j.Permissions {
			if level == "write" && perm != "id-token" && checksOut && onPR {
				out = append(out, fmt.Sprintf("%s: may write %s and runs a pull request's code", name, perm))
			}
		}
	}
	return out
}

// triggeredByPullRequests reports whether a workflow's on: (a string, a
// list or a map of events) has a pull request event, or is unreadable.
func triggeredByPullRequests(on any) bool {
	var events []string
	switch v := on.(type) {
	case string:
		events = []string{v}
	case []any:
		for _, e := range v {
			events = append(events, fmt.Sprint(e))
		}
	case map[string]any:
		for e := range v {
			events = append(events, e)
		}
	default:
		return true
	}
	return slices.ContainsFunc(events, func(e string) bool { return strings.HasPrefix(e, "pull_request") })
}

// TestWorkflows holds every workflow of the repository to
// workflowProblems.
func TestWorkflows(t *testing.T) {
	dir := kubetest.RepoFile(t, ".github/workflows")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yml") && !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		n++
		src, err := os.ReadFile(dir + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if p := workflowProblems(src); len(p) != 0 {
			t.Errorf("%s: %s", e.Name(), strings.Join(p, "; "))
		}
	}
	if n < 2 {
		t.Errorf("%d workflows in %s, want preview.yml and release.yml at least", n, dir)
	}
}

// TestReleaseWorkflow: the release workflow runs on tag pushes only, with
// the right to write the repository's contents (the release) in its job
// alone; the same job on pull requests would be refused.
func TestReleaseWorkflow(t *testing.T) {
	src, err := os.ReadFile(kubetest.RepoFile(t, ".github/workflows/release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if p := workflowProblems(src); len(p) != 0 {
		t.Fatalf("release.yml: %s", strings.Join(p, "; "))
	}
	for _, want := range []string{"tags: [\"v*\"]", "permissions: {contents: write}", "make release VERSION=\"${TAG#v}\"", "REQUIRE_SDK_VERSION: \"1\"", "gh release create"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("release.yml has no %q", want)
		}
	}
	onPR := strings.Replace(strings.Replace(string(src), "  push:\n    tags: [\"v*\"]\n", "  pull_request:\n", 1),
		"    if: github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v')\n", "", 1)
	if p := workflowProblems([]byte(onPR)); !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, "may write contents and runs a pull request's code") }) {
		t.Errorf("release.yml on pull requests: not caught (%v)", p)
	}
}

// TestWorkflowLeastPrivilege holds the repository's workflow to
// workflowProblems, and shows each check fails on the mistake it is for.
func TestWorkflowLeastPrivilege(t *testing.T) {
	src, err := os.ReadFile(kubetest.RepoFile(t, ".github/workflows/preview.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if p := workflowProblems(src); len(p) != 0 {
		t.Fatalf("the workflow: %s", strings.Join(p, "; "))
	}
	for what, change := range map[string][2]string{
		"not pinned by commit":                 {"actions/setup-go@40f1582b2485089dde7abd97c1529aa768e1baff", "actions/setup-go@v5"},
		"permissions is not {}":                {"permissions: {}\n", "permissions: write-all\n"},
		"persist-credentials":                  {"with: {persist-credentials: false}", "with: {persist-credentials: true}"},
		"holds a secret, which every job gets": {"  PULUMI_VERSION: 3.250.0\n", "  PULUMI_VERSION: 3.250.0\n  TOKEN: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}\n"},
		"without an environment's approval":    {"    environment: preview\n", ""},
		"may write pull-requests and runs a pull request's code": {"    permissions: {contents: read, id-token: write}\n    env:\n      PULUMI_BACKEND_URL: ${{ vars.PULUMI_BACKEND_URL }}\n    steps:\n      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0\n        with: {persist-credentials: false}\n      - uses: actions/setup-go@40f1582b2485089dde7abd97c1529aa768e1baff # v5.6.0\n        with: {go-version-file: go.mod}\n      - uses: pulumi/actions",
			"    permissions: {contents: read, id-token: write, pull-requests: write}\n    env:\n      PULUMI_BACKEND_URL: ${{ vars.PULUMI_BACKEND_URL }}\n    steps:\n      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0\n        with: {persist-credentials: false}\n      - uses: actions/setup-go@40f1582b2485089dde7abd97c1529aa768e1baff # v5.6.0\n        with: {go-version-file: go.mod}\n      - uses: pulumi/actions"},
	} {
		if !strings.Contains(string(src), change[0]) {
			t.Fatalf("%s: the workflow has no %q to change", what, change[0])
		}
		bad := strings.Replace(string(src), change[0], change[1], 1)
		if p := workflowProblems([]byte(bad)); !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, what) }) {
			t.Errorf("%s: not caught (%v)", what, p)
		}
	}
}
