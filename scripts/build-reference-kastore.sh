#!/usr/bin/env bash
# Build the reference kastore C library (from the kastore 0.3.6 sdist on PyPI)
# into .build-ref/ for compatibility testing. Requires python3 (with pip) and gcc.
#
#   .build-ref/libkastore_ref.so
#   .build-ref/include/kastore.h
#
# Idempotent: does nothing if both outputs already exist. Prints the library path.
# .build-ref/ is git-ignored; the reference sources are never committed.
set -euo pipefail

KASTORE_VERSION="0.3.6"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/.build-ref"
LIB="$OUT/libkastore_ref.so"
HDR="$OUT/include/kastore.h"

if [[ -s "$LIB" && -s "$HDR" ]]; then
    echo "$LIB"
    exit 0
fi

command -v python3 >/dev/null || { echo "error: python3 not found" >&2; exit 1; }
command -v gcc >/dev/null || { echo "error: gcc not found" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

python3 -m pip download --quiet --no-deps --no-binary kastore \
    "kastore==$KASTORE_VERSION" -d "$TMP/dl" >&2

SDIST="$(ls "$TMP"/dl/kastore-"$KASTORE_VERSION".tar.gz 2>/dev/null | head -n1 || true)"
if [[ -z "$SDIST" ]]; then
    echo "error: kastore-$KASTORE_VERSION sdist not downloaded" >&2
    exit 1
fi

mkdir -p "$TMP/src"
tar -xzf "$SDIST" -C "$TMP/src"
SRCDIR="$TMP/src/kastore-$KASTORE_VERSION/lib"
for f in kastore.c kastore.h; do
    [[ -f "$SRCDIR/$f" ]] || { echo "error: $f missing from sdist" >&2; exit 1; }
done

mkdir -p "$OUT/include"
gcc -O2 -fPIC -shared -I"$SRCDIR" -o "$TMP/libkastore_ref.so" "$SRCDIR/kastore.c"
cp "$SRCDIR/kastore.h" "$TMP/kastore.h"
# Install atomically-ish: header first, library last (the library is the "done" marker).
mv "$TMP/kastore.h" "$HDR"
mv "$TMP/libkastore_ref.so" "$LIB"
echo "$LIB"
