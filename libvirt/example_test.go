package libvirt_test

import (
	"fmt"
	"maps"
	"slices"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/libvirt"
	"github.com/peerpods/provisioner/sdk/go/peerpods"
	"github.com/peerpods/provisioner/tests/testkit/mocks/libvirtmock"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// A Go program of one's own using the libvirt component (the Go example of
// docs/languages.md): this machine's libvirtd, a pool and the pod VM image, the
// offline token a secret of the stack's configuration. The peerpods
// provider is the program's. (Here on Pulumi's mocks; a real program is
// pulumi.Run(program).)
func Example() {
	image, remove := libvirtmock.Image() // a real program names its own
	defer remove()
	program := func(ctx *pulumi.Context) error {
		provider, err := peerpods.NewProvider(ctx, "peerpods", &peerpods.ProviderArgs{})
		if err != nil {
			return err
		}
		settings := common.NewSettings(contract.Libvirt)
		settings.LimitPerNode = pulumi.IntRef(4)
		podvms, err := libvirt.NewPeerPods(ctx, "podvms", libvirt.Args{
			URI: "qemu:///system", Pool: "peerpods", Dir: "/var/lib/libvirt/images/peerpods",
			Image: image, Format: "raw", Settings: settings,
			RedHatOfflineToken: config.RequireSecret(ctx, "token"),
		}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		ctx.Export("configMap", podvms.ConfigMap)
		ctx.Export("secret", podvms.Secret)
		// What the program's stack outputs would show.
		pulumi.All(podvms.ConfigMap, podvms.Secret).ApplyT(func(v []any) error {
			cm := v[0].(map[string]string)
			for _, k := range slices.Sorted(maps.Keys(cm)) {
				fmt.Printf("%s=%s\n", k, cm[k])
			}
			fmt.Println("peer-pods-secret:", slices.Sorted(maps.Keys(v[1].(map[string]string))))
			return nil
		})
		return nil
	}
	err := pulumi.RunErr(program, pulumi.WithMocks("project", "stack", libvirtmock.Mocks().Recording()),
		func(ri *pulumi.RunInfo) { ri.Config = map[string]string{"project:token": "offline-token"} })
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// CLOUD_PROVIDER=libvirt
	// LIBVIRT_DIR_NAME=/var/lib/libvirt/images/peerpods
	// LIBVIRT_IMAGE_ID=podvm-base.qcow2
	// LIBVIRT_NET=default
	// LIBVIRT_POOL=peerpods
	// LIBVIRT_VOL_NAME=podvm-base.qcow2
	// PEERPODS_LIMIT_PER_NODE=4
	// PROXY_TIMEOUT=15m
	// VXLAN_PORT=9000
	// peer-pods-secret: [CLOUD_PROVIDER LIBVIRT_POOL LIBVIRT_URI LIBVIRT_VOL_NAME REDHAT_OFFLINE_TOKEN]
}
