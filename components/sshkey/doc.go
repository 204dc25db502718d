// Package sshkey holds the SSHKeyPair component (the key pair
// cloud-api-adaptor logs into pod VMs with, generated or given) and the
// checks of OpenSSH keys.
package sshkey
