# A run cut by engine.max_events or engine.end_time is marked, never passed
# off as complete: "status": "truncated" with the reason and the requests in
# flight in `hetsoc sim --json` and /runs, a warning on stderr (sim and run)
# and a marked row with a footnote in the summary.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"

sim="sim --hw generic-soc --workload agentxpu-mixed --set workload.duration=30 --policy eft --json"
expect_status 0 "$HETSOC" $sim --set engine.max_events=50000
expect_out '"truncated": "max_events", "in_flight": [1-9][0-9]*'
expect_out '"status": "truncated"'
expect_err 'warning: the run was truncated by engine.max_events with [1-9][0-9]* request\(s\) in flight'
expect_status 0 "$HETSOC" $sim --set engine.end_time=20
expect_out '"truncated": "end_time"'
expect_err 'truncated by engine.end_time'
expect_status 0 "$HETSOC" $sim
expect_out '"truncated": "", "in_flight": 0'
expect_out '"status": "ok"'
[ -z "$err" ] || fail "a complete run warned: $err"

# A sweep: /runs says which runs were cut, run and summary say so.
small_exp "$tmp/exp.yaml" "engine: {max_events: 3000}"
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/t.h5" -j 1 -q
expect_err 'warning: 18 of 18 runs truncated \(status .truncated. in /runs\); run 0 .* engine.max_events'
expect_status 0 "$HETSOC" summary "$tmp/t.h5" --csv runs
head=$(printf '%s\n' "$out" | sed -n 1p)
row=$(printf '%s\n' "$out" | sed -n 2p)
col() { printf '%s\n' "$head" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
[ "$(printf '%s' "$row" | cut -d, -f"$(col status)")" = truncated ] || fail "status of a cut run: $row"
[ "$(printf '%s' "$row" | cut -d, -f"$(col truncated)")" = max_events ] || fail "truncated of a cut run: $row"
[ "$(printf "%s" "$row" | cut -d, -f"$(col in_flight)")" -ge 0 ] || fail "in_flight of a cut run: $row"
expect_status 0 "$HETSOC" summary "$tmp/t.h5"
expect_out '18 truncated\*'
expect_out '\(3 truncated\*\)'
expect_out '\* truncated: engine.max_events or engine.end_time stopped the run'
finish
