package aws_test

import (
	"encoding/json"
	"fmt"
	"github.com/peerpods/provisioner/tests/testkit/mocks/awsmock"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/aws"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/identity"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/tests/testkit/actiontest"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	account    = awsmock.Account
	issuer     = awsmock.Issuer
	issuerHost = "mycluster-x7k2p-oidc.s3.us-east-2.amazonaws.com"
	oidcARN    = "arn:aws:iam::" + account + ":oidc-provider/" + issuerHost
	podvmAMI   = "ami-0123456789abcdef0"
	infraID    = "mycluster-x7k2p"
	clusterTag = "kubernetes.io/cluster/" + infraID
)

// explicitArgs give the network, so that only the region and the group's
// rules are discovered.
func explicitArgs(id contract.Identity) aws.Args {
	args := baseArgs()
	args.SecurityGroupIDs, args.SubnetID, args.VPCID = []string{sg1}, subnet, vpcID
	args.Identity = id
	return args
}

// doc is an IAM policy document as AWS reads it: Action and Resource may
// be a string or a list.
type doc struct {
	Version   string
	Statement []stmt
}

type stmt struct {
	Sid       string
	Effect    string
	Principal any
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

func list(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			out[i], _ = e.(string)
		}
		return out
	}
	return []string{"<not a string>"}
}

func parseDoc(t *testing.T, raw string) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, raw)
	}
	if d.Version != "2012-10-17" || len(d.Statement) == 0 {
		t.Fatalf("policy version %q, %d statements", d.Version, len(d.Statement))
	}
	return d
}

func (d doc) statement(t *testing.T, sid string) stmt {
	t.Helper()
	for _, s := range d.Statement {
		if s.Sid == sid {
			return s
		}
	}
	t.Fatalf("no statement %s in %+v", sid, d)
	return stmt{}
}

// actions are every action the document allows.
func (d doc) actions() []string {
	var out []string
	for _, s := range d.Statement {
		out = append(out, list(s.Action)...)
	}
	sort.Strings(out)
	return out
}

// checkLeastPrivilege checks a permissions policy: Allow only, no
// principal, no service-wide or global action, Resource "*" only for the
// actions aws.WildcardActions lists, and (when region is set) every
// statement on "*" and every EC2 statement limited to the region.
func checkLeastPrivilege(t *testing.T, d doc, region string) {
	t.Helper()
	for _, s := range d.Statement {
		if s.Effect != "Allow" || s.Principal != nil || len(list(s.Action)) == 0 || len(list(s.Resource)) == 0 {
			t.Errorf("statement %s: effect %s principal %v actions %v resources %v", s.Sid, s.Effect, s.Principal, s.Action, s.Resource)
		}
		for _, a := range list(s.Action) {
			if a == "*" || strings.HasSuffix(a, ":*") || !strings.Contains(a, ":") {
				t.Errorf("statement %s allows %q", s.Sid, a)
			}
		}
		anywhere := slices.Contains(list(s.Resource), "*")
		if anywhere {
			for _, a := range list(s.Action) {
				if _, ok := aws.WildcardActions[a]; !ok {
					t.Errorf("statement %s allows %s on every resource", s.Sid, a)
				}
			}
		}
		for _, r := range list(s.Resource) {
			if r != "*" && !strings.HasPrefix(r, "arn:aws:") {
				t.Errorf("statement %s: resource %q", s.Sid, r)
			}
			if region != "" && strings.HasPrefix(r, "arn:aws:ec2:") && !strings.HasPrefix(r, "arn:aws:ec2:"+region+":") {
				t.Errorf("statement %s: resource %q outside %s", s.Sid, r, region)
			}
		}
		ec2 := strings.HasPrefix(list(s.Action)[0], "ec2:")
		if region != "" && (anywhere || ec2) && s.Condition["StringEquals"]["aws:RequestedRegion"] != region {
			t.Errorf("statement %s is not limited to %s: %v", s.Sid, region, s.Condition)
		}
	}
}

func inputs(t *testing.T, r pulumitest.Resource, want map[string]any) {
	t.Helper()
	if w := resource.NewPropertyMapFromMap(want); !r.Inputs.DeepEquals(w) {
		t.Errorf("%s %s inputs %v\nwant %v", r.Type, r.Name, r.Inputs, w)
	}
}

