#!/bin/sh
# Installs the Debian packages hetsoc needs, if any are missing.
# Idempotent: when everything is present it does nothing.  As root it runs
# apt-get; otherwise it prints the command to run and fails.
#   HS_WITH_MPI=1   also install OpenMPI (optional: multi-rank sweeps)
#   HS_WITH_PY=1    also install the notebook packages (system python3)
#   HS_WITH_FUZZ=1  also install clang (libFuzzer: scripts/fuzz.sh)
set -eu

pkgs="build-essential cmake pkg-config libgsl-dev libyaml-dev libhdf5-dev \
ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libclblast-dev libcmocka-dev zlib1g-dev"
[ "${HS_WITH_MPI:-0}" = 1 ] && pkgs="$pkgs libopenmpi-dev openmpi-bin"
[ "${HS_WITH_PY:-0}" = 1 ] && pkgs="$pkgs python3 python3-h5py python3-pandas python3-matplotlib python3-nbconvert python3-nbformat python3-ipykernel"
[ "${HS_WITH_FUZZ:-0}" = 1 ] && pkgs="$pkgs clang"

missing=""
for p in $pkgs; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
    echo "hetsoc: missing packages:$missing" >&2
    echo "hetsoc: run as root: apt-get update && $cmd" >&2
    exit 1
fi
echo "hetsoc: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
$cmd -qq
