// Package libvirtmock holds the fakes of cloud libvirt for tests on Pulumi
// mocks: the answers of its discovery invokes, the outputs of its
// resources, the secret values of its example stacks.
package libvirtmock

import (
	"encoding/json"
	"github.com/peerpods/provisioner/tests/testkit/mocks"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The mocks' KVM host: kvm.example.com, its host key mocks.FakeKeyPair(2),
// the installed key pair mocks.FakeKeyPair(1).
const (
	// Host is the KVM host's name.
	Host = "kvm.example.com"
	// LibvirtURI is its qemu+ssh URI.
	LibvirtURI = "qemu+ssh://root@" + Host + "/system"
)

// KnownHosts is the mocks' KVM host's known_hosts line.
func KnownHosts() string {
	_, hostKey := mocks.FakeKeyPair(2)
	return Host + " " + hostKey
}

// Mocks are the fakes of the cloud: the host access gives the mock host's
// URI and keys; the example stack's image, which exists only on a real
// machine, becomes a 1 MiB raw image in the test's directory.
func Mocks() mocks.Mocks {
	str := resource.NewStringProperty
	private, public := mocks.FakeKeyPair(1)
	return mocks.Mocks{
		Resources: map[string]func(string, resource.PropertyMap) (string, resource.PropertyMap){
			"peerpods:libvirt:KvmHostAccess": func(name string, _ resource.PropertyMap) (string, resource.PropertyMap) {
				return name + "-id", resource.PropertyMap{"libvirtUri": str(LibvirtURI), "hostKey": str(KnownHosts()),
					"publicKey": str(public), "privateKey": resource.MakeSecret(str(private))}
			},
		},
		Secrets: map[string]string{
			"peerpods:libvirtHostPassword": mocks.FakeSecret,
			"peerpods:redhatOfflineToken":  "offline-token",
		},
		Fixup: func(dir string, config map[string]string) error {
			image, err := writeImage(dir)
			if err != nil {
				return err
			}
			var lv map[string]any
			if err := json.Unmarshal([]byte(config["peerpods:libvirt"]), &lv); err != nil {
				return err
			}
			lv["image"], lv["format"] = image, "raw"
			b, err := json.Marshal(lv)
			config["peerpods:libvirt"] = string(b)
			return err
		},
	}
}

// writeImage writes a pod VM image, 1 MiB raw, into dir.
func writeImage(dir string) (string, error) {
	image := filepath.Join(dir, "podvm.raw")
	return image, os.WriteFile(image, make([]byte, 1<<20), 0o644)
}

// Image writes a pod VM image, 1 MiB raw, into a new temporary directory
// and returns its path and the function that removes it: the file a
// component reads on a machine that has no real image.
func Image() (path string, remove func()) {
	dir, err := os.MkdirTemp("", "podvm")
	if err == nil {
		path, err = writeImage(dir)
	}
	if err != nil {
		panic(err)
	}
	return path, func() { os.RemoveAll(dir) }
}
