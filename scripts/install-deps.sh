#!/usr/bin/env bash
# Installs what building and testing swkas needs, as a new user on Debian would:
# the C libraries and tools from apt (when missing) and the Python packages from PyPI.
# Idempotent; used by build-and-demo.sh and test-all.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(cmake libdeflate-dev liblz4-dev libzstd-dev libcunit1-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "swift not found: install Swift 6.1 or later" >&2; exit 1; }

echo "==> pip install -r python/requirements-dev.txt"
python3 -m pip install -q --disable-pip-version-check -r "$root/python/requirements-dev.txt" 2>&1 \
    | grep -v "Running pip as the 'root' user" || true
