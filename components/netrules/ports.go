package netrules

import (
	"fmt"
	"github.com/peerpods/provisioner/components/problems"
	"slices"
	"strings"
)

// Protocol is an IP protocol a peer-pods port is opened for.
type Protocol string

// The protocols a peer-pods port can use.
const (
	TCP Protocol = "tcp"
	UDP Protocol = "udp"
)

// Port roles.
const (
	// RoleKataAgent is the kata agent's port on the pod VM.
	RoleKataAgent = "kata-agent"
	// RoleTunnel is the VXLAN tunnel between the worker and the pod VM.
	RoleTunnel = "tunnel"
)

const (
	// KataAgentPort is the TCP port the kata agent listens on in the pod VM.
	// cloud-api-adaptor does not make it configurable.
	KataAgentPort = 15150
	// DefaultTunnelPort is the default VXLAN tunnel port (VXLAN_PORT).
	DefaultTunnelPort = 9000
)

// DefaultTunnelProtocols opens the tunnel for TCP (as the product docs do)
// and UDP (what VXLAN actually uses).
var DefaultTunnelProtocols = []Protocol{TCP, UDP}

// Port is one port and protocol a cloud must open between the workers and
// the pod VMs.
type Port struct {
	// Role is RoleKataAgent or RoleTunnel; it names the rule, so a changed
	// port number updates a rule instead of replacing it.
	Role string
	// Number is the port number, 1-65535.
	Number int
	// Protocol is TCP or UDP.
	Protocol Protocol
}

// Key is a short stable name for the port, such as "kata-agent-tcp", used in
// resource names.
func (p Port) Key() string { return p.Role + "-" + string(p.Protocol) }

// String renders the port as "15150/tcp".
func (p Port) String() string { return fmt.Sprintf("%d/%s", p.Number, p.Protocol) }

// Ports returns the ports to open, in a fixed order: the kata agent on TCP,
// then the tunnel port once per protocol.
func Ports(tunnelPort int, tunnelProtocols []Protocol) []Port {
	ports := []Port{{Role: RoleKataAgent, Number: KataAgentPort, Protocol: TCP}}
	for _, p := range tunnelProtocols {
		ports = append(ports, Port{Role: RoleTunnel, Number: tunnelPort, Protocol: p})
	}
	return ports
}

// ParseProtocols turns protocol names into Protocols, checking each is tcp
// or udp and none is repeated. setting names the input in errors.
func ParseProtocols(setting string, names []string) ([]Protocol, error) {
	if len(names) == 0 {
		return nil, problems.Invalid(setting, "is empty", `list at least one of "tcp" and "udp" (default: both)`)
	}
	var out []Protocol
	for _, n := range names {
		p := Protocol(strings.ToLower(strings.TrimSpace(n)))
		if p != TCP && p != UDP {
			return nil, problems.Invalid(setting, fmt.Sprintf("has %q, which is not a protocol", n), `use "tcp" and/or "udp"`)
		}
		if slices.Contains(out, p) {
			return nil, problems.Invalid(setting, fmt.Sprintf("lists %q twice", n), "list each protocol once")
		}
		out = append(out, p)
	}
	return out, nil
}
