#!/usr/bin/env bash
# Builds the release files of version VERSION (semver, no leading v) into
# DIST (default dist): for each os/arch of PLATFORMS (default linux and
# darwin on amd64 and arm64)
#   pulumi-resource-peerpods-v<VERSION>-<os>-<arch>.tar.gz  the provider
#     plugin as the Pulumi engine downloads it (pluginDownloadURL
#     github://api.github.com/peerpods/provisioner, or pulumi plugin install
#     resource peerpods <VERSION> --file/--server): the binary
#     pulumi-resource-peerpods at the archive root
#   peerpods-v<VERSION>-<os>-<arch>.tar.gz  the peerpods command
# and SHA256SUMS over them (sha256sum -c SHA256SUMS in DIST verifies).
# Static binaries (CGO_ENABLED=0), -trimpath, the version set at link time.
# The Go SDK is a module of its own (sdk/go/peerpods): a release tags it
# sdk/go/peerpods/v<VERSION> on the commit of v<VERSION> (the release
# workflow, .github/workflows/release.yml, does it after publishing).
# Usage: hack/release.sh VERSION (from the module root, as make release
# runs it)
set -euo pipefail

version=${1:-}
semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
if [[ ! $version =~ $semver ]]; then
	echo "release: VERSION=\"$version\" is not a semantic version (x.y.z[-pre][+build], no leading v)" >&2
	exit 2
fi
# REQUIRE_SDK_VERSION=1 (the release workflow): VERSION must be the version
# the checked-in SDKs ask the engine for (sdk/go/peerpods/pulumi-plugin.json,
# generated from libvirt/provider.Version): a program on the SDK of this
# tag downloads that plugin version, so a tag that differs would publish a
# plugin its own SDK never loads.
if [[ ${REQUIRE_SDK_VERSION:-} == 1 ]]; then
	sdk=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' sdk/go/peerpods/pulumi-plugin.json)
	if [[ $sdk != "$version" ]]; then
		echo "release: VERSION=$version, but the SDKs of this tree ask for plugin version ${sdk:-(none)} (sdk/go/peerpods/pulumi-plugin.json): set Version in libvirt/provider/provider.go to $version, run go run ./hack/sdkgen/cmd, commit, and tag that commit v$version" >&2
		exit 2
	fi
	# The root module requires the SDK module at the version it tags
	# (sdk/go/peerpods/v<VERSION>): the replace of go.mod applies to this
	# repository alone, a library user resolves that requirement.
	if ! grep -qE "^[[:space:]]*github.com/peerpods/provisioner/sdk/go/peerpods v$version\$" go.mod; then
		echo "release: go.mod does not require github.com/peerpods/provisioner/sdk/go/peerpods v$version, the SDK module version this release tags: set that requirement (the replace stays), commit, and tag that commit v$version" >&2
		exit 2
	fi
fi
GO=${GO:-go}
NICE=${NICE:-nice -n 19}
DIST=${DIST:-dist}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64}
module=github.com/peerpods/provisioner

case $DIST in
'' | . | .. | / | ./ | ../) echo "release: DIST=\"$DIST\" would remove more than the release files" >&2; exit 2 ;;
esac
rm -rf "$DIST"
mkdir -p "$DIST"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pack ARCHIVE DIR FILE: a gzipped tarball of DIR/FILE, FILE at the root,
# owned by root, with the mode of the binary (executable).
pack() {
	tar -C "$2" --owner=0 --group=0 --numeric-owner -czf "$DIST/$1" "$3"
}

for platform in $PLATFORMS; do
	os=${platform%/*} arch=${platform#*/}
	if [[ -z $os || -z $arch || $platform != */* ]]; then
		echo "release: platform \"$platform\" is not os/arch" >&2
		exit 2
	fi
	plugin=$work/plugin-$os-$arch cli=$work/cli-$os-$arch
	mkdir -p "$plugin" "$cli"
	echo "release: $os/$arch"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch $NICE "$GO" build -trimpath \
		-ldflags "-s -w -X $module/libvirt/provider.Version=$version" \
		-o "$plugin/pulumi-resource-peerpods" ./cmd/pulumi-resource-peerpods
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch $NICE "$GO" build -trimpath \
		-ldflags "-s -w -X main.version=$version" \
		-o "$cli/peerpods" ./cmd/peerpods
	pack "pulumi-resource-peerpods-v$version-$os-$arch.tar.gz" "$plugin" pulumi-resource-peerpods
	pack "peerpods-v$version-$os-$arch.tar.gz" "$cli" peerpods
done
(cd "$DIST" && sha256sum -- *.tar.gz >SHA256SUMS)
echo "release: $(ls "$DIST" | wc -l) files in $DIST"
