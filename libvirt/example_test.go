package libvirt_test

import (
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/libvirt"
	"github.com/peerpods/provisioner/sdk/go/peerpods"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// A Go program using the libvirt component (the README's Go example):
// this machine's libvirtd, a pool and the pod VM image, the offline token
// a secret.
func Example() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		provider, err := peerpods.NewProvider(ctx, "peerpods", &peerpods.ProviderArgs{})
		if err != nil {
			return err
		}
		settings := common.NewSettings(contract.Libvirt)
		settings.LimitPerNode = 4
		podvms, err := libvirt.NewPeerPods(ctx, "podvms", libvirt.Args{
			URI: "qemu:///system", Pool: "peerpods", Dir: "/var/lib/libvirt/images/peerpods",
			Image: "/var/tmp/peerpods/podvm.qcow2", Settings: settings,
			RedHatOfflineToken: config.RequireSecret(ctx, "token"),
		}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		ctx.Export("configMap", podvms.ConfigMap)
		ctx.Export("secret", podvms.Secret)
		return nil
	})
}
