#!/usr/bin/env bash
# Builds the libFuzzer targets fuzz/out/fuzz-kastore, fuzz-blosc2 and fuzz-frame,
# instrumented with libFuzzer coverage and AddressSanitizer. Usage: fuzz/build.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/fuzz/out"
mkdir -p "$out"
flags=(-O -sanitize=fuzzer,address -parse-as-library -package-name swkas -I "$out" -I "$root/Sources/CSwKas"
    -I "$root/Sources/CSystem/include" -I "$root/Sources/CKernels/include" -I "$root/Sources/CLZ4" -I "$root/Sources/CDeflate"
    -I "$root/Sources/CZstd")
clang -O1 -fsanitize=fuzzer-no-link,address -I "$root/Sources/CSystem/include" -c "$root/Sources/CSystem/system.c" \
    -o "$out/CSystem.o"
clang -O2 -fsanitize=fuzzer-no-link,address -I "$root/Sources/CKernels/include" -c "$root/Sources/CKernels/kernels.c" \
    -o "$out/CKernels.o"
swiftc "${flags[@]}" -enable-testing -wmo -module-name SwKasCore -emit-module -emit-module-path "$out/SwKasCore.swiftmodule" \
    -c -o "$out/SwKasCore.o" $(find "$root/Sources/SwKasCore" -name '*.swift' | sort)
swiftc "${flags[@]}" -wmo -module-name SwKas -emit-module -emit-module-path "$out/SwKas.swiftmodule" \
    -c -o "$out/SwKas.o" $(find "$root/Sources/SwKas" -name '*.swift' | sort)
# One binary per target: fuzz-kastore (every kastore reader), fuzz-blosc2
# (chunk decoder, BloscLZ, filter inverses) and fuzz-frame (frames, metalayers, N-d reads).
for target in Kastore Blosc2 Frame; do
    name=$(echo "$target" | tr 'A-Z' 'a-z')
    swiftc "${flags[@]}" -module-name "${target}Fuzz" "$root/fuzz/${target}Fuzz.swift" "$out/SwKasCore.o" "$out/SwKas.o" \
        "$out/CSystem.o" "$out/CKernels.o" -llz4 -ldeflate -lzstd -o "$out/fuzz-$name" 2> >(grep -v "Cannot export local symbol" >&2)
    echo "$out/fuzz-$name"
done
