package common

import (
	"net/netip"
	"strconv"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
)

// Settings are the peer-pods settings every cloud shares. Leave unset
// (nil) what takes its default, which WithDefaults fills in (the
// components' "settings" input); a value that is set, zero included, is
// checked as given by Validate. The pulumi tags are the components' input
// names, as the stack's settings name them. In a Pulumi program set a
// value with pulumi.IntRef and pulumi.StringRef.
type Settings struct {
	// TunnelPort is the VXLAN tunnel port (VXLAN_PORT), default 9000.
	TunnelPort *int `pulumi:"tunnelPort,optional"`
	// TunnelProtocols are the protocols the tunnel port is opened for,
	// default (nil) tcp and udp.
	TunnelProtocols []string `pulumi:"tunnelProtocols,optional"`
	// ProxyTimeout is PROXY_TIMEOUT, a duration: 5m, 15m for libvirt.
	ProxyTimeout *string `pulumi:"proxyTimeout,optional"`
	// LimitPerNode is PEERPODS_LIMIT_PER_NODE, at least 1, default 10.
	LimitPerNode *int `pulumi:"limitPerNode,optional"`
	// RootVolumeSize is ROOT_VOLUME_SIZE in GB, at least and by default 6.
	RootVolumeSize *int `pulumi:"rootVolumeSize,optional"`
	// Tags are the pod VM tags (TAGS), rendered key=value,... sorted by key.
	Tags map[string]string `pulumi:"tags,optional"`
	// InitData is INITDATA as CAA reads it (base64 of gzip-compressed
	// initdata TOML, see contract.EncodeInitData); empty leaves the key to
	// the operator.
	InitData string `pulumi:"initdata,optional"`
	// Extra are further CAA keys (peerpods:extra), checked against the
	// contract by Validate.
	Extra map[string]string `pulumi:"extra,optional"`
	// AllowPublicRanges are public address ranges (CIDR) the network rules
	// may let reach the peer-pods ports; every other range must be private
	// (netrules.CheckPrivate). Default none.
	AllowPublicRanges []string `pulumi:"allowPublicRanges,optional"`
}

