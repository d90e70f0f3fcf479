#!/bin/sh
# Runs the four seed-paper experiments (experiments/seeds/*.yaml) and the cross-paper study
# (experiments/cross-paper.yaml), then prints the README's table (scripts/seeds_table.py: each paper's
# headline, the reproduced value with its 95% interval across seeds, the experiment, the agreement) and the
# cross-paper summary.  Results go to OUT/NAME.h5 (default build/seeds, what the notebooks read); each
# experiment's wall time goes to stderr.  Long: run it at low priority.
#   nice -n 19 scripts/seeds-table.sh [--reduced] [--jobs N] [--out DIR] [--bin HETSOC] [--only NAME...]
# --reduced runs the reduced settings (scripts/seeds-reduce.sh), as CI does; --only NAME... runs only those
# experiments (hero agentxpu heterollm hedrarag cross-paper) and reuses the other results files present.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/hetsoc out=$root/build/seeds jobs=2 reduced=0 only=""
while [ $# -gt 0 ]; do
    case $1 in
        --reduced) reduced=1 ;;
        --jobs) jobs=$2; shift ;;
        --out) out=$2; shift ;;
        --bin) bin=$2; shift ;;
        --only) shift; only="$*"; break ;;
        *) echo "usage: scripts/seeds-table.sh [--reduced] [--jobs N] [--out DIR] [--bin HETSOC] [--only NAME...]" >&2
           exit 2 ;;
    esac
    shift
done
mkdir -p "$out"
for name in hero agentxpu heterollm hedrarag cross-paper; do
    case " ${only:-$name} " in *" $name "*) ;; *) continue ;; esac
    exp=$root/experiments/seeds/$name.yaml
    [ "$name" = cross-paper ] && exp=$root/experiments/cross-paper.yaml
    if [ "$reduced" = 1 ]; then
        "$root/scripts/seeds-reduce.sh" "$exp" > "$out/$name.reduced.yaml"
        exp=$out/$name.reduced.yaml
    fi
    start=$(date +%s)
    # A run a policy refuses is recorded in /runs with its message; hetsoc exits 1 then, which is a result.
    "$bin" run "$exp" -j "$jobs" -q -o "$out/$name.h5" || [ $? = 1 ]
    echo "$name: $(($(date +%s) - start)) s wall at -j $jobs" >&2
done
/usr/bin/python3 "$root/scripts/seeds_table.py" "$out"
if [ -f "$out/cross-paper.h5" ]; then
    echo
    "$bin" summary "$out/cross-paper.h5"
fi