// checkChildren checks that every resource but the provider and the
// component is the component's child through the provider.
func checkChildren(t *testing.T, r result) {
	t.Helper()
	comp := r.m.Get(t, aws.PeerPodsType, "peerpods")
	for _, res := range r.m.Resources() {
		if res.Type == aws.PeerPodsType || res.Type == "pulumi:providers:aws" {
			continue
		}
		if res.Parent != comp.URN || res.Provider != r.prov.Ref() {
			t.Errorf("%s %s: parent %s provider %s", res.Type, res.Name, res.Parent, res.Provider)
		}
	}
}

func wantSummary(t *testing.T, r result, extra ...string) {
	t.Helper()
	want := []string{"pulumi:providers:aws aws", aws.PeerPodsType + " peerpods"}
	for _, rl := range expectedRules(sg1) {
		want = append(want, awsmock.TypeIngressRule+" "+rl.name)
	}
	want = append(want, extra...)
	sort.Strings(want)
	if got := r.m.Summary(); !reflect.DeepEqual(got, want) {
		t.Errorf("registered %v\nwant %v", got, want)
	}
}

func tokens(r result) []string {
	var out []string
	for _, i := range r.m.Invokes() {
		out = append(out, i.Token)
	}
	return out
}

func output(t *testing.T, o pulumi.StringOutput) string {
	t.Helper()
	v, _ := pulumitest.Await(t, o)
	return v.(string)
}

