#!/bin/sh
# The include rule of the source tree: every source file belongs to a unit
# (a folder or subfolder) with a rank, and includes project headers only
# from its own unit or from units of lower rank.  Strict ranks make an
# include circle between units impossible.  The table is the layering that
# sim/README.md draws; a new subfolder gets a line here.
#   sh tests/layers.sh SOURCE_DIR
set -eu
root=${1:?usage: layers.sh SOURCE_DIR}
cd "$root"

ranks='
sim/conf            0
sim/kernel          1
sim/machine         2
hw                  3
workloads           4
sim/exec            5
policies            6
sim/engine          7
real/exec           8
real                9
experiments/results 10
experiments/sweep   11
experiments/runner  12
experiments/cli     13
'
# The unit of a path: the longest prefix listed above.
unit_of() {
    printf '%s\n' "$ranks" | awk -v p="$1" 'NF == 2 && index(p, $1 "/") == 1 && length($1) > length(best) { best = $1 }
        END { print best }'
}
rank_of() {
    printf '%s\n' "$ranks" | awk -v u="$1" 'NF == 2 && $1 == u { print $2 }'
}

bad=0
files=$(find sim hw workloads policies real experiments -name '*.[ch]' ! -path '*/examples/*' | sort)
for f in $files; do
    u=$(unit_of "$f")
    if [ -z "$u" ]; then
        echo "$f: not in any unit of tests/layers.sh" >&2
        bad=1
        continue
    fi
    r=$(rank_of "$u")
    for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        case "$h" in
            hs_version.h|*/*) ;;
            *) continue ;;      # a header beside the file (a test helper) or generated
        esac
        [ "$h" = hs_version.h ] && continue
        hu=$(unit_of "$h")
        if [ -z "$hu" ]; then
            echo "$f: includes \"$h\", which is in no unit" >&2
            bad=1
            continue
        fi
        [ "$hu" = "$u" ] && continue
        hr=$(rank_of "$hu")
        if [ "$hr" -ge "$r" ]; then
            echo "$f: $u (rank $r) includes \"$h\" of $hu (rank $hr): an upward include" >&2
            bad=1
        fi
    done
done
# A policy sees only the policy interface: policies/*.c include policies/ headers only.
for f in policies/*.c; do
    if grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | grep -v '"policies/' >/dev/null; then
        echo "$f: a policy includes something other than policies/ headers" >&2
        bad=1
    fi
done
[ "$bad" = 0 ] && echo "layers: $(echo "$files" | wc -l) files, every include downward"
exit "$bad"
