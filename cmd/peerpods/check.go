package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoffcheck"
	"github.com/peerpods/provisioner/components/readiness"
	"github.com/peerpods/provisioner/components/smoke"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/settings"
	"github.com/peerpods/provisioner/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// checkOptions are the flags of peerpods check.
type checkOptions struct {
	// json prints the facts as JSON instead of lines.
	json bool
	// smoke runs a pod on a pod VM too, of smokeImage, each wait at most
	// smokeTimeout.
	smoke        bool
	smokeImage   string
	smokeTimeout time.Duration
}

// checkReport is what peerpods check --json prints.
type checkReport struct {
	Stack string           `json:"stack"`
	OK    bool             `json:"ok"`
	Facts []readiness.Fact `json:"facts"`
}

// check verifies, read-only, that the stack's peer pods work: the cluster
// side (the handoff objects against the stack, drift per object; the
// environment osc-caa-ds gets; the operator's facts; its peer-pods
// webhook) and the cloud side
// (the declared rules where the cloud reads them back; libvirt: the KVM
// host reached with the handoff's key and known_hosts, the pool and the
// volume found), and with o.smoke a pod on a pod VM. It prints one line
// (or a JSON object) per fact and returns changesFound (exit 7) unless
// every one holds.
func (s *stack) check(ctx context.Context, o checkOptions, stdout, stderr io.Writer) error {
	outs, err := s.Outputs(ctx)
	if err != nil {
		return fmt.Errorf("reading the outputs of %s: %w", s.name, err)
	}
	cloud, _ := outs[stacks.OutputCloud].Value.(string)
	if cloud == "" {
		return fmt.Errorf("stack %s has no outputs: run peerpods up --stack %s first", s.name, s.name)
	}
	lineText, _ := outs[stacks.OutputOperatorLine].Value.(string)
	line, _, err := contract.ParseVersion(lineText)
	if err != nil {
		return fmt.Errorf("the operatorLine output of %s: %w", s.name, err)
	}
	h := handoffcheck.Handoff{Cloud: contract.Cloud(cloud), Line: line, Objects: handoffObjects(outs)}
	c, connected, err := stackClients(ctx, s)
	if err != nil {
		return err
	}
	if o.smoke && !connected {
		return usageError{"--smoke needs the stack's cluster (peerpods:kubeconfig)"}
	}
	var facts []readiness.Fact
	if connected {
		if facts, err = clusterFacts(ctx, c, h, outs); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stderr, "peerpods: %s has no peerpods:kubeconfig: the cluster side is not checked\n", s.name)
	}
	rules, err := s.ruleFacts(ctx, h.Cloud, outs, stderr)
	if err != nil {
		return err
	}
	facts = append(facts, rules...)
	var access *libvirtAccess
	if h.Cloud == contract.Libvirt {
		f, a, err := libvirtFact(ctx, c, connected, h)
		if err != nil {
			return err
		}
		facts, access = append(facts, f), a
	}
	if o.smoke {
		so := smoke.Options{Image: o.smokeImage, Backoff: readiness.DefaultBackoff, Sleep: followSleep, Progress: stderr}
		so.Backoff.Bound = o.smokeTimeout
		if access != nil {
			so.PodVMs, so.Kind = access.podVMs, "libvirt domain"
		}
		fmt.Fprintf(stderr, "smoke test: a pod of runtime class %s in a scratch namespace\n", contract.RuntimeClass)
		sf, err := smoke.Run(ctx, c, so)
		if err != nil {
			return err
		}
		facts = append(facts, sf...)
	}
	report := checkReport{Stack: s.name, OK: readiness.Report(facts).Done(), Facts: facts}
	if o.json {
		b, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
	} else {
		for _, f := range facts {
			fmt.Fprintln(stdout, f.Line())
		}
	}
	if !report.OK {
		return changesFound
	}
	return nil
}

// ruleFacts checks the network rules the stack declared (its rules
// output) where the cloud can read them back (stacks.RuleChecker), in a
// read-only program: one fact per rule.
func (s *stack) ruleFacts(ctx context.Context, cloud contract.Cloud, outs auto.OutputMap, stderr io.Writer) ([]readiness.Fact, error) {
	rules, err := values.ParseRules(outs[stacks.OutputRules].Value)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	c, _ := stacks.CloudNamed(cloud)
	rc, ok := c.(stacks.RuleChecker)
	if !ok {
		fmt.Fprintf(stderr, "peerpods: the %d rule(s) of %s on %s are not read back (peerpods refresh --stack %s --expect-no-changes finds their drift)\n", len(rules), s.name, cloud, s.name)
		return nil, nil
	}
	found, err := stacks.CheckRules(rc, func(program pulumi.RunFunc) error {
		return s.runInvokes(ctx, "reading the stack's rules", program)
	}, configMapOutput(outs), rules)
	if err != nil {
		return nil, err
	}
	facts := make([]readiness.Fact, 0, len(found))
	for _, f := range found {
		facts = append(facts, ruleFact(f))
	}
	return facts, nil
}

