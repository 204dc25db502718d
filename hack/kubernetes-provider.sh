#!/usr/bin/env bash
# kubernetes-provider.sh DIR: builds the real pulumi-kubernetes provider
# plugin into DIR/pulumi-resource-kubernetes from the Go module proxy, for
# the e2e tests' cluster-mode stacks (which point plugins.providers at
# DIR). The provider module is served only at a pseudo-version, and not
# buildable as served: its main package embeds schema-embed.json and
# terraform-mapping-embed.json, which its own go generate step
# (cmd/pulumi-resource-kubernetes/generate.go) makes from the checked-in
# schema.json and terraform-mapping.json, and its go.mod replaces the SDK
# with ../sdk, which the module does not hold. So: a writable copy, their
# generator run as go generate would, the replace dropped (the SDK version
# it requires comes from the proxy), then go build. About 8 minutes on 2
# cores from empty caches.
set -euo pipefail
out=${1:?usage: kubernetes-provider.sh DIR}
GO=${GO:-go}
NICE=${NICE:-}
# The provider's module and version, and the version the plugin reports:
# a pre-release of the patch after v4.24.0, the SDK release the module's
# go.mod requires (so built after it), which meets the engine's check
# against the program's SDK (>= 4.23.0) without claiming a release.
MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
PSEUDO=v4.0.0-20260115033456-f47bc2d6f199
VERSION=${PEERPODS_KUBERNETES_PROVIDER_VERSION:-4.24.1-dev.20260115033456.f47bc2d6f199}

mkdir -p "$out"
# A fresh clone's script is newer than the cached plugin: built already
# from the same module and version, it is kept (the stamp says which).
stamp="$MODULE@$PSEUDO $VERSION"
if [ -x "$out/pulumi-resource-kubernetes" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  touch "$out/pulumi-resource-kubernetes"
  echo "kept $out/pulumi-resource-kubernetes ($stamp)"
  exit 0
fi
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
dir=$(GOFLAGS=-mod=mod "$GO" mod download -json "$MODULE@$PSEUDO" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "kubernetes-provider.sh: $MODULE@$PSEUDO not downloaded" >&2; exit 1; }
cp -r "$dir/." "$work/"
chmod -R u+w "$work"
cd "$work"
"$GO" mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4
(cd cmd/pulumi-resource-kubernetes && VERSION=$VERSION GOFLAGS=-mod=mod $NICE "$GO" run generate.go)
GOFLAGS=-mod=mod CGO_ENABLED=0 $NICE "$GO" build -trimpath -o "$out/pulumi-resource-kubernetes.tmp" \
  -ldflags "-s -w -X $MODULE/pkg/version.Version=$VERSION" ./cmd/pulumi-resource-kubernetes
mv "$out/pulumi-resource-kubernetes.tmp" "$out/pulumi-resource-kubernetes"
echo "$stamp" >"$out/stamp"
echo "built $out/pulumi-resource-kubernetes ($MODULE@$PSEUDO, version $VERSION)"
