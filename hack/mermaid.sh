#!/usr/bin/env bash
# Installs Mermaid's parser (mermaid and jsdom, the exact versions of
# tests/mermaid/package-lock.json) into DIR/node_modules for the preview
# report's diagram test (cmd/peerpods/diffreport, build tag e2e), which
# runs tests/mermaid/parse.mjs with node.
#
#   hack/mermaid.sh [DIR]     (default: $HOME/.cache/peerpods/mermaid)
#
# Nothing is installed when DIR holds the install of this lock file
# (DIR/lock.sha256). Node.js and npm come from Debian when missing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$HOME/.cache/peerpods/mermaid}
src=$root/tests/mermaid

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

sum=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -d "$dir/node_modules" ] && [ "$(cat "$dir/lock.sha256" 2>/dev/null)" = "$sum" ]; then
	echo "mermaid: $dir is up to date"
	exit 0
fi

mkdir -p "$dir"
rm -f "$dir/lock.sha256"
cp "$src/package.json" "$src/package-lock.json" "$dir/"
start=$(date +%s)
# npm ci: exactly the lock file's versions, checked against its hashes;
# no install scripts (none of these packages needs one).
(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
echo "$sum" >"$dir/lock.sha256"
echo "mermaid: installed into $dir in $(($(date +%s) - start)) s"
