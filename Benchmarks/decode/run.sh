#!/usr/bin/env bash
# Builds the decode benchmark optimized, away from the main .build, and runs it; arguments go
# to the benchmark (`--seconds N`, default 5 per workload).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
swift build -c release --package-path "$here" --scratch-path "$root/.build-bench"
"$root/.build-bench/release/DecodeBenchmark" "$@"
