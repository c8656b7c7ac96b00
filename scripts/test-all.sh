#!/usr/bin/env bash
# The README's second command: builds everything and runs every test suite
# (Swift Testing, the C harness via ctest, pytest, a bounded fuzz run).
# Exits non-zero if any suite fails. FUZZ_SECONDS (default 30) bounds fuzzing.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh || exit 1

failed=()
run() {
    local name=$1
    shift
    echo
    echo "==> [$name] $*"
    if ! "$@"; then
        failed+=("$name")
    fi
}

run build bash -c 'cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build build -j 2'
run pip-install bash -c 'python3 -m pip install -q --disable-pip-version-check ./python 2>&1 | grep -v "Running pip as the .root. user"; exit ${PIPESTATUS[0]}'
run swift-tests swift test
run ctest ctest --test-dir build --output-on-failure
run pytest python3 -m pytest -q python/tests
run fuzz bash fuzz/run.sh "${FUZZ_SECONDS:-30}"

echo
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED suites: ${failed[*]}"
    exit 1
fi
echo "All suites passed: build, pip-install, swift-tests, ctest, pytest, fuzz."
