#!/usr/bin/env bash
# Configure and build into DIR (default build/) with extra cmake arguments.
# usage: scripts/build.sh [DIR [CMAKE_ARGS...]]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
mkdir -p "$dir"
# Quiet when it works; the whole log when it does not.
if ! cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1; then
  cat "$dir/build.log" >&2
  echo "build.sh: build in $dir failed (log: $dir/build.log)" >&2
  exit 1
fi
