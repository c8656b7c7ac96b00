#!/usr/bin/env bash
# Asks the installed swkas Python package for get_include(), checks that its
# headers are identical to include/, then compiles and runs a C program
# against those headers and the package's libswkas.so.
# Usage: check_python_include.sh REPO_INCLUDE_DIR C_SOURCE WORK_DIR
set -euo pipefail
repo_include=$1
source_file=$2
work=$3
mkdir -p "$work"
cd "$work"  # not the source tree: only the installed package is importable
include=$(python3 -c 'import swkas; print(swkas.get_include())')
library=$(python3 -c 'import swkas._abi as abi; print(abi.LIBRARY_PATH)')
case "$include" in
    "$repo_include") echo "get_include() points into the source tree, not an installed package" >&2; exit 1 ;;
esac
for header in kastore.h swkas.h; do
    cmp "$include/$header" "$repo_include/$header"
done
libdir=$(dirname "$library")
cc -std=c11 -Wall -Wextra -Werror -I"$include" "$source_file" -L"$libdir" -lswkas -Wl,-rpath,"$libdir" -o installed_headers
./installed_headers
echo "get_include: $include; library: $library"
