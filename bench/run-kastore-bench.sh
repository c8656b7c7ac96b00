#!/usr/bin/env bash
# Benchmark libswkas against the reference kastore C library (0.3.6).
#
#   bench/run-kastore-bench.sh [--quick] [--reps N] [--dir DIR] [--cold] [--only abcd] [-v] ...
#
# Builds libswkas (swift build -c release) if .build/release/libswkas.so is
# missing, builds the reference into .build-ref/ (scripts/build-reference-kastore.sh,
# a no-op once built), compiles bench/kastore_bench.c with gcc -O2 into
# bench/out/ (git-ignored) and runs it; every argument is passed through.
# Set SWKAS_REBUILD=1 to run `swift build -c release` even if the library exists.
# Runnable from any directory. See bench/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OURS="$ROOT/.build/release/libswkas.so"
REF="$ROOT/.build-ref/libkastore_ref.so"
OUT="$ROOT/bench/out"
BIN="$OUT/kastore_bench"

if [[ ! -s "$OURS" || "${SWKAS_REBUILD:-0}" == 1 ]]; then
    echo "building libswkas (swift build -c release) ..." >&2
    (cd "$ROOT" && swift build -c release >&2)
fi
[[ -s "$OURS" ]] || { echo "error: $OURS not built" >&2; exit 1; }

bash "$ROOT/scripts/build-reference-kastore.sh" >/dev/null
[[ -s "$REF" ]] || { echo "error: $REF not built" >&2; exit 1; }

mkdir -p "$OUT"
if [[ ! -x "$BIN" || "$ROOT/bench/kastore_bench.c" -nt "$BIN" || "$ROOT/include/kastore.h" -nt "$BIN" ]]; then
    gcc -O2 -Wall -Wextra -I"$ROOT/include" -o "$BIN" "$ROOT/bench/kastore_bench.c" -ldl
fi

echo "libswkas: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- Sources 2>/dev/null || echo ' (Sources modified)'), built $(date -r "$OURS" '+%Y-%m-%d %H:%M:%S')"
exec "$BIN" "$OURS" "$REF" "$@"
