// Package netrules holds what the network rules of peer pods open and
// where: the ports (the kata agent's 15150 and the VXLAN tunnel) and
// protocols, address ranges (CIDR parsing, overlap, containment), how much
// of an address space a rule exposes, and rule priorities.
package netrules
