package stacks_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/stacks"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
	"gopkg.in/yaml.v3"
)

func facts(t *testing.T, c clustertest.Cluster) cluster.Facts {
	t.Helper()
	f, err := cluster.Read(t.Context(), c.Fake())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The AWS stack file, exactly: every value with where it was read, the
// encrypted kubeconfig as Pulumi wrote it.
func TestStackFileAWS(t *testing.T) {
	out, err := stacks.StackFile(stacks.NewStack{Facts: facts(t, clustertest.For(contract.AWS)),
		Secure: map[string]string{"encryptionsalt": "v1:abc"}, Secrets: map[string]string{"peerpods:kubeconfig": "v1:ciphertext"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `# yaml-language-server: $schema=settings.schema.json
encryptionsalt: v1:abc
# Written by peerpods init from the cluster mycluster-x7k2p (platform AWS).
# Each value below was read from the cluster: this file is the record.
# Every run compares the cluster with it and warns when they differ (the
# run plans with this file); peerpods discover --stack <stack> --write
# updates it.
config:
  # From Infrastructure cluster status.platformStatus.type (AWS).
  peerpods:cloud: aws
  # How cloud-api-adaptor gets its cloud credentials: cco (the operator asks the Cloud Credential Operator), static (keys from the stack's secrets), workload (a cloud identity trusted by the cluster's OIDC issuer).
  peerpods:identity: cco
  # cluster: write peer-pods-cm (and the credentials in static mode) into
  # the cluster of peerpods:kubeconfig; manifests or off: outputs only.
  peerpods:handoff: cluster
  peerpods:aws:
    # From Infrastructure cluster status.infrastructureName.
    infraId: mycluster-x7k2p
    # From Infrastructure cluster status.platformStatus.aws.region.
    region: us-east-2
  peerpods:kubeconfig:
    secure: v1:ciphertext
`
	if string(out) != want {
		t.Errorf("stack file:\n%s\nwant:\n%s", out, want)
	}
}

// The stack file of each cloud's cluster, and of an ARO cluster, is one
// the program accepts: run on the clouds' mocks with the file's config and
// the same cluster, it plans the cloud resources and the handoff. (The
// kubeconfig is the tests' own: the file's is encrypted.)
func TestStackFileIsAValidStack(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    clustertest.Cluster
		id   contract.Identity
		want []string // the settings written in peerpods:<cloud>
	}{
		{"aws", clustertest.For(contract.AWS), "", []string{"infraId", "region"}},
		{"aws workload", clustertest.For(contract.AWS), contract.IdentityWorkload, []string{"infraId", "oidcIssuer", "region"}},
		{"azure", clustertest.For(contract.Azure), "", []string{"resourceGroup"}},
		{"aro", clustertest.For(contract.Azure, clustertest.AsARO), "", []string{"networkResourceGroup", "resourceGroup"}},
		{"gcp", clustertest.For(contract.GCP), "", []string{"infraId", "network", "projectId", "sourceRanges", "zone"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := facts(t, tc.c)
			out, err := stacks.StackFile(stacks.NewStack{Facts: f, Identity: tc.id})
			if err != nil {
				t.Fatal(err)
			}
			if err := stacks.ValidateStackFile(out); err != nil {
				t.Errorf("the stack file does not match stacks/%s: %v", stacks.SchemaFile, err)
			}
			if !bytes.HasPrefix(out, []byte("# yaml-language-server: $schema=")) {
				t.Error("the stack file does not point editors at the schema")
			}
			var file struct {
				Config map[string]any `yaml:"config"`
			}
			if err := yaml.Unmarshal(out, &file); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			obj, _ := file.Config["peerpods:"+string(f.Cloud)].(map[string]any)
			if got := sortedKeys(obj); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("peerpods:%s has %v, want %v", f.Cloud, got, tc.want)
			}
			cfg := stacktest.EngineConfig(t, file.Config)
			if tc.id == contract.IdentityWorkload && f.Cloud == contract.AWS {
				// What the file's comment asks the user to add.
				if !strings.Contains(string(out), "# podvmAmiId: ") {
					t.Errorf("the file does not ask for podvmAmiId:\n%s", out)
				}
				cfg["peerpods:aws"] = strings.TrimSuffix(cfg["peerpods:aws"], "}") + `,"podvmAmiId":"ami-0123456789abcdef0"}`
			}
			_, d, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), withSecrets(cfg), tc.c)
			if err != nil {
				t.Fatalf("%v\nstack file:\n%s", err, out)
			}
			if d.Config.Cloud != f.Cloud || d.Handoff == nil {
				t.Errorf("cloud %s handoff %v", d.Config.Cloud, d.Handoff)
			}
			// Every fact is in the file: the run takes nothing from the
			// cluster, nothing differs, and peerpods discover finds no change.
			if dd := d.Config.Discovery; len(dd.Found) != 0 || len(dd.Drift) != 0 {
				t.Errorf("found %v drift %v", dd.Found, dd.Drift)
			}
			if ch, err := stacks.Compare(out, f); err != nil || len(ch) != 0 {
				t.Errorf("discover on the file init wrote: %v %v", ch, err)
			}
			if tc.id == contract.IdentityWorkload && file.Config["peerpods:operatorSubscription"] != clustertest.Subscription {
				t.Errorf("operatorSubscription %v", file.Config["peerpods:operatorSubscription"])
			}
		})
	}
}

// A cluster on platform None gets a libvirt stack file that says what the
// cluster cannot know (the KVM host); a mode the cloud has not is refused.
func TestStackFileLibvirtAndBadIdentity(t *testing.T) {
	out, err := stacks.StackFile(stacks.NewStack{Facts: facts(t, clustertest.For(contract.Libvirt))})
	if err != nil || !strings.Contains(string(out), "peerpods:cloud: libvirt") || !strings.Contains(string(out), "set peerpods:libvirt.host") {
		t.Errorf("libvirt: %v\n%s", err, out)
	}
	if _, err := stacks.StackFile(stacks.NewStack{Facts: facts(t, clustertest.For(contract.GCP)), Identity: contract.IdentityWorkload}); err == nil || !strings.Contains(err.Error(), "AWS and Azure only") {
		t.Errorf("gcp workload: %v", err)
	}
}
