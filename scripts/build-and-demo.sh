#!/usr/bin/env bash
# The README's first command: installs dependencies, builds everything
# (libswkas.so, the swkas tool, the C harness) and runs the demo on the
# bundled example data, a tskit tree sequence.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
echo "==> cmake build (drives swift build -c release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j 2
echo "==> pip install ./python (ships libswkas.so and the headers in the package)"
python3 -m pip install -q --disable-pip-version-check ./python 2>&1 | grep -v "Running pip as the 'root' user" || true
swkas=build/bin/swkas
example=test-data/example/simulated.trees
echo
echo "==> $swkas --version"
"$swkas" --version
echo "==> $swkas ls -l -H $example | head"
"$swkas" ls -l -H "$example" | head
echo "==> $swkas dump $example nodes/time | head -5"
"$swkas" dump "$example" nodes/time | head -5
echo
echo "==> python3 -m swkas ls $example | head -3"
(cd /tmp && python3 -m swkas ls "$root/$example" | head -3)
echo
echo "Built: .build/release/libswkas.so (C ABI), include/ (headers), $swkas (CLI),"
echo "and the swkas Python package (import swkas; python3 -m swkas)."