// ruleFact is a rule's finding as a fact of the check.
func ruleFact(f values.RuleFinding) readiness.Fact {
	var ports []string
	for _, p := range f.Rule.Ports {
		ports = append(ports, p.String())
	}
	fact := readiness.Fact{Name: readiness.SubjectRule, Object: f.Rule.String(), Field: strings.Join(ports, ", "),
		State: readiness.OK, Detail: "exists and still allows its ports as the stack declared them"}
	if f.Rule.AttachedTo != "" {
		fact.Name, fact.Detail = readiness.SubjectAttachment, "still attached as the stack declared it"
	}
	if f.Problem != "" {
		fact.State, fact.Detail, fact.Fix = readiness.Failed, f.Problem, f.Fix
	}
	return fact
}

// clusterFacts are the cluster side's facts.
func clusterFacts(ctx context.Context, c cluster.Clients, h handoffcheck.Handoff, outs auto.OutputMap) ([]readiness.Fact, error) {
	facts, err := handoffcheck.Objects(ctx, c, h)
	if err != nil {
		return nil, err
	}
	env, err := handoffcheck.EnvFact(ctx, c, h.Cloud, h.Line)
	if err != nil {
		return nil, err
	}
	want, _ := handoffWant(outs)
	r, err := readiness.Read(ctx, c, want)
	if err != nil {
		return nil, err
	}
	hook, err := readiness.Webhook(ctx, c)
	if err != nil {
		return nil, err
	}
	return append(append(append(facts, env), r...), hook), nil
}

// handoffObjects are the handoff objects as the stack's outputs hold them
// (the secret ones in plain text, as the Automation API reads outputs).
func handoffObjects(outs auto.OutputMap) []handoffcheck.Object {
	var objs []handoffcheck.Object
	for _, o := range []struct {
		output, name string
		secret       bool
	}{
		{stacks.OutputConfigMap, contract.ConfigMapName, false},
		{stacks.OutputSecret, contract.SecretName, true},
		{stacks.OutputSSHKeySecret, contract.SSHKeySecretName, true},
	} {
		m, ok := outs[o.output].Value.(map[string]any)
		if !ok {
			continue
		}
		data := map[string]string{}
		for k, v := range m {
			if s, ok := v.(string); ok {
				data[k] = s
			}
		}
		objs = append(objs, handoffcheck.Object{Name: o.name, Secret: o.secret, Data: data})
	}
	return objs
}

// libvirtAccess is how cloud-api-adaptor reaches its libvirtd.
type libvirtAccess struct {
	uri, pool, volume string
	creds             conn.Credentials
}

// podVMs lists the domains cloud-api-adaptor's libvirt provider names
// after pod (cluster.PodVMOfPod).
func (a *libvirtAccess) podVMs(_ context.Context, pod string) ([]string, error) {
	l, err := conn.Open(a.uri, a.creds)
	if err != nil {
		return nil, err
	}
	defer l.Disconnect()
	doms, _, err := l.ConnectListAllDomains(1, 0)
	if err != nil {
		return nil, fmt.Errorf("listing the domains of %s: %w", settings.Redact(a.uri), err)
	}
	var names []string
	for _, d := range doms {
		if cluster.PodVMOfPod(d.Name, pod) {
			names = append(names, d.Name)
		}
	}
	return names, nil
}

