#!/usr/bin/env bash
# Fuzzes the webhook decoder with libFuzzer for SECONDS seconds (first argument, default 60),
# seeded with the test fixtures. Builds Fuzz/ into .build-fuzz/ (away from the main .build), keeps
# the grown corpus in Fuzz/corpus/ and writes any crashing input to Fuzz/artifacts/.
# Replay one: .build-fuzz/release/DecoderFuzz Fuzz/artifacts/crash-…
set -euo pipefail

seconds="${1:-60}"
fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz_dir")"
scratch="$root/.build-fuzz"
resources="$root/Tests/CoregateWhatsAppTests/Resources"

# -enable-testing: the target checks each line with the module's own internal JSON reader.
swift build -c release --package-path "$fuzz_dir" --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing

mkdir -p "$fuzz_dir/corpus" "$fuzz_dir/artifacts"
# Swift's own crash backtracer trips over ASan's shadow memory; let libFuzzer and ASan report.
export SWIFT_BACKTRACE=enable=no
# -rss_limit_mb: a body of a few KiB that needs hundreds of MiB is a bug, not a large body.
"$scratch/release/DecoderFuzz" "$fuzz_dir/corpus" "$resources/fixtures" "$resources/malformed" \
    -dict="$fuzz_dir/webhook.dict" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=1024 \
    -artifact_prefix="$fuzz_dir/artifacts/" -print_final_stats=1
