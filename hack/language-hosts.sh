#!/usr/bin/env bash
# Builds the Pulumi language hosts pulumi-language-go, pulumi-language-nodejs
# and pulumi-language-python (with its script pulumi-language-python-exec)
# into a bin directory, from a pulumi/pulumi
# source checkout. The Go module proxy does not serve these modules (403
# for every version), so they cannot be built from tests/tools like the
# CLI; each one is a module of the checkout whose go.mod replaces pulumi's
# pkg and sdk with the checkout's ../.. directories.
#
#   PULUMI_SRC=/path/to/pulumi hack/language-hosts.sh [BIN_DIR]
#                                   (default: $HOME/.cache/peerpods/bin)
#
# PULUMI_SRC: a checkout of github.com/pulumi/pulumi at the CLI's version
# (v3.250.0, tests/tools/go.mod), e.g.
#   git clone --depth 1 --branch v3.250.0 https://github.com/pulumi/pulumi
# Unset or not such a checkout: nothing is built, the script says so and
# exits 0; the e2e tests that need a language host then skip, naming this
# script.
#
# A host is rebuilt only when missing or older than its go.mod, go.sum or
# this script. The CLI finds the hosts on PATH: put BIN_DIR first.
#
# Environment: GO (default go), NICE (default nice -n 19 ionice -c3, the
# lowest CPU and I/O priority; empty for none), HOSTS (default
# "go nodejs python").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$HOME/.cache/peerpods/bin}
GO=${GO:-go}
HOSTS=${HOSTS:-go nodejs python}
if [ -z "${NICE+set}" ]; then
	NICE="nice -n 19"
	if command -v ionice >/dev/null 2>&1; then NICE="$NICE ionice -c3"; fi
fi

src=${PULUMI_SRC:-}
if [ -z "$src" ] || [ ! -f "$src/sdk/go/pulumi-language-go/go.mod" ]; then
	echo "language-hosts: PULUMI_SRC is not a pulumi/pulumi checkout (${src:-unset}): nothing built." >&2
	echo "language-hosts: the e2e tests that need pulumi-language-go, -nodejs or -python skip." >&2
	exit 0
fi
src=$(cd "$src" && pwd)

# The CLI's version (tests/tools pins pkg/v3 for the CLI), reported by the
# hosts to the engine as the CLI's build does (.goreleaser.yml of
# pulumi/pulumi: -X .../sdk/v3/go/common/version.Version=v<version>).
version=$(grep -oE 'github.com/pulumi/pulumi/pkg/v3 v[^ ]+' "$root/tests/tools/go.mod" | head -n1 | cut -d' ' -f2)

# The module directory of each host in a pulumi/pulumi checkout.
dir_of() {
	case $1 in
	go) echo "$src/sdk/go/pulumi-language-go" ;;
	nodejs) echo "$src/sdk/nodejs/cmd/pulumi-language-nodejs" ;;
	python) echo "$src/sdk/python/cmd/pulumi-language-python" ;;
	*)
		echo "language-hosts: unknown host $1" >&2
		return 1
		;;
	esac
}

mkdir -p "$bin"
for h in $HOSTS; do
	dir=$(dir_of "$h")
	out=$bin/pulumi-language-$h
	fresh=1
	for f in "$dir/go.mod" "$dir/go.sum" "$root/hack/language-hosts.sh"; do
		[ -x "$out" ] && [ "$out" -nt "$f" ] || fresh=0
	done
	if [ "$fresh" = 1 ]; then
		echo "language-hosts: $out is up to date"
	else
		# shellcheck disable=SC2086 # NICE is a command line
		(cd "$dir" && CGO_ENABLED=0 $NICE "$GO" build -trimpath -o "$out" \
			-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" .)
		touch "$out"
		echo "language-hosts: built $out from $dir ($version)"
	fi
	# The Python host runs programs and reads its options through the
	# script pulumi-language-python-exec next to it (as pulumi's release
	# archives ship it); without, it refuses to start.
	if [ "$h" = python ]; then
		install -m 0755 "$src/sdk/python/cmd/pulumi-language-python-exec" "$bin/"
	fi
done
echo "language-hosts: put $bin first on PATH"