// The default identity: the operator's CCO flow makes the credentials, so
// the stack creates no IAM or S3 resource and writes no peer-pods-secret.
func TestCCOCreatesNoIdentity(t *testing.T) {
	r := run(t, newCloud(), explicitArgs(""), true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantSummary(t, r)
	if got, want := tokens(r), []string{"aws:index/getRegion:getRegion", awsmock.TokenSecurityGroupRules}; !reflect.DeepEqual(got, want) {
		t.Errorf("invokes %v, want %v", got, want)
	}
	v := r.pp.Values
	if v.Identity != contract.IdentityCCO || v.Secret != nil || v.OperatorEnv != nil {
		t.Errorf("identity %s secret %v env %v", v.Identity, v.Secret, v.OperatorEnv)
	}
	if _, ok := v.ConfigMap[contract.KeyBucketName]; ok {
		t.Error("BUCKET_NAME without a bucket")
	}
	if err := v.CheckComplete(); err != nil {
		t.Error(err)
	}
	if arn, bucket := output(t, r.pp.RoleArn), output(t, r.pp.BucketName); arn != "" || bucket != "" {
		t.Errorf("roleArn %q bucketName %q", arn, bucket)
	}
	if len(r.pp.CloudOutputs) != 0 || r.pp.Discovered[aws.RecordedVMImport] != "" {
		t.Errorf("cloud outputs %v discovered %v", r.pp.CloudOutputs, r.pp.Discovered)
	}
}

func staticArgs() aws.Args {
	args := explicitArgs(contract.IdentityStatic)
	args.AccessKeyID, args.SecretAccessKey = pulumi.String(awsmock.AccessKeyID), pulumi.String("s3cr3t")
	return args
}

// checkVMImportPolicy checks the stack's inline policy on the vmimport
// role: named after the bucket, reading only that bucket.
func checkVMImportPolicy(t *testing.T, r result, bucket string) {
	t.Helper()
	p := r.m.Get(t, awsmock.TypeRolePolicy, "peerpods-vmimport")
	if p.Inputs["role"].StringValue() != aws.VMImportRole || p.Inputs["name"].StringValue() != "peerpods-"+bucket || len(p.Inputs) != 3 {
		t.Errorf("vmimport policy inputs %v", p.Inputs)
	}
	d := parseDoc(t, p.Inputs["policy"].StringValue())
	checkLeastPrivilege(t, d, "")
	read := d.statement(t, "ReadImportBucket")
	if got, want := list(read.Resource), []string{"arn:aws:s3:::" + bucket, "arn:aws:s3:::" + bucket + "/*"}; !reflect.DeepEqual(got, want) {
		t.Errorf("bucket resources %v", got)
	}
	want := []string{"ec2:CopySnapshot", "ec2:Describe*", "ec2:ModifySnapshotAttribute", "ec2:RegisterImage", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"}
	if got := d.actions(); !reflect.DeepEqual(got, want) {
		t.Errorf("actions %v\nwant %v", got, want)
	}
}

// imageGraph is what the stack registers for the image job with static
// keys and no AMI: the private bucket, its two settings, the vmimport role
// unless adopted, and the stack's policy on it.
func imageGraph(roleCreated bool) []string {
	g := []string{
		awsmock.TypeBucket + " peerpods-podvm",
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock peerpods-podvm",
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2 peerpods-podvm",
		awsmock.TypeRolePolicy + " peerpods-vmimport",
	}
	if roleCreated {
		g = append(g, awsmock.TypeRole+" peerpods-vmimport")
	}
	return g
}

// checkImageResources checks the image job's bucket (private, encrypted,
// emptied on destroy, named in BUCKET_NAME and the outputs), the vmimport
// role when created (fixed name, retained, trusting VM Import/Export
// only), the stack's policy on the role, and what was recorded.
func checkImageResources(t *testing.T, r result, roleCreated bool) {
	t.Helper()
	bucket := awsmock.BucketName("peerpods-podvm")
	tags := map[string]any{"managed-by": "peerpods"}
	b := r.m.Get(t, awsmock.TypeBucket, "peerpods-podvm")
	inputs(t, b, map[string]any{"forceDestroy": true, "tags": tags})
	inputs(t, r.m.Get(t, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "peerpods-podvm"), map[string]any{
		"bucket": bucket, "blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true,
	})
	inputs(t, r.m.Get(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "peerpods-podvm"), map[string]any{
		"bucket": bucket, "rules": []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"}}},
	})

	if roleCreated {
		role := r.m.Get(t, awsmock.TypeRole, "peerpods-vmimport")
		if !role.Retain || role.Inputs["name"].StringValue() != aws.VMImportRole || !role.Inputs["tags"].DeepEquals(resource.NewPropertyValue(map[string]any{common.ManagedByTag: common.ManagedBy, aws.StackTag: pulumitest.Project + "/" + pulumitest.Stack})) {
			t.Errorf("vmimport role: retain %v inputs %v", role.Retain, role.Inputs)
		}
		trust := parseDoc(t, role.Inputs["assumeRolePolicy"].StringValue())
		want := doc{Version: "2012-10-17", Statement: []stmt{{
			Effect: "Allow", Principal: map[string]any{"Service": "vmie.amazonaws.com"}, Action: []any{"sts:AssumeRole"},
			Condition: map[string]map[string]any{"StringEquals": {"sts:ExternalId": "vmimport"}},
		}}}
		if !reflect.DeepEqual(trust, want) {
			t.Errorf("vmimport trust %+v\nwant %+v", trust, want)
		}
	}
	checkVMImportPolicy(t, r, bucket)

	cm := configMap(t, r.pp)
	if cm["BUCKET_NAME"] != bucket || cm["PODVM_AMI_ID"] != "" {
		t.Errorf("ConfigMap %v", cm)
	}
	if !contract.S3BucketPattern.MatchString(bucket) {
		t.Errorf("bucket name %q", bucket)
	}
	if got := output(t, r.pp.BucketName); got != bucket {
		t.Errorf("bucketName %q", got)
	}
	if got, _ := pulumitest.Await(t, r.pp.CloudOutputs["bucketName"].(pulumi.StringOutput)); got != bucket {
		t.Errorf("cloud outputs %v", r.pp.CloudOutputs)
	}
	want := map[bool]string{true: aws.VMImportCreated, false: aws.VMImportAdopted}[roleCreated]
	if r.pp.Discovered[aws.RecordedVMImport] != want {
		t.Errorf("discovered %v, want %s %s", r.pp.Discovered, aws.RecordedVMImport, want)
	}
	for _, i := range r.m.Invokes() {
		if i.Token == awsmock.TokenRoles && i.Args["nameRegex"].StringValue() != "^vmimport$" {
			t.Errorf("getRoles %v", i.Args)
		}
	}
}

// Static keys and no AMI: the image job needs a private bucket, the
// vmimport role and BUCKET_NAME; none existed, so the stack creates them.
func TestStaticWithoutAMICreatesBucketAndVMImportRole(t *testing.T) {
	r := run(t, newCloud(), staticArgs(), true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantSummary(t, r, imageGraph(true)...)
	checkChildren(t, r)
	checkImageResources(t, r, true)
	if n := len(r.pp.Values.Ready); n != 3+5 {
		t.Errorf("%d resources the values wait for, want the 3 rules, the bucket, its 2 settings, the role and its policy", n)
	}
	v := r.pp.Values
	if v.Identity != contract.IdentityStatic || len(v.Secret) != 2 || v.OperatorEnv != nil {
		t.Errorf("identity %s secret %v env %v", v.Identity, v.Secret, v.OperatorEnv)
	}
	if err := v.CheckComplete(); err != nil {
		t.Error(err)
	}
	if got, want := tokens(r), []string{"aws:index/getRegion:getRegion", awsmock.TokenSecurityGroupRules,
		"aws:index/getPartition:getPartition", awsmock.TokenRoles}; !reflect.DeepEqual(got, want) {
		t.Errorf("invokes %v, want %v", got, want)
	}
}

// A vmimport role exists already (another cluster's, or the operator's
// script's): it is used as it is, with only the stack's own inline policy.
func TestStaticAdoptsVMImportRole(t *testing.T) {
	c := newCloud()
	c.calls = map[string]pulumitest.CallFunc{awsmock.TokenRoles: awsmock.VMImportRoles(true), awsmock.TokenRole: awsmock.VMImportRoleTagged(nil)}
	r := run(t, c, staticArgs(), true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantSummary(t, r, imageGraph(false)...)
	checkImageResources(t, r, false)
}

// The role the stack created at an earlier up exists now: tagged with
// this stack, it is still the stack's, not adopted (the plan does not flip
// between runs); so is a role a version without the stack tag created
// (managed-by only), which the update tags. Another stack's is adopted.
func TestKeepsItsOwnVMImportRole(t *testing.T) {
	stack := pulumitest.Project + "/" + pulumitest.Stack
	for _, tc := range []struct {
		name string
		tags map[string]string
		own  bool
	}{
		{"this stack's", map[string]string{common.ManagedByTag: common.ManagedBy, aws.StackTag: stack}, true},
		{"a previous version's", map[string]string{common.ManagedByTag: common.ManagedBy}, true},
		{"another stack's", map[string]string{common.ManagedByTag: common.ManagedBy, aws.StackTag: "peerpods/other"}, false},
		{"not peerpods'", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud()
			c.calls = map[string]pulumitest.CallFunc{awsmock.TokenRoles: awsmock.VMImportRoles(true), awsmock.TokenRole: awsmock.VMImportRoleTagged(tc.tags)}
			r := run(t, c, staticArgs(), true)
			if r.err != nil {
				t.Fatal(r.err)
			}
			want := map[bool]string{true: aws.VMImportCreated, false: aws.VMImportAdopted}[tc.own]
			if r.pp.Discovered[aws.RecordedVMImport] != want {
				t.Errorf("discovered %v, want %s", r.pp.Discovered, want)
			}
			if !tc.own {
				return
			}
			role := r.m.Get(t, awsmock.TypeRole, "peerpods-vmimport")
			if got := role.Inputs["tags"].ObjectValue()[aws.StackTag]; !got.IsString() || got.StringValue() != stack {
				t.Errorf("role tags %v, want %s %s", role.Inputs["tags"], aws.StackTag, stack)
			}
		})
	}
}

// With an AMI the image job does not run: no bucket, no role.
func TestStaticWithAMIHasNoBucket(t *testing.T) {
	args := staticArgs()
	args.PodVMAMIID = podvmAMI
	r := run(t, newCloud(), args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantSummary(t, r)
	if got, want := tokens(r), []string{"aws:index/getRegion:getRegion", awsmock.TokenSecurityGroupRules}; !reflect.DeepEqual(got, want) {
		t.Errorf("invokes %v, want %v", got, want)
	}
	cm := configMap(t, r.pp)
	if _, ok := cm["BUCKET_NAME"]; ok || cm["PODVM_AMI_ID"] != args.PodVMAMIID {
		t.Errorf("ConfigMap %v", cm)
	}
	if err := r.pp.Values.CheckComplete(); err != nil {
		t.Error(err)
	}
}

// workloadArgs are valid workload-identity args: the issuer and the AMI
// workload identity requires.
func workloadArgs() aws.Args {
	args := explicitArgs(contract.IdentityWorkload)
	args.OIDCIssuer, args.PodVMAMIID, args.InfraID = issuer, podvmAMI, infraID
	return args
}

// checkTrust checks the workload role's trust policy: the cluster's OIDC
// provider as the only principal, for CAA's service account and the
// operator's audience only.
func checkTrust(t *testing.T, raw string) {
	t.Helper()
	d := parseDoc(t, raw)
	want := doc{Version: "2012-10-17", Statement: []stmt{{
		Effect:    "Allow",
		Principal: map[string]any{"Federated": oidcARN},
		Action:    []any{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]any{"StringEquals": {
			issuerHost + ":sub": "system:serviceaccount:openshift-sandboxed-containers-operator:default",
			issuerHost + ":aud": "openshift",
		}},
	}}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("trust policy %+v\nwant %+v", d, want)
	}
	if strings.Contains(raw, `"*"`) {
		t.Errorf("trust policy has a wildcard: %s", raw)
	}
}

const (
	workloadRoleName = "peerpods-caa-7c1e2f3"
	workloadRoleARN  = "arn:aws:iam::" + account + ":role/" + workloadRoleName
)

// workloadGraph is the workload role and its only policy, CAA's.
func workloadGraph() []string {
	return []string{awsmock.TypeRole + " peerpods-caa", awsmock.TypeRolePolicy + " peerpods-caa"}
}

// checkNoIAM checks that no policy of the workload role allows an IAM
// action.
func checkNoIAM(t *testing.T, r result) {
	t.Helper()
	n := 0
	for _, p := range r.m.OfType(awsmock.TypeRolePolicy) {
		if p.Inputs["role"].StringValue() != workloadRoleName {
			continue
		}
		n++
		for _, a := range parseDoc(t, p.Inputs["policy"].StringValue()).actions() {
			if strings.HasPrefix(strings.ToLower(a), "iam:") {
				t.Errorf("policy %s of the workload role allows %s", p.Name, a)
			}
		}
	}
	if n == 0 {
		t.Error("no policy on the workload role")
	}
}

// checkWorkloadValues checks ROLEARN and the values of workload identity:
// no peer-pods-secret.
func checkWorkloadValues(t *testing.T, r result) {
	t.Helper()
	v := r.pp.Values
	if v.Identity != contract.IdentityWorkload || v.Secret != nil || len(v.OperatorEnv) != 1 {
		t.Fatalf("identity %s secret %v env %v", v.Identity, v.Secret, v.OperatorEnv)
	}
	if got, _ := pulumitest.Await(t, v.OperatorEnv["ROLEARN"].ToStringOutput()); got != workloadRoleARN {
		t.Errorf("ROLEARN %v, want %s", got, workloadRoleARN)
	}
	if got := output(t, r.pp.RoleArn); got != workloadRoleARN {
		t.Errorf("roleArn %q", got)
	}
	if err := v.CheckComplete(); err != nil {
		t.Error(err)
	}
}

// Workload identity (with the AMI it requires): a role trusted through
// the cluster's existing OIDC provider, with CAA's least-privilege EC2
// policy only, its ARN handed to the operator as ROLEARN; no
// peer-pods-secret, the OIDC provider is never created, and there is no
// image bucket, vmimport role or image policy.
func TestWorkloadRole(t *testing.T) {
	r := run(t, newCloud(), workloadArgs(), true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantSummary(t, r, workloadGraph()...)
	checkChildren(t, r)
	role := r.m.Get(t, awsmock.TypeRole, "peerpods-caa")
	if _, named := role.Inputs["name"]; named || role.Retain || !role.Inputs["tags"].DeepEquals(resource.NewPropertyValue(map[string]any{"managed-by": "peerpods"})) {
		t.Errorf("role inputs %v retain %v", role.Inputs, role.Retain)
	}
	checkTrust(t, role.Inputs["assumeRolePolicy"].StringValue())

	caa := r.m.Get(t, awsmock.TypeRolePolicy, "peerpods-caa")
	if caa.Inputs["role"].StringValue() != workloadRoleName || caa.Inputs["name"].StringValue() != "cloud-api-adaptor" {
		t.Errorf("caa policy inputs %v", caa.Inputs)
	}
	d := parseDoc(t, caa.Inputs["policy"].StringValue())
	checkLeastPrivilege(t, d, "us-east-2")
	// The actions are the written list's (no Elastic IP right without
	// USE_PUBLIC_IP): TestWorkloadPolicyMatchesList.
	ec2 := "arn:aws:ec2:us-east-2:" + account + ":"
	run := d.statement(t, "CAARunInstances")
	wantRun := []string{ec2 + "volume/*", ec2 + "network-interface/*", "arn:aws:ec2:us-east-2::image/" + podvmAMI,
		ec2 + "subnet/" + subnet, ec2 + "key-pair/*", ec2 + "launch-template/*", ec2 + "security-group/" + sg1}
	if got := list(run.Resource); !reflect.DeepEqual(got, wantRun) {
		t.Errorf("RunInstances on %v\nwant %v", got, wantRun)
	}
	// The instance itself only of the listed types, with the cluster's
	// tag.
	vms := d.statement(t, "CAARunPodVMs")
	if got := list(vms.Condition["StringEquals"]["ec2:InstanceType"]); list(vms.Resource)[0] != ec2+"instance/*" || !reflect.DeepEqual(got, aws.DefaultInstanceTypes) ||
		vms.Condition["StringEquals"]["aws:RequestTag/"+clusterTag] != "owned" {
		t.Errorf("RunInstances of the instance %+v", vms)
	}
	term := d.statement(t, "CAATerminatePodVMs")
	if list(term.Resource)[0] != ec2+"instance/*" || term.Condition["StringLike"]["ec2:ResourceTag/Name"] != "podvm-*" {
		t.Errorf("TerminateInstances %+v", term)
	}
	tag := d.statement(t, "CAATagPodVMsOnCreate")
	if tag.Condition["StringEquals"]["ec2:CreateAction"] != "RunInstances" || tag.Condition["StringEquals"]["aws:RequestTag/"+clusterTag] != "owned" {
		t.Errorf("CreateTags on instances only on create, with the cluster's tag: %v", tag.Condition)
	}
	checkTagConditions(t, d)
	if cm := configMap(t, r.pp); cm["TAGS"] != clusterTag+"=owned" {
		t.Errorf("TAGS %q, want the cluster's tag, which the policy requires", cm["TAGS"])
	}

	checkNoIAM(t, r)
	checkWorkloadValues(t, r)
	if got, _ := pulumitest.Await(t, r.pp.CloudOutputs["roleArn"].(pulumi.StringOutput)); got != workloadRoleARN || len(r.pp.CloudOutputs) != 1 {
		t.Errorf("cloud outputs %v", r.pp.CloudOutputs)
	}
	if n := len(r.pp.Values.Ready); n != 3+2 {
		t.Errorf("%d resources the values wait for, want the 3 rules, the workload role and its policy", n)
	}
	cm := configMap(t, r.pp)
	if _, ok := cm["BUCKET_NAME"]; ok || cm["PODVM_AMI_ID"] != podvmAMI {
		t.Errorf("ConfigMap %v", cm)
	}
	if got := output(t, r.pp.BucketName); got != "" {
		t.Errorf("bucketName %q", got)
	}
	if _, ok := r.pp.Discovered[aws.RecordedVMImport]; ok {
		t.Errorf("discovered %v", r.pp.Discovered)
	}
	if got, want := tokens(r), []string{"aws:index/getRegion:getRegion", awsmock.TokenSecurityGroupRules,
		"aws:index/getCallerIdentity:getCallerIdentity", "aws:index/getPartition:getPartition", awsmock.TokenOpenIDConnectProvider}; !reflect.DeepEqual(got, want) {
		t.Errorf("invokes %v, want %v", got, want)
	}
}

// Bad identity inputs (workload identity without an AMI among them), and
// a cluster whose OIDC provider is missing, fail before anything but the
// provider is registered, naming the setting.
func TestIdentityFailuresRegisterNothing(t *testing.T) {
	withProvider := func(clientIDs ...string) *cloud {
		c := newCloud()
		c.calls = map[string]pulumitest.CallFunc{awsmock.TokenOpenIDConnectProvider: awsmock.OIDCProvider(issuer, clientIDs...)}
		return c
	}
	cases := []struct {
		name    string
		cloud   *cloud
		args    func(*aws.Args)
		setting string
		want    string
	}{
		{"keys in cco mode", newCloud(), func(a *aws.Args) { a.AccessKeyID = pulumi.String(awsmock.AccessKeyID) },
			"awsAccessKeyId", "is set, but identity is cco"},
		{"keys in workload mode", newCloud(), func(a *aws.Args) {
			a.Identity, a.OIDCIssuer, a.SecretAccessKey = contract.IdentityWorkload, issuer, pulumi.String("s3cr3t")
		}, "awsSecretAccessKey", "set peerpods:identity to static"},
		{"workload without issuer", newCloud(), func(a *aws.Args) { a.Identity = contract.IdentityWorkload },
			"aws.oidcIssuer", "is not set"},
		{"default issuer", newCloud(), func(a *aws.Args) {
			a.Identity, a.OIDCIssuer = contract.IdentityWorkload, identity.DefaultIssuer
		}, "aws.oidcIssuer", "short-lived credentials"},
		{"http issuer", newCloud(), func(a *aws.Args) { a.Identity, a.OIDCIssuer = contract.IdentityWorkload, "http://oidc.example.com" },
			"aws.oidcIssuer", "not an https issuer URL"},
		{"unknown mode", newCloud(), func(a *aws.Args) { a.Identity = "irsa" }, "identity", "not an identity mode"},
		{"workload without AMI", newCloud(), func(a *aws.Args) { a.Identity, a.OIDCIssuer, a.PodVMAMIID = contract.IdentityWorkload, issuer, "" },
			"aws.podvmAmiId", "aws-podvm-image-handler.sh, prepare_for_prebuilt_artifact) it always creates an S3 bucket"},
		{"workload without infra ID", newCloud(), func(a *aws.Args) { a.Identity, a.OIDCIssuer, a.InfraID = contract.IdentityWorkload, issuer, "" },
			"aws.infraId", "create and terminate only pod VMs tagged kubernetes.io/cluster/<infraId>=owned"},
		{"cluster tag in peerpods:tags", newCloud(), func(a *aws.Args) {
			a.Identity, a.OIDCIssuer = contract.IdentityWorkload, issuer
			a.Settings.Tags = map[string]string{clusterTag: "shared"}
		}, "tags." + clusterTag, "remove the tag from peerpods:tags"},
		{"worker without cluster tag", newCloud(sg1), func(a *aws.Args) {
			a.Identity, a.OIDCIssuer, a.InfraID, a.InstanceID, a.SecurityGroupIDs = contract.IdentityWorkload, issuer, "", worker, nil
		}, "aws.instanceId", "a worker without one kubernetes.io/cluster/<infraId>=owned tag"},
		{"missing OIDC provider", withProvider(), func(a *aws.Args) {
			a.Identity, a.OIDCIssuer = contract.IdentityWorkload, "https://other-oidc.s3.us-east-2.amazonaws.com"
		}, "aws.oidcIssuer", "the IAM OIDC provider arn:aws:iam::" + account + ":oidc-provider/other-oidc.s3.us-east-2.amazonaws.com cannot be read"},
		{"provider without the audience", withProvider("sts.amazonaws.com"), func(a *aws.Args) {
			a.Identity, a.OIDCIssuer = contract.IdentityWorkload, issuer
		}, "aws.oidcIssuer", "add-client-id-to-open-id-connect-provider"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := explicitArgs("")
			args.PodVMAMIID, args.InfraID = podvmAMI, infraID // which workload identity requires
			c.args(&args)
			r := run(t, c.cloud, args, true)
			ies := problems.InputErrors(r.err)
			if len(ies) != 1 || ies[0].Setting != c.setting || !strings.Contains(ies[0].Error(), c.want) {
				t.Fatalf("want one error on %s containing %q, got %v", c.setting, c.want, r.err)
			}
			if got := r.m.Summary(); len(got) != 1 {
				t.Errorf("registered more than the provider: %v", got)
			}
		})
	}
}

// An issuer written with a trailing slash names the same OIDC provider,
// and the trust policy's condition keys have no slash.
func TestWorkloadIssuerWithTrailingSlash(t *testing.T) {
	args := workloadArgs()
	args.OIDCIssuer = issuer + "/"
	r := run(t, newCloud(), args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkTrust(t, r.m.Get(t, awsmock.TypeRole, "peerpods-caa").Inputs["assumeRolePolicy"].StringValue())
	for _, i := range r.m.Invokes() {
		if i.Token == awsmock.TokenOpenIDConnectProvider && i.Args["url"].StringValue() != issuer {
			t.Errorf("OIDC provider looked up by %v", i.Args)
		}
	}
}

// With USE_PUBLIC_IP the role may allocate, associate and release the pod
// VMs' Elastic IPs (createElasticIPforInstance, deleteElasticIPforInstance),
// in the region only; without it, not at all (TestWorkloadRole).
func TestWorkloadRoleElasticIPsOnlyWithPublicIP(t *testing.T) {
	args := workloadArgs()
	args.Settings.Extra = map[string]string{"USE_PUBLIC_IP": "true"}
	r := run(t, newCloud(), args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	d := parseDoc(t, r.m.Get(t, awsmock.TypeRolePolicy, "peerpods-caa").Inputs["policy"].StringValue())
	checkLeastPrivilege(t, d, "us-east-2")
	eip := d.statement(t, "CAAElasticIPs")
	if got := list(eip.Action); !reflect.DeepEqual(got, []string{"ec2:AllocateAddress", "ec2:AssociateAddress", "ec2:DisassociateAddress", "ec2:ReleaseAddress"}) {
		t.Errorf("Elastic IP actions %v", got)
	}
}

// checkTagConditions holds the workload policy to its tag rules: every
// statement on instances requires the cluster's tag, in the request for
// RunInstances and CreateTags, on the instance for the others; every
// CreateTags statement only while creating; and no statement names both
// instances and another resource type, whose resources lack the tag.
func checkTagConditions(t *testing.T, d doc) {
	t.Helper()
	instances := "arn:aws:ec2:us-east-2:" + account + ":instance/*"
	for _, s := range d.Statement {
		acts, res := list(s.Action), list(s.Resource)
		if slices.Contains(acts, "ec2:CreateTags") && s.Condition["StringEquals"]["ec2:CreateAction"] == nil {
			t.Errorf("statement %s tags outside creation", s.Sid)
		}
		if !slices.Contains(res, instances) {
			continue
		}
		if len(res) != 1 {
			t.Errorf("statement %s names instances and %v", s.Sid, res)
		}
		key := "ec2:ResourceTag/" + clusterTag
		if slices.Contains(acts, "ec2:RunInstances") || slices.Contains(acts, "ec2:CreateTags") {
			key = "aws:RequestTag/" + clusterTag
		}
		if s.Condition["StringEquals"][key] != "owned" {
			t.Errorf("statement %s on instances without %s=owned: %v", s.Sid, key, s.Condition)
		}
	}
}

// TestWorkloadPolicyMatchesList: the workload role's actions, with and
// without USE_PUBLIC_IP, are exactly those of testdata/caa-actions.json,
// each with the CAA calls that need it.
func TestWorkloadPolicyMatchesList(t *testing.T) {
	l := actiontest.Read(t, "testdata/caa-actions.json")
	for _, public := range []bool{false, true} {
		args := workloadArgs()
		var on []string
		if public {
			args.Settings.Extra = map[string]string{contract.KeyUsePublicIP: "true"}
			on = append(on, contract.KeyUsePublicIP)
		}
		r := run(t, newCloud(), args, true)
		if r.err != nil {
			t.Fatal(r.err)
		}
		d := parseDoc(t, r.m.Get(t, awsmock.TypeRolePolicy, "peerpods-caa").Inputs["policy"].StringValue())
		actiontest.Check(t, fmt.Sprintf("the workload role (USE_PUBLIC_IP %t)", public), d.actions(), l.Want("", on...))
		checkTagConditions(t, d)
	}
}

// The cluster's infrastructure name may come from the worker's tags: the
// pod VMs' TAGS and the policy use it, beside peerpods:tags.
func TestWorkloadInfraIDFromWorker(t *testing.T) {
	c := newCloud(sg1)
	c.instances[worker]["tags"] = resource.NewPropertyValue(map[string]any{clusterTag: "owned", "Name": infraID + "-worker-a"})
	args := workloadArgs()
	args.InfraID, args.InstanceID, args.SecurityGroupIDs = "", worker, nil
	args.Settings.Tags = map[string]string{"team": "kata"}
	r := run(t, c, args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.pp.Network.InfraID != infraID {
		t.Errorf("infra ID %q", r.pp.Network.InfraID)
	}
	if cm := configMap(t, r.pp); cm["TAGS"] != clusterTag+"=owned,team=kata" {
		t.Errorf("TAGS %q", cm["TAGS"])
	}
	checkTagConditions(t, parseDoc(t, r.m.Get(t, awsmock.TypeRolePolicy, "peerpods-caa").Inputs["policy"].StringValue()))
}
