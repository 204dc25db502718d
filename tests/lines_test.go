package tests

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
)

// lineFacts are what one operator line's operator and cloud-api-adaptor
// read, as established from their sources (test data with the commit,
// file and function of each fact: components/contract/testdata/lines,
// SOURCES.md says how each line's sources were found and which facts are
// inferred).
type lineFacts struct {
	Line   string `json:"line"`
	Clouds map[contract.Cloud]struct {
		Keys []struct {
			Name              string   `json:"name"`
			LookedUpIn        []string `json:"lookedUpIn"`
			RequiredBy        []string `json:"requiredBy"`
			WrittenByOperator bool     `json:"writtenByOperator"`
			Format            string   `json:"format"`
		} `json:"keys"`
		SSHKeySecret struct {
			Used bool     `json:"used"`
			Keys []string `json:"keys"`
		} `json:"sshKeySecret"`
	} `json:"clouds"`
}

func readLineFacts(t *testing.T, l contract.Line) lineFacts {
	t.Helper()
	b, err := os.ReadFile(kubetest.RepoFile(t, "components/contract/testdata/lines/"+l.String()+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f lineFacts
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.Line != l.String() {
		t.Fatalf("facts of line %s say %s", l, f.Line)
	}
	return f
}

// qeSecretKeys are keys the stack also writes into peer-pods-secret for
// libvirt although cloud-api-adaptor and the operator's validator look for
// them in peer-pods-cm: Red Hat's QE test checkPeerPodSecrets looks in
// peer-pods-secret (testdata/lines/SOURCES.md, libvirt), and through
// envFrom cloud-api-adaptor gets the same value from either.
var qeSecretKeys = map[contract.Cloud][]string{contract.Libvirt: {"LIBVIRT_POOL", "LIBVIRT_VOL_NAME"}}

// imageJobKeys are read by the operator's pod VM image job, not by
// cloud-api-adaptor, so the line facts (of CAA and the validator) do not
// list them: BUCKET_NAME (operator config/peerpods/podvm/
// osc-podvm-create-job.yaml envFrom peer-pods-cm, aws-podvm-image-handler.sh),
// LIBVIRT_IMAGE_ID (controllers/image_generator.go isImageIDSet: set, no
// image job runs), REDHAT_OFFLINE_TOKEN (libvirt-podvm-image-handler.sh),
// at operator 8bdc9075055a; the later lines' image jobs were not read.
var imageJobKeys = []string{"BUCKET_NAME", "LIBVIRT_IMAGE_ID", "REDHAT_OFFLINE_TOKEN"}

// linesAccept checks the objects a stack renders against the facts of one
// line: every key is one the line reads in that object, every key its
// operator requires is present and non-empty where its validator looks,
// every key its cloud-api-adaptor requires is in the environment the
// DaemonSet gives it (the image key filled by the operator's image job),
// ssh-key-secret is written exactly when the line reads one and then has
// its keys, and values keep to the line's parsing (a boolean that only
// "true" turns on is "true" or "false"; a value entrypoint.sh expands
// unquoted has no white space).
func linesAccept(f lineFacts, cloud contract.Cloud, c cluster) error {
	facts := f.Clouds[cloud]
	objects := map[string]map[string]string{contract.ConfigMapName: c.cm, contract.SecretName: c.secret}
	env := maps.Clone(c.secret)
	maps.Copy(env, c.cm)
	var problems []string
	for name, data := range objects {
		for k, v := range data {
			i := slices.IndexFunc(facts.Keys, func(fk struct {
				Name              string   `json:"name"`
				LookedUpIn        []string `json:"lookedUpIn"`
				RequiredBy        []string `json:"requiredBy"`
				WrittenByOperator bool     `json:"writtenByOperator"`
				Format            string   `json:"format"`
			}) bool {
				return fk.Name == k
			})
			switch {
			case i < 0 && slices.Contains(imageJobKeys, k):
				continue
			case i < 0:
				problems = append(problems, fmt.Sprintf("%s: %s is not read by line %s", name, k, f.Line))
				continue
			case !slices.Contains(facts.Keys[i].LookedUpIn, name) && !(name == contract.SecretName && slices.Contains(qeSecretKeys[cloud], k)):
				problems = append(problems, fmt.Sprintf("%s: line %s looks for %s in %v", name, f.Line, k, facts.Keys[i].LookedUpIn))
			}
			format := facts.Keys[i].Format
			if strings.HasPrefix(format, "bool-exactly-true") && v != "true" && v != "false" {
				problems = append(problems, fmt.Sprintf("%s: %s is %q, which line %s reads as false", name, k, v, f.Line))
			}
			if strings.Contains(format, "unquoted") && strings.ContainsAny(v, " \t\n") {
				problems = append(problems, fmt.Sprintf("%s: %s has white space, which line %s's entrypoint.sh splits", name, k, f.Line))
			}
		}
	}
	for _, k := range facts.Keys {
		if k.WrittenByOperator {
			continue
		}
		if slices.Contains(k.RequiredBy, "operator") {
			for _, where := range k.LookedUpIn {
				if data := objects[where]; data != nil && data[k.Name] == "" {
					problems = append(problems, fmt.Sprintf("%s: %s missing or empty, which line %s's operator requires", where, k.Name, f.Line))
				}
			}
		}
		if slices.Contains(k.RequiredBy, "caa") && env[k.Name] == "" && (c.secret != nil || !slices.Contains(k.LookedUpIn, contract.SecretName)) {
			problems = append(problems, fmt.Sprintf("CAA environment: %s missing or empty, which line %s's cloud-api-adaptor requires", k.Name, f.Line))
		}
	}
	switch {
	case facts.SSHKeySecret.Used:
		for _, k := range facts.SSHKeySecret.Keys {
			if c.ssh[k] == "" {
				problems = append(problems, fmt.Sprintf("ssh-key-secret: %s missing or empty, which line %s's cloud-api-adaptor reads", k, f.Line))
			}
		}
	case c.ssh != nil:
		problems = append(problems, fmt.Sprintf("ssh-key-secret written, which line %s's cloud-api-adaptor does not read", f.Line))
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// TestEveryLineAcceptsTheExampleStacks renders every example stack's
// handoff for every known operator line (peerpods:operatorVersion) and
// checks the objects against that line's facts, read from the sources of
// that line (never from the contract the stack is written from). The
// check can fail: each required key taken away is caught.
func TestEveryLineAcceptsTheExampleStacks(t *testing.T) {
	for _, l := range contract.Lines {
		f := readLineFacts(t, l)
		for _, stack := range stacktest.ExampleStacks() {
			t.Run(l.String()+"/"+stack, func(t *testing.T) {
				cloud, objs := stacktest.RenderHandoff(t, stack, func(cfg map[string]string) { cfg["peerpods:operatorVersion"] = l.String() })
				c := clusterOf(t, objs)
				if err := linesAccept(f, cloud, c); err != nil {
					t.Fatal(err)
				}
				for _, k := range f.Clouds[cloud].Keys {
					if k.WrittenByOperator || !slices.Contains(k.RequiredBy, "operator") {
						continue
					}
					broken := cluster{cm: maps.Clone(c.cm), secret: maps.Clone(c.secret), ssh: c.ssh}
					delete(broken.cm, k.Name)
					delete(broken.secret, k.Name)
					if linesAccept(f, cloud, broken) == nil {
						t.Errorf("accepted without %s", k.Name)
					}
				}
			})
		}
	}
}
