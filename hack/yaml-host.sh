#!/usr/bin/env bash
# Builds the Pulumi YAML language host (pulumi-language-yaml, runtime: yaml)
# from source into a bin directory, from the tools module tests/yaml, which
# pins github.com/pulumi/pulumi-yaml (and the pulumi pkg/sdk versions that
# it asks for, apart from the CLI's in tests/tools).
#
#   hack/yaml-host.sh [BIN_DIR]     (default: $HOME/.cache/peerpods/bin)
#
# Nothing is built when BIN_DIR/pulumi-language-yaml is newer than
# tests/yaml/go.mod, go.sum, tools.go and this script and was built from the
# pinned pulumi-yaml version. Otherwise go build runs; in a fresh clone (new
# mtimes) it finds a binary that is still up to date by its build ID and
# does not relink, and touch records that. The CLI finds the host on PATH:
# put BIN_DIR first.
#
# Environment: GO (default go), NICE (default nice -n 19 ionice -c3, the
# lowest CPU and I/O priority; empty for none).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$HOME/.cache/peerpods/bin}
GO=${GO:-go}
if [ -z "${NICE+set}" ]; then
	NICE="nice -n 19"
	if command -v ionice >/dev/null 2>&1; then NICE="$NICE ionice -c3"; fi
fi
mod=$root/tests/yaml
out=$bin/pulumi-language-yaml
pkg=github.com/pulumi/pulumi-yaml

version=$(grep -oE "$pkg v[^ ]+" "$mod/go.mod" | head -n1 | cut -d' ' -f2)
if [ -z "$version" ]; then
	echo "yaml-host: no $pkg requirement in $mod/go.mod" >&2
	exit 1
fi

# Up to date: newer than every input and built from the pinned version
# (go version -m prints "mod <module> <version> <sum>" for the module of the
# main package).
uptodate() {
	[ -x "$out" ] || return 1
	local f
	for f in "$mod/go.mod" "$mod/go.sum" "$mod/tools.go" "$root/hack/yaml-host.sh"; do
		[ "$out" -nt "$f" ] || return 1
	done
	"$GO" version -m "$out" 2>/dev/null |
		awk -v p="$pkg" -v v="$version" '$1 == "mod" && $2 == p && $3 == v { ok = 1 } END { exit !ok }'
}

if uptodate; then
	echo "yaml-host: $out is up to date ($pkg $version)"
	exit 0
fi

mkdir -p "$bin"
cd "$mod"
# As pulumi-yaml's release build (.goreleaser.yml): static, stripped, the
# version reported to the engine by GetPluginInfo set to the tag.
# shellcheck disable=SC2086 # NICE is a command line
CGO_ENABLED=0 $NICE "$GO" build -trimpath -o "$out" \
	-ldflags "-s -w -X $pkg/pkg/version.Version=$version" \
	"$pkg/cmd/pulumi-language-yaml"
touch "$out"
echo "yaml-host: built $out ($pkg $version): put $bin first on PATH"
