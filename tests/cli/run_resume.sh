# hetsoc run --resume after kill -9: no finished run is lost, none runs
# twice, and the final tables equal those of an uninterrupted sweep.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"

slow_exp "$tmp/exp.yaml"
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/clean.h5" -j 1 -q
out_h5="$tmp/r.h5"
journal="$out_h5.journal"

# wait_growth: until the journal holds a finished run (it grows past its
# header); then SIGKILL the sweep, a little later each round.
kill_after_first_run() {
    "$HETSOC" run "$tmp/exp.yaml" -o "$out_h5" -j 2 -q $1 >/dev/null 2>&1 &
    pid=$!
    base=""
    n=0
    while :; do
        size=$(stat -c %s "$journal" 2>/dev/null || echo 0)
        if [ -z "$base" ] && [ "$size" -gt 0 ]; then base=$size; fi
        if [ -n "$base" ] && [ "$size" -gt "$base" ]; then break; fi
        if ! kill -0 "$pid" 2>/dev/null; then break; fi
        n=$((n + 1))
        [ $n -gt 6000 ] && { fail "no run finished within 60 s"; break; }
        sleep 0.01
    done
    sleep "$2"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

kill_after_first_run "" 0
[ -e "$out_h5" ] && fail "a killed sweep left $out_h5 looking complete"
[ -e "$journal" ] || fail "no journal after the kill"
kill_after_first_run --resume 0.2
kill_after_first_run --resume 0.5
if [ -e "$journal" ]; then
    # A torn record at the journal's end (a kill in the middle of a write).
    printf 'JRNL\002\000\000\000\377\377\000\000\000\000\000\000garbage' >>"$journal"
    expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$out_h5" -j 2 --resume
    expect_err 'wrote .*r.h5: 12 runs \([0-9]+ resumed\)'
else
    echo "note: the sweep completed before the last kill"
fi
[ -e "$journal" ] && fail "the journal is left after the sweep completed"
[ -e "$out_h5.partial" ] && fail "the partial file is left after the sweep completed"
expect_status 0 "$HETSOC" summary "$out_h5" --csv runs
[ "$(printf '%s\n' "$out" | sed 1d | cut -d, -f1 | tr '\n' ' ')" = "0 1 2 3 4 5 6 7 8 9 10 11 " ] \
    || fail "runs after resuming: $(printf '%s\n' "$out" | cut -d, -f1 | tr '\n' ' ')"
same_tables "$tmp/clean.h5" "$out_h5" "resumed vs clean"
expect_status 0 "$HETSOC" summary "$out_h5" --csv requests
[ "$(printf '%s\n' "$out" | sed 1d | cut -d, -f1,2 | sort | uniq -d | wc -l)" = 0 ] || fail "duplicate request rows"

# --resume on a complete file runs nothing and leaves it as it is.
cp "$out_h5" "$tmp/before.h5"
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$out_h5" --resume
expect_err '12 runs \(12 resumed\)'
cmp -s "$out_h5" "$tmp/before.h5" || fail "--resume of a complete file rewrote it"
# ... and refuses a file of another experiment.
printf '\n# edited\n' >>"$tmp/exp.yaml"
expect_status 1 "$HETSOC" run "$tmp/exp.yaml" -o "$out_h5" --resume
expect_err 'written by a different experiment text'
finish
