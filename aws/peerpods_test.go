package aws_test

import (
	"fmt"
	"github.com/peerpods/provisioner/tests/testkit/mocks/awsmock"
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/aws"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	sg1    = "sg-0123456789abcdef0"
	sg2    = "sg-0123456789abcdef1"
	sg3    = "sg-0123456789abcdef2"
	subnet = "subnet-0123456789abcdef0"
	vpcID  = "vpc-0123456789abcdef0"
	worker = "i-0123456789abcdef0"
)

// cloud is a fake AWS account answering the discovery invokes, and the
// other invokes as aws.Cloud's mocks do unless overridden.
type cloud struct {
	instances map[string]resource.PropertyMap // by instance ID
	workers   []string                        // what getInstances returns
	rules     []awsmock.GroupRule             // the groups' ingress rules
	calls     map[string]pulumitest.CallFunc  // overrides of aws.Cloud's mocks
}

func newCloud(groups ...string) *cloud {
	return &cloud{
		instances: map[string]resource.PropertyMap{
			worker: resource.NewPropertyMapFromMap(map[string]any{
				"id": worker, "subnetId": subnet, "vpcSecurityGroupIds": groups,
			}),
		},
		workers: []string{"i-0fffffffffffffff0", worker},
	}
}

func (c *cloud) mocks() *pulumitest.Mocks {
	defaults := awsmock.Mocks()
	m := &pulumitest.Mocks{Calls: map[string]pulumitest.CallFunc{}, Fakes: map[string]pulumitest.FakeFunc{}}
	for k, f := range defaults.Calls {
		m.Calls[k] = f
	}
	for k, f := range defaults.Resources {
		m.Fakes[k] = f
	}
	for k, f := range awsmock.Ingress(c.rules) {
		m.Calls[k] = f
	}
	for k, f := range c.discovery() {
		m.Calls[k] = f
	}
	for k, f := range c.calls {
		m.Calls[k] = f
	}
	return m
}

func (c *cloud) discovery() map[string]pulumitest.CallFunc {
	return map[string]pulumitest.CallFunc{
		"aws:index/getRegion:getRegion": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return resource.NewPropertyMapFromMap(map[string]any{"name": "us-east-2"}), nil
		},
		"aws:ec2/getInstance:getInstance": func(a resource.PropertyMap) (resource.PropertyMap, error) {
			id := a["instanceId"].StringValue()
			if inst, ok := c.instances[id]; ok {
				return inst, nil
			}
			return nil, fmt.Errorf("InvalidInstanceID.NotFound: %s", id)
		},
		"aws:ec2/getInstances:getInstances": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return resource.NewPropertyMapFromMap(map[string]any{"ids": c.workers}), nil
		},
		"aws:ec2/getSubnet:getSubnet": func(a resource.PropertyMap) (resource.PropertyMap, error) {
			if a["id"].StringValue() != subnet {
				return nil, fmt.Errorf("subnet %s not found", a["id"].StringValue())
			}
			return resource.NewPropertyMapFromMap(map[string]any{"id": subnet, "vpcId": vpcID}), nil
		},
	}
}

type result struct {
	m    *pulumitest.Mocks
	pp   *aws.PeerPods
	err  error
	prov pulumitest.Resource
}

func run(t *testing.T, c *cloud, args aws.Args, withProvider bool) result {
	t.Helper()
	m := c.mocks()
	var pp *aws.PeerPods
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		var opts []pulumi.ResourceOption
		if withProvider {
			p, err := awsp.NewProvider(ctx, "aws", &awsp.ProviderArgs{Region: pulumi.String("us-east-2")})
			if err != nil {
				return err
			}
			opts = append(opts, pulumi.Provider(p))
		}
		var err error
		pp, err = aws.NewPeerPods(ctx, "peerpods", args, opts...)
		return err
	})
	r := result{m: m, pp: pp, err: err}
	if withProvider {
		r.prov = m.Get(t, "pulumi:providers:aws", "aws")
	}
	return r
}

func baseArgs() aws.Args {
	return aws.Args{Settings: common.NewSettings(contract.AWS)}
}

type rule struct {
	name, group, proto string
	port               int
}

func expectedRules(groups ...string) []rule {
	var out []rule
	for _, g := range groups {
		out = append(out,
			rule{"peerpods-" + g + "-kata-agent-tcp", g, "tcp", 15150},
			rule{"peerpods-" + g + "-tunnel-tcp", g, "tcp", 9000},
			rule{"peerpods-" + g + "-tunnel-udp", g, "udp", 9000},
		)
	}
	return out
}