// PublicAllowed returns AllowPublicRanges parsed (those that parse: Validate
// reports the others); nil for nil settings.
func (s *Settings) PublicAllowed() []netip.Prefix {
	if s == nil {
		return nil
	}
	var out []netip.Prefix
	for _, r := range s.AllowPublicRanges {
		if p, err := netip.ParsePrefix(r); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Defaults and minimums of the common keys.
const (
	DefaultLimitPerNode   = 10
	DefaultRootVolumeSize = 6
	MinRootVolumeSize     = 6
)

// DefaultSettings returns the defaults for cloud (PROXY_TIMEOUT 15m for
// libvirt, whose pod VMs boot from a local image), every field set.
func DefaultSettings(cloud contract.Cloud) Settings {
	timeout := "5m"
	if cloud == contract.Libvirt {
		timeout = "15m"
	}
	return Settings{
		TunnelPort:      ref(netrules.DefaultTunnelPort),
		TunnelProtocols: []string{string(netrules.TCP), string(netrules.UDP)},
		ProxyTimeout:    ref(timeout),
		LimitPerNode:    ref(DefaultLimitPerNode),
		RootVolumeSize:  ref(DefaultRootVolumeSize),
	}
}

// ref returns a pointer to a copy of v.
func ref[T any](v T) *T { return &v }

// NewSettings returns a new copy of DefaultSettings(cloud), for the
// components' Settings argument.
func NewSettings(cloud contract.Cloud) *Settings {
	s := DefaultSettings(cloud)
	return &s
}

// WithDefaults returns a copy of s (nil: none) with its unset fields set
// to cloud's defaults (DefaultSettings): what a component input leaves
// out. A field that is set stays as it is, zero included.
func (s *Settings) WithDefaults(cloud contract.Cloud) *Settings {
	def := DefaultSettings(cloud)
	if s == nil {
		return &def
	}
	c := *s
	s = &c
	if s.TunnelPort == nil {
		s.TunnelPort = def.TunnelPort
	}
	if s.TunnelProtocols == nil {
		s.TunnelProtocols = def.TunnelProtocols
	}
	if s.ProxyTimeout == nil {
		s.ProxyTimeout = def.ProxyTimeout
	}
	if s.LimitPerNode == nil {
		s.LimitPerNode = def.LimitPerNode
	}
	if s.RootVolumeSize == nil {
		s.RootVolumeSize = def.RootVolumeSize
	}
	return s
}

// Validate checks every setting that is set and reports all problems in
// one error. Settings are named by their stack config keys.
func (s Settings) Validate() error {
	var p problems.List
	if s.TunnelPort != nil {
		p.Add(check.Port("tunnelPort", *s.TunnelPort))
		if *s.TunnelPort == netrules.KataAgentPort {
			p.Add(problems.Invalid("tunnelPort", "is 15150, the kata agent's port", "use another port, such as the default 9000"))
		}
	}
	if s.TunnelProtocols != nil {
		_, err := netrules.ParseProtocols("tunnelProtocols", s.TunnelProtocols)
		p.Add(err)
	}
	if s.ProxyTimeout != nil {
		p.Add(check.Duration("proxyTimeout", *s.ProxyTimeout))
	}
	if s.LimitPerNode != nil {
		p.Add(check.AtLeast("limitPerNode", *s.LimitPerNode, 1, "allow at least 1 pod VM per node (default 10)"))
	}
	if s.RootVolumeSize != nil {
		p.Add(check.AtLeast("rootVolumeSize", *s.RootVolumeSize, MinRootVolumeSize, "use at least 6 (GB), the pod VM image's size"))
	}
	p.Add(check.Tags("tags", s.Tags))
	if _, err := netrules.ParsePrefixes("allowPublicRanges", s.AllowPublicRanges); err != nil {
		p.Add(err)
	}
	if s.InitData != "" {
		if err := contract.InitData.Check(s.InitData); err != nil {
			p.Add(problems.Invalid("initdata", err.Error(), "give the initdata TOML file as peerpods:initdataFile instead, or its encoding: gzip < initdata.toml | base64 -w0"))
		}
	}
	return p.Err()
}

// ValidateFor checks the settings (Validate), the tags against cloud's
// TagRules, and the extra keys against cloud's contract: each must be a
// key peerpods:extra may set, with a value of the key's format.
func (s Settings) ValidateFor(cloud contract.Cloud) error {
	var p problems.List
	p.Add(s.Validate())
	p.Add(check.TagsFor("tags", cloud, s.Tags))
	p.Add(check.Extra("extra", cloud, s.Extra))
	return p.Err()
}

// Ports returns the ports the cloud must open for these settings (the
// defaults where unset). Call it on validated settings.
func (s Settings) Ports() []netrules.Port {
	d := s.WithDefaults("")
	protocols, _ := netrules.ParseProtocols("tunnelProtocols", d.TunnelProtocols)
	return netrules.Ports(*d.TunnelPort, protocols)
}

// ConfigMap returns the peer-pods-cm keys of the common settings that
// cloud's contract has, and the extra keys: operator-owned and user keys
// only when set.
func (s Settings) ConfigMap(cloud contract.Cloud) map[string]string {
	d := s.WithDefaults(cloud)
	all := map[string]string{
		contract.KeyCloudProvider:        string(cloud),
		contract.KeyVXLANPort:            strconv.Itoa(*d.TunnelPort),
		contract.KeyProxyTimeout:         *d.ProxyTimeout,
		contract.KeyPeerPodsLimitPerNode: strconv.Itoa(*d.LimitPerNode),
		contract.KeyRootVolumeSize:       strconv.Itoa(*d.RootVolumeSize),
	}
	if len(s.Tags) > 0 {
		all[contract.KeyTags] = check.FormatTags(s.Tags)
	}
	if s.InitData != "" {
		all[contract.KeyInitData] = s.InitData
	}
	set := contract.MustFor(cloud)
	m := map[string]string{}
	for k, v := range all {
		if key, ok := set.Key(k); ok && key.In.Has(contract.ConfigMap) {
			m[k] = v
		}
	}
	for k, v := range s.Extra {
		if key, ok := set.Key(k); ok && key.Extra() && key.In.Has(contract.ConfigMap) {
			m[k] = v
		}
	}
	return m
}
