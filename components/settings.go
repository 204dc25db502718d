package components

import "strconv"

// Settings are the peer-pods settings every cloud shares. Start from
// DefaultSettings and change what differs; Validate before use.
type Settings struct {
	// TunnelPort is the VXLAN tunnel port (VXLAN_PORT), default 9000.
	TunnelPort int
	// TunnelProtocols are the protocols the tunnel port is opened for,
	// default tcp and udp.
	TunnelProtocols []string
	// ProxyTimeout is PROXY_TIMEOUT, a duration: 5m, 15m for libvirt.
	ProxyTimeout string
	// LimitPerNode is PEERPODS_LIMIT_PER_NODE, at least 1, default 10.
	LimitPerNode int
	// RootVolumeSize is ROOT_VOLUME_SIZE in GB, at least and by default 6.
	RootVolumeSize int
	// Tags are the pod VM tags (TAGS), rendered key=value,... sorted by key.
	Tags map[string]string
	// DisableCVM is DISABLECVM: true runs pod VMs without confidential
	// computing. Default true.
	DisableCVM bool
	// InitData is the optional INITDATA value; empty leaves the key out.
	InitData string
}

// Defaults and minimums of the common keys.
const (
	DefaultLimitPerNode   = 10
	DefaultRootVolumeSize = 6
	MinRootVolumeSize     = 6
)

// DefaultSettings returns the defaults of DESIGN.md for cloud.
func DefaultSettings(cloud Cloud) Settings {
	timeout := "5m"
	if cloud == Libvirt {
		timeout = "15m"
	}
	return Settings{
		TunnelPort:      DefaultTunnelPort,
		TunnelProtocols: []string{string(TCP), string(UDP)},
		ProxyTimeout:    timeout,
		LimitPerNode:    DefaultLimitPerNode,
		RootVolumeSize:  DefaultRootVolumeSize,
		DisableCVM:      true,
	}
}

// Validate checks every setting and reports all problems in one error.
// Settings are named by their stack config keys.
func (s Settings) Validate() error {
	var p Problems
	p.Add(CheckPort("tunnelPort", s.TunnelPort))
	if s.TunnelPort == KataAgentPort {
		p.Add(Invalid("tunnelPort", "is 15150, the kata agent's port", "use another port, such as the default 9000"))
	}
	_, err := ParseProtocols("tunnelProtocols", s.TunnelProtocols)
	p.Add(err)
	p.Add(CheckDuration("proxyTimeout", s.ProxyTimeout))
	p.Add(CheckAtLeast("limitPerNode", s.LimitPerNode, 1, "allow at least 1 pod VM per node (default 10)"))
	p.Add(CheckAtLeast("rootVolumeSize", s.RootVolumeSize, MinRootVolumeSize, "use at least 6 (GB), the pod VM image's size"))
	p.Add(CheckTags("tags", s.Tags))
	return p.Err()
}

// Ports returns the ports the cloud must open for these settings. Call it
// on validated settings.
func (s Settings) Ports() []Port {
	protocols, _ := ParseProtocols("tunnelProtocols", s.TunnelProtocols)
	return Ports(s.TunnelPort, protocols)
}

// ConfigMap returns the common peer-pods-cm keys for cloud.
func (s Settings) ConfigMap(cloud Cloud) map[string]string {
	m := map[string]string{
		KeyCloudProvider:        string(cloud),
		KeyVXLANPort:            strconv.Itoa(s.TunnelPort),
		KeyProxyTimeout:         s.ProxyTimeout,
		KeyPeerPodsLimitPerNode: strconv.Itoa(s.LimitPerNode),
		KeyRootVolumeSize:       strconv.Itoa(s.RootVolumeSize),
		KeyTags:                 FormatTags(s.Tags),
		KeyDisableCVM:           strconv.FormatBool(s.DisableCVM),
	}
	if s.InitData != "" {
		m[KeyInitData] = s.InitData
	}
	return m
}
