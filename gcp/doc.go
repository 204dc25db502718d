// Package gcp prepares a Google Cloud cluster network for OpenShift peer
// pods: one firewall rule that lets the kata agent and tunnel ports in
// from the ranges the stack names (never from everywhere), and the GCP
// peer-pods values.
package gcp
