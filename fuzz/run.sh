#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 30), seeded with the test corpora:
# fuzz-kastore with the golden and malformed kastore files, fuzz-blosc2 with
# the golden Blosc2 chunks, fuzz-frame with the golden b2nd/caterva frames. New inputs accumulate in fuzz/corpus-* (git-ignored);
# a crash leaves crash-* in fuzz/out and exits non-zero.
#   fuzz/run.sh 30                         # the bounded run of the test command
#   fuzz/run.sh 3600 -jobs=2 -workers=2    # a longer run
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
shift || true
"$root/fuzz/build.sh" >/dev/null || exit 1
# The readers allocate what a file claims, as kastore does, and report
# KAS_ERR_NO_MEMORY when malloc fails: let huge requests fail instead of
# aborting, and keep real memory use bounded by the RSS limit.
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
status=0
for target in kastore blosc2 frame; do
    corpus="$root/fuzz/corpus-$target"
    mkdir -p "$corpus"
    if [ "$target" = kastore ]; then
        cp -n "$root"/test-data/kastore/golden/*.kas "$root"/test-data/kastore/malformed/*.kas "$corpus"/ 2>/dev/null
    elif [ "$target" = blosc2 ]; then
        cp -n "$root"/test-data/blosc2/chunks/*.chunk "$corpus"/ 2>/dev/null
    else
        cp -n "$root"/test-data/b2nd/golden/*.b2nd "$root"/test-data/b2nd/golden/*.cat "$corpus"/ 2>/dev/null
    fi
    echo "fuzz-$target: $seconds s"
    (cd "$root/fuzz/out" && "$root/fuzz/out/fuzz-$target" -max_total_time="$seconds" -rss_limit_mb=4096 \
        -malloc_limit_mb=1048576 -timeout=10 -print_final_stats=1 "$@" "$corpus" 2>&1) \
        | grep -E "^(stat::number_of_executed_units|stat::peak_rss|==[0-9]+==ERROR|SUMMARY|Done)"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
exit "$status"
