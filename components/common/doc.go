// Package common holds the peer-pods settings every cloud shares
// (tunnel port and protocols, proxy timeout, limit per node, root volume
// size, tags, initdata, extra keys), their defaults in one place, their
// validation, and the marks this project puts on what it makes.
package common
