#!/bin/sh
# Prints a fingerprint of the simulator's results: `hetsoc sim --json` over
# every built-in profile x policy on a few short workloads (wall_s removed),
# then the quickstart experiment's HDF5 tables as CSV (wall_s removed).  A refactor
# that must keep results bit-identical compares this output before and after:
#   scripts/fingerprint.sh OLD/hetsoc > old.txt
#   scripts/fingerprint.sh build/hetsoc > new.txt && cmp old.txt new.txt
# FP_POLICIES="fifo eft ..." limits it to those policies (e.g. the ones both
# binaries have, when the new one adds policies).
set -u
bin=${1:?usage: scripts/fingerprint.sh HETSOC_BINARY}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
strip_wall() { sed -e 's/"wall_s": *[-0-9.e+naif]*,\{0,1\}//g'; }
for hw in $("$bin" list hw | awk '{print $1}'); do
    for pol in ${FP_POLICIES:-$("$bin" list policies | awk '/^ / {print $1}')}; do
        for wl in "agentxpu-mixed --set workload.duration=60" "hedrarag-irg --set workload.requests=16" "hero-docqa-qwen3" \
                  "heterollm-gsm8k" "tiny-agentic-rag" "synthetic-mm1 --set workload.requests=3000 --set workload.warmup=100"; do
            echo "== $hw $pol $wl"
            # shellcheck disable=SC2086
            "$bin" sim --hw "$hw" --policy "$pol" --workload $wl --json 2>&1 | strip_wall
        done
    done
done
"$bin" run experiments/quickstart.yaml -j 2 -o "$tmp/q.h5" >/dev/null 2>&1
for t in runs configs requests pus; do
    echo "== quickstart /$t"
    "$bin" summary "$tmp/q.h5" --csv "$t" --exclude wall_s
done