// checkRules asserts that exactly the wanted rules exist, each fully
// specified, parented to the component and using the given provider.
func checkRules(t *testing.T, r result, want []rule) {
	t.Helper()
	comp := r.m.Get(t, aws.PeerPodsType, "peerpods")
	got := r.m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	if len(got) != len(want) {
		t.Fatalf("%d rules, want %d: %v", len(got), len(want), r.m.Summary())
	}
	byName := map[string]pulumitest.Resource{}
	for _, g := range got {
		byName[g.Name] = g
	}
	for i, w := range want {
		g := byName[w.name]
		in := g.Inputs
		wantInputs := resource.NewPropertyMapFromMap(map[string]any{
			"securityGroupId":           w.group,
			"referencedSecurityGroupId": w.group,
			"ipProtocol":                w.proto,
			"fromPort":                  w.port,
			"toPort":                    w.port,
			"description":               in["description"].StringValue(),
			"tags":                      map[string]any{"Name": w.name, "managed-by": "peerpods"},
		})
		if g.Name != w.name || !in.DeepEquals(wantInputs) {
			t.Errorf("rule %d: %s %v\nwant %s %v", i, g.Name, in, w.name, wantInputs)
		}
		if _, ok := in["cidrIpv4"]; ok {
			t.Errorf("rule %s has a CIDR source", g.Name)
		}
		if !strings.Contains(in["description"].StringValue(), fmt.Sprintf("%d/%s", w.port, w.proto)) {
			t.Errorf("rule %s description %q", g.Name, in["description"].StringValue())
		}
		if g.Parent != comp.URN || g.Provider != r.prov.Ref() {
			t.Errorf("rule %s parent %s provider %s", g.Name, g.Parent, g.Provider)
		}
	}
}

func configMap(t *testing.T, pp *aws.PeerPods) map[string]string {
	t.Helper()
	v, secret := pulumitest.Await(t, pp.ConfigMap)
	if secret {
		t.Error("ConfigMap output is secret")
	}
	return v.(map[string]string)
}

func TestOneGroupExplicit(t *testing.T) {
	args := baseArgs()
	args.SecurityGroupIDs, args.SubnetID, args.VPCID = []string{sg1}, subnet, vpcID
	r := run(t, newCloud(), args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkRules(t, r, expectedRules(sg1))
	if got := r.m.Summary(); len(got) != 5 {
		t.Errorf("want provider + component + 3 rules, got %v", got)
	}
	// Everything was given: only the region and the group's rules are
	// asked of the provider (cco mode: no account, role or OIDC lookup).
	inv := r.m.Invokes()
	if len(inv) != 2 || inv[0].Token != "aws:index/getRegion:getRegion" || inv[1].Token != awsmock.TokenSecurityGroupRules {
		t.Errorf("invokes %+v", inv)
	}
	for _, i := range inv {
		if i.Provider != r.prov.Ref() {
			t.Errorf("invoke %s through %s", i.Token, i.Provider)
		}
	}
	want := map[string]string{
		"CLOUD_PROVIDER": "aws", "VXLAN_PORT": "9000", "PROXY_TIMEOUT": "5m", "PEERPODS_LIMIT_PER_NODE": "10",
		"ROOT_VOLUME_SIZE": "6",
		"AWS_REGION":       "us-east-2", "AWS_SUBNET_ID": subnet, "AWS_VPC_ID": vpcID, "AWS_SG_IDS": sg1,
		"PODVM_INSTANCE_TYPE": "t3.medium", "PODVM_INSTANCE_TYPES": "t2.small,t2.medium,t3.medium,t3.large",
	} // no PODVM_AMI_ID, DISABLECVM or INITDATA: the operator's keys unless set
	if got := configMap(t, r.pp); !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigMap %v\nwant %v", got, want)
	}
	if err := r.pp.Values.Check(false); err != nil {
		t.Errorf("values break the key contract: %v", err)
	}
	if len(r.pp.Values.Secret) != 0 {
		t.Errorf("secret values without credentials: %v", r.pp.Values.Secret)
	}
}

