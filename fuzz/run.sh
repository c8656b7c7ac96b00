#!/usr/bin/env bash
# Runs the kastore reader fuzz target for SECONDS (default 30), seeded with the
# golden and malformed corpora. New inputs accumulate in fuzz/corpus-kastore
# (git-ignored); a crash leaves crash-* in fuzz/out and exits non-zero.
#   fuzz/run.sh 30        # the bounded run of the test command
#   fuzz/run.sh 3600 -jobs=2 -workers=2   # a longer run
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
shift || true
"$root/fuzz/build.sh" >/dev/null
corpus="$root/fuzz/corpus-kastore"
mkdir -p "$corpus"
cp -n "$root"/test-data/kastore/golden/*.kas "$root"/test-data/kastore/malformed/*.kas "$corpus"/ 2>/dev/null || true
# The readers allocate what a file claims, as kastore does, and report
# KAS_ERR_NO_MEMORY when malloc fails: let huge requests fail instead of
# aborting, and keep real memory use bounded by the RSS limit.
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
cd "$root/fuzz/out"
"$root/fuzz/out/fuzz-kastore" -max_total_time="$seconds" -rss_limit_mb=4096 -malloc_limit_mb=1048576 \
    -timeout=10 -print_final_stats=1 "$@" "$corpus" 2>&1 | grep -E "^(#|INFO: Running|stat::number_of_executed_units|stat::peak_rss|==|SUMMARY|Done)" | tail -6
status=${PIPESTATUS[0]}
exit "$status"
