package stacks_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/stacks"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	"gopkg.in/yaml.v3"
)

// peerpods discover on a stack file the cluster no longer agrees with: a
// differing value and a missing one are the changes, with both values and
// where the cluster's was read; Record writes them with their source
// comment and keeps every other key, comment and secret, after which the
// file agrees with the cluster.
func TestCompareAndRecord(t *testing.T) {
	f := facts(t, clustertest.For(contract.AWS))
	file := `encryptionsalt: v1:abc
config:
  # The cloud.
  peerpods:cloud: aws
  peerpods:aws:
    # From Infrastructure cluster status.platformStatus.aws.region.
    region: us-west-2 # the old region
    # Mine: the instance type.
    podvmInstanceType: t3.large
  peerpods:kubeconfig:
    secure: v1:ciphertext
`
	changes, err := stacks.Compare([]byte(file), f)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.String())
	}
	want := []string{
		`+ peerpods:aws.infraId: "mycluster-x7k2p"  # from Infrastructure cluster status.infrastructureName`,
		`~ peerpods:aws.region: "us-west-2" -> "us-east-2"  # from Infrastructure cluster status.platformStatus.aws.region`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out, err := stacks.Record([]byte(file), changes)
	if err != nil {
		t.Fatal(err)
	}
	wantFile := `encryptionsalt: v1:abc
config:
  # The cloud.
  peerpods:cloud: aws
  peerpods:aws:
    # From Infrastructure cluster status.platformStatus.aws.region.
    region: us-east-2 # the old region
    # Mine: the instance type.
    podvmInstanceType: t3.large
    # From Infrastructure cluster status.infrastructureName.
    infraId: mycluster-x7k2p
  peerpods:kubeconfig:
    secure: v1:ciphertext
`
	if string(out) != wantFile {
		t.Errorf("recorded:\n%s\nwant:\n%s", out, wantFile)
	}
	if again, err := stacks.Compare(out, f); err != nil || len(again) != 0 {
		t.Errorf("after Record: %v %v", again, err)
	}
}

// A setting the file makes unused (aws.instanceId instead of infraId) is
// no change; a list is compared joined and written as a list; a file
// without the cloud gets the cluster's.
func TestCompareUnlessListAndCloud(t *testing.T) {
	aws := facts(t, clustertest.For(contract.AWS))
	ch, err := stacks.Compare([]byte("config:\n  peerpods:cloud: aws\n  peerpods:aws:\n    instanceId: i-0aaaaaaaaaaaaaaa0\n    region: us-east-2\n"), aws)
	if err != nil || len(ch) != 0 {
		t.Errorf("with instanceId: %v %v", ch, err)
	}

	gcp := facts(t, clustertest.For(contract.GCP))
	file := []byte("config:\n  peerpods:gcp:\n    sourceRanges: [10.1.0.0/16, 10.2.0.0/16]\n")
	ch, err = stacks.Compare(file, gcp)
	if err != nil {
		t.Fatal(err)
	}
	var ranges *stacks.Change
	for i, c := range ch {
		if c.Setting == "gcp.sourceRanges" {
			ranges = &ch[i]
		}
	}
	if ranges == nil || ranges.File != "10.1.0.0/16,10.2.0.0/16" || ranges.Cluster != clustertest.MachineNetwork || ranges.Missing {
		t.Fatalf("changes %+v", ch)
	}
	if ch[0].Setting != "cloud" || !ch[0].Missing || ch[0].Cluster != "gcp" {
		t.Errorf("cloud change %+v", ch[0])
	}
	out, err := stacks.Record(file, ch)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	obj := doc.Config["peerpods:gcp"].(map[string]any)
	if !reflect.DeepEqual(obj["sourceRanges"], []any{clustertest.MachineNetwork}) || doc.Config["peerpods:cloud"] != "gcp" {
		t.Errorf("recorded:\n%s", out)
	}
	if again, err := stacks.Compare(out, gcp); err != nil || len(again) != 0 {
		t.Errorf("after Record: %v %v\n%s", again, err, out)
	}
}
