# The seed-paper experiments (experiments/seeds/*.yaml) and the cross-paper study in their reduced settings
# (scripts/seeds-reduce.sh), through scripts/seeds-table.sh's runner: every file expands, every run of the
# four seed experiments succeeds, and the cross-paper study records each run (a policy that refuses the mix
# has status "error" and its message).  The results stay in $HS_SEEDS_OUT for the notebooks' test.
. "$(dirname "$0")/lib.sh"

src=${HS_SOURCE:-$(dirname "$0")/../..}
dir=${HS_SEEDS_OUT:-$tmp/seeds}
mkdir -p "$dir"
for name in hero agentxpu heterollm hedrarag cross-paper; do
    exp=$src/experiments/seeds/$name.yaml
    [ "$name" = cross-paper ] && exp=$src/experiments/cross-paper.yaml
    expect_status 0 "$HETSOC" run "$exp" --list
    "$src/scripts/seeds-reduce.sh" "$exp" > "$dir/$name.reduced.yaml"
    cmp -s "$exp" "$dir/$name.reduced.yaml" && fail "$name: the reduced setting changes nothing"
    rm -f "$dir/$name.h5"
    "$HETSOC" run "$dir/$name.reduced.yaml" -j 2 -q -o "$dir/$name.h5" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ -s "$dir/$name.h5" ] || { fail "$name: no results (exit $rc): $(cat "$tmp/err")"; continue; }
    "$HETSOC" summary "$dir/$name.h5" --csv runs > "$tmp/runs.csv" || fail "$name: summary failed"
    runs=$(($(wc -l < "$tmp/runs.csv") - 1))
    listed=$(($("$HETSOC" run "$dir/$name.reduced.yaml" --list | wc -l) - 1))
    [ "$runs" = "$listed" ] || fail "$name: $runs runs recorded, $listed expected"
    if [ "$name" != cross-paper ]; then
        [ "$rc" = 0 ] || fail "$name: exit $rc: $(cat "$tmp/err")"
        status=$(head -1 "$tmp/runs.csv" | tr ',' '\n' | grep -nx status | cut -d: -f1)
        grep -v '^run,' "$tmp/runs.csv" | cut -d, -f"$status" | grep -qv '^ok$' && fail "$name: a run failed"
    fi
done
finish