func TestThreeGroupsFromWorkerInstance(t *testing.T) {
	args := baseArgs()
	args.InstanceID = worker
	// AWS returns the groups in any order; rules and AWS_SG_IDS are sorted.
	r := run(t, newCloud(sg3, sg1, sg2), args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkRules(t, r, expectedRules(sg1, sg2, sg3))
	cm := configMap(t, r.pp)
	if cm["AWS_SG_IDS"] != sg1+","+sg2+","+sg3 || cm["AWS_SUBNET_ID"] != subnet || cm["AWS_VPC_ID"] != vpcID {
		t.Errorf("ConfigMap %v", cm)
	}
	if r.pp.Network.InstanceID != worker {
		t.Errorf("Network %+v", r.pp.Network)
	}
	ids, _ := pulumitest.Await(t, r.pp.RuleIDs)
	if n := len(ids.([]string)); n != 9 {
		t.Errorf("%d rule IDs", n)
	}
	if len(r.pp.Rules) != 9 || r.pp.Rules[0].Target != sg1 || r.pp.Rules[0].Ports[0].Number != 15150 {
		t.Errorf("Rules %+v", r.pp.Rules[0])
	}
}

func TestDiscoveryByInfraIDPicksLowestWorker(t *testing.T) {
	args := baseArgs()
	args.InfraID = "mycluster-x7k2p"
	args.VPCID = vpcID // given: no subnet lookup
	r := run(t, newCloud(sg1), args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkRules(t, r, expectedRules(sg1))
	var filters resource.PropertyValue
	var tokens []string
	for _, inv := range r.m.Invokes() {
		tokens = append(tokens, inv.Token)
		if inv.Token == "aws:ec2/getInstances:getInstances" {
			filters = inv.Args["filters"]
			if got := inv.Args["instanceStateNames"]; !got.DeepEquals(resource.NewPropertyValue([]any{"running"})) {
				t.Errorf("states %v", got)
			}
		}
	}
	wantTokens := []string{"aws:index/getRegion:getRegion", "aws:ec2/getInstances:getInstances", "aws:ec2/getInstance:getInstance", awsmock.TokenSecurityGroupRules}
	if !reflect.DeepEqual(tokens, wantTokens) {
		t.Errorf("invokes %v, want %v", tokens, wantTokens)
	}
	wantFilters := resource.NewPropertyValue([]any{
		map[string]any{"name": "tag:kubernetes.io/cluster/mycluster-x7k2p", "values": []any{"owned"}},
		map[string]any{"name": "tag:Name", "values": []any{"mycluster-x7k2p-worker-*"}},
	})
	if !filters.DeepEquals(wantFilters) {
		t.Errorf("filters %v\nwant %v", filters, wantFilters)
	}
	if r.pp.Network.InstanceID != worker {
		t.Errorf("picked %s, want the lowest ID %s", r.pp.Network.InstanceID, worker)
	}
}

func TestSecretsAreSecretAndSettingsFlowIn(t *testing.T) {
	args := baseArgs()
	args.SecurityGroupIDs, args.SubnetID, args.VPCID = []string{sg1}, subnet, vpcID
	args.Identity = contract.IdentityStatic
	args.AccessKeyID, args.SecretAccessKey = pulumi.String("AKIAEXAMPLE"), pulumi.String("s3cr3t")
	args.PodVMAMIID, args.PodVMInstanceType, args.PodVMInstanceTypes = "ami-0123456789abcdef0", "m5.large", []string{"m5.large"}
	args.Settings.TunnelPort, args.Settings.TunnelProtocols = pulumi.IntRef(4789), []string{"udp"}
	args.Settings.Tags = map[string]string{"owner": "kata"}
	r := run(t, newCloud(), args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkRules(t, r, []rule{
		{"peerpods-" + sg1 + "-kata-agent-tcp", sg1, "tcp", 15150},
		{"peerpods-" + sg1 + "-tunnel-udp", sg1, "udp", 4789},
	})
	cm := configMap(t, r.pp)
	if cm["VXLAN_PORT"] != "4789" || cm["PODVM_AMI_ID"] != "ami-0123456789abcdef0" || cm["PODVM_INSTANCE_TYPES"] != "m5.large" || cm["TAGS"] != "owner=kata" {
		t.Errorf("ConfigMap %v", cm)
	}
	v, secret := pulumitest.Await(t, r.pp.Values.SecretOutput())
	if !secret {
		t.Error("secret values are not secret")
	}
	want := map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t"}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("secret %v", v)
	}
	for k, o := range r.pp.Values.Secret {
		if _, s := pulumitest.Await(t, o.ToStringOutput()); !s {
			t.Errorf("%s is not secret on its own", k)
		}
	}
}

func TestDiscoveryFailuresRegisterNothing(t *testing.T) {
	noWorkers := newCloud(sg1)
	noWorkers.workers = nil
	cases := []struct {
		name  string
		cloud *cloud
		args  func(*aws.Args)
		want  string
	}{
		{"unknown instance", newCloud(sg1), func(a *aws.Args) { a.InstanceID = "i-0000000000000000f" }, "aws.instanceId leads to worker instance i-0000000000000000f, which cannot be read (InvalidInstanceID.NotFound: i-0000000000000000f); fix: "},
		{"no running worker", noWorkers, func(a *aws.Args) { a.InfraID = "gone-abcde" }, "aws.infraId is \"gone-abcde\", but no running instance"},
		{"worker without groups", newCloud(), func(a *aws.Args) { a.InstanceID = worker }, "aws.securityGroupIds cannot be discovered"},
		{"unknown subnet", newCloud(sg1), func(a *aws.Args) { a.SecurityGroupIDs, a.SubnetID = []string{sg1}, "subnet-0000000000000000f" }, "aws.subnetId leads to subnet subnet-0000000000000000f, which cannot be read (subnet subnet-0000000000000000f not found); fix: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := baseArgs()
			c.args(&args)
			r := run(t, c.cloud, args, true)
			if r.err == nil || !strings.Contains(r.err.Error(), c.want) {
				t.Fatalf("want error containing %q, got %v", c.want, r.err)
			}
			if got := r.m.Summary(); len(got) != 1 {
				t.Errorf("registered more than the provider: %v", got)
			}
		})
	}
}

func TestNoProvider(t *testing.T) {
	args := baseArgs()
	args.InstanceID = worker
	r := run(t, newCloud(sg1), args, false)
	if r.err == nil || !strings.Contains(r.err.Error(), "never uses a default provider") {
		t.Fatalf("got %v", r.err)
	}
	if len(r.m.Resources())+len(r.m.Invokes()) != 0 {
		t.Errorf("registered %v, invoked %v", r.m.Summary(), r.m.Invokes())
	}
}
