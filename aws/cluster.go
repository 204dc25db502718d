package aws

import (
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
)

// FromCluster implements cloud.Cloud: the region and the infrastructure
// name (which finds the workers by the installer's tags, and stays when
// workers are replaced), and the OIDC issuer for workload identity.
func (Cloud) FromCluster(f cluster.Facts, id contract.Identity) []cluster.Found {
	var out []cluster.Found
	if f.InfraName != "" {
		out = append(out, cluster.Found{Setting: "aws.infraId", Value: f.InfraName, From: cluster.FromInfrastructure + "infrastructureName",
			Unless: []string{"aws.instanceId"}})
	}
	if id == contract.IdentityWorkload && f.ServiceAccountIssuer != "" {
		out = append(out, cluster.Found{Setting: "aws.oidcIssuer", Value: f.ServiceAccountIssuer, From: cluster.FromIssuer})
	}
	if f.AWSRegion != "" {
		out = append(out, cluster.Found{Setting: "aws.region", Value: f.AWSRegion, From: cluster.FromInfrastructure + "platformStatus.aws.region"})
	}
	return out
}
