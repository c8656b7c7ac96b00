#!/usr/bin/env bash
# Builds the libFuzzer target: fuzz/out/fuzz-kastore, instrumented with
# libFuzzer coverage and AddressSanitizer. Usage: fuzz/build.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/fuzz/out"
mkdir -p "$out"
flags=(-O -sanitize=fuzzer,address -parse-as-library -package-name swkas -I "$out" -I "$root/Sources/CSwKas"
    -I "$root/Sources/CSystem/include")
clang -O1 -fsanitize=fuzzer-no-link,address -I "$root/Sources/CSystem/include" -c "$root/Sources/CSystem/system.c" \
    -o "$out/CSystem.o"
swiftc "${flags[@]}" -wmo -module-name SwKasCore -emit-module -emit-module-path "$out/SwKasCore.swiftmodule" \
    -c -o "$out/SwKasCore.o" $(find "$root/Sources/SwKasCore" -name '*.swift' | sort)
swiftc "${flags[@]}" -wmo -module-name SwKas -emit-module -emit-module-path "$out/SwKas.swiftmodule" \
    -c -o "$out/SwKas.o" $(find "$root/Sources/SwKas" -name '*.swift' | sort)
swiftc "${flags[@]}" -module-name KastoreFuzz "$root/fuzz/KastoreFuzz.swift" "$out/SwKasCore.o" "$out/SwKas.o" "$out/CSystem.o" \
    -o "$out/fuzz-kastore" 2> >(grep -v "Cannot export local symbol" >&2)
echo "$out/fuzz-kastore"