// libvirtFact connects to the stack's libvirtd as cloud-api-adaptor does:
// LIBVIRT_URI, LIBVIRT_POOL and LIBVIRT_VOL_NAME from its environment
// (from the stack's outputs where the cluster is not read or osc-caa-ds
// does not exist yet), ssh-key-secret's id_rsa and known_hosts as the
// cluster holds them; then it looks up the pool and the volume. Over
// qemu+ssh it runs what cloud-api-adaptor runs, virsh over libvirt's ssh
// transport and OpenSSH (opensshFact), when ssh, ssh-agent, ssh-add and
// virsh are on PATH; otherwise Go's SSH client, and the fact says so. The
// access is nil unless it connected.
func libvirtFact(ctx context.Context, c cluster.Clients, connected bool, h handoffcheck.Handoff) (readiness.Fact, *libvirtAccess, error) {
	vals, ssh := map[string]string{}, map[string]string{}
	for _, o := range h.Objects { // the Secret, then the ConfigMap: CAA's envFrom order
		if o.Name == contract.SecretName {
			maps.Copy(vals, o.Data)
		}
	}
	for _, o := range h.Objects {
		switch o.Name {
		case contract.ConfigMapName:
			maps.Copy(vals, o.Data)
		case contract.SSHKeySecretName:
			ssh = o.Data
		}
	}
	if connected {
		env, _, found, err := handoffcheck.CAAEnv(ctx, c)
		if err != nil {
			return readiness.Fact{}, nil, err
		}
		if found {
			vals = env
		}
		if held, ok, err := handoffcheck.Data(ctx, c, contract.SSHKeySecretName, true); err != nil {
			return readiness.Fact{}, nil, err
		} else if ok {
			ssh = held
		}
	}
	a := &libvirtAccess{uri: vals[contract.KeyLibvirtURI], pool: vals[contract.KeyLibvirtPool], volume: vals[contract.KeyLibvirtVolName]}
	f := readiness.Fact{Name: readiness.SubjectLibvirt, Object: "libvirt " + settings.Redact(a.uri), Field: "pool " + a.pool + ", volume " + a.volume}
	fail := func(detail, fix string) (readiness.Fact, *libvirtAccess, error) {
		f.State, f.Detail, f.Fix = readiness.Failed, detail, fix
		return f, nil, nil
	}
	t, err := settings.ParseURI(a.uri)
	if err != nil {
		return fail("LIBVIRT_URI: "+err.Error(), "peerpods up --stack S writes the stack's URI")
	}
	transport := ""
	if t.Transport == "ssh" {
		hostKey, err := settings.KnownHostsKey(ssh[contract.KeySSHKnownHosts], t.Addr())
		if err != nil {
			return fail("ssh-key-secret: "+err.Error(), "the host key changed, or known_hosts was edited: peerpods up --stack S writes the pinned key again")
		}
		a.creds = conn.Credentials{PrivateKey: ssh[contract.KeySSHPrivateKey], HostKey: hostKey}
		if tools, ok := lookOpenSSH(); ok {
			return opensshFact(ctx, f, a, tools, ssh)
		}
		transport = " (" + transportGo + ")"
	}
	l, err := conn.Open(a.uri, a.creds)
	if err != nil {
		fix := "check that the key is still in the host's authorized_keys (peerpods refresh --stack S, then up), that this machine is within libvirt.allowedSources, and that libvirtd runs"
		if strings.Contains(err.Error(), "SSH host key") {
			fix = "known_hosts of ssh-key-secret does not hold the host's key: the host was reinstalled, or known_hosts was edited (peerpods check shows the drift); peerpods up --stack S writes the pinned key again"
		}
		return fail("cloud-api-adaptor could not connect with the handoff's key and known_hosts"+transport+": "+err.Error(), fix)
	}
	defer l.Disconnect()
	p, err := l.StoragePoolLookupByName(a.pool)
	if err != nil {
		return fail("pool "+a.pool+" not found: "+err.Error(), "peerpods up --stack S creates it again (it was removed by hand?)")
	}
	if _, err := l.StorageVolLookupByName(p, a.volume); err != nil {
		return fail("volume "+a.volume+" not found in pool "+a.pool+": "+err.Error(), "peerpods up --stack S uploads it again (it was removed by hand?)")
	}
	f.State, f.Detail = readiness.OK, "connected with the handoff's key and known_hosts; pool and volume found"+transport
	return f, a, nil
}

// opensshFact is libvirtFact over OpenSSH (virshOverSSH): the pool's
// volumes listed with ssh-key-secret's id_rsa and known_hosts, the
// volume found among them. The fact names the transport.
func opensshFact(ctx context.Context, f readiness.Fact, a *libvirtAccess, tools map[string]string, keys map[string]string) (readiness.Fact, *libvirtAccess, error) {
	fail := func(detail, fix string) (readiness.Fact, *libvirtAccess, error) {
		f.State, f.Detail, f.Fix = readiness.Failed, detail+" ("+transportOpenSSH+")", fix
		return f, nil, nil
	}
	const refused = "cloud-api-adaptor could not connect with the handoff's key and known_hosts: "
	vols, err := virshOverSSH(ctx, tools, a.uri, a.pool, keys[contract.KeySSHPrivateKey], keys[contract.KeySSHKnownHosts])
	var oe *opensshError
	switch {
	case errors.As(err, &oe) && oe.kind == failHostKey:
		return fail(refused+"the host's key is not the pinned one in known_hosts of ssh-key-secret: "+oe.output,
			"the host was reinstalled, or known_hosts was edited (peerpods check shows the drift); peerpods up --stack S writes the pinned key again")
	case errors.As(err, &oe) && oe.kind == failKey:
		return fail(refused+"the host refused the key id_rsa of ssh-key-secret: "+oe.output,
			"check that the key's line is still in the host user's authorized_keys (peerpods refresh --stack S, then up) and that this machine is within its from= (libvirt.allowedSources)")
	case errors.As(err, &oe) && oe.kind == failPool:
		return fail("pool "+a.pool+" not found: "+oe.output, "peerpods up --stack S creates it again (it was removed by hand?)")
	case err != nil:
		return fail(refused+err.Error(), "check that the host answers on its SSH port and that libvirtd runs")
	case !slices.Contains(vols, a.volume):
		return fail("volume "+a.volume+" not found in pool "+a.pool, "peerpods up --stack S uploads it again (it was removed by hand?)")
	}
	f.State, f.Detail = readiness.OK, "connected with the handoff's key and known_hosts; pool and volume found ("+transportOpenSSH+")"
	return f, a, nil
}
