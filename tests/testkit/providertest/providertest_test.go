package providertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/peerpods/provisioner/libvirt/provider"
	p "github.com/pulumi/pulumi-go-provider"
)

// fatal is a testing.TB whose Fatalf records the message and ends the
// goroutine, as testing's does.
type fatal struct {
	testing.TB
	msg string
}

func (f *fatal) Helper() {}
func (f *fatal) Fatalf(format string, a ...any) {
	f.msg = fmt.Sprintf(format, a...)
	runtime.Goexit()
}

// run calls Server with a recording TB in a goroutine of its own.
func run(t *testing.T, build func() (p.Provider, error)) string {
	f := &fatal{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); Server(f, build) }()
	<-done
	return f.msg
}

// TestServer: a provider is served under the plugin's name (its schema
// says so); a provider that fails to build fails the test, saying so.
func TestServer(t *testing.T) {
	resp, err := Server(t, func() (p.Provider, error) { return provider.New() }).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil || schema.Name != provider.Name || schema.Version != provider.Version {
		t.Errorf("served as %q %q (%v), want %s %s", schema.Name, schema.Version, err, provider.Name, provider.Version)
	}
	if msg := run(t, func() (p.Provider, error) { return p.Provider{}, errors.New("boom") }); msg != "building the provider: boom" {
		t.Errorf("a failed build: %q", msg)
	}
}
