# Writers under faults: a sweep killed (SIGKILL) at pseudo-random moments
# of a fixed seed and resumed; a full disk (a file-size limit) and
# /dev/full; permission denied; corrupted journals and results files on
# --resume.  Each fault is a clear error and a non-zero exit, never a
# crash; no finished run is lost or kept twice; the resumed results equal
# an uninterrupted sweep's; a corrupt file is never taken as good.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"

slow_exp "$tmp/exp.yaml"
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/clean.h5" -j 1 -q
out_h5="$tmp/k.h5"

# no_crash WHAT: the last expect_status did not end by a signal.
no_crash() { [ "$got" -lt 128 ] || fail "$1: killed by signal $((got - 128)); stderr: $err"; }

# runs_once FILE: every run of the sweep in /runs exactly once, in order.
runs_once() {
    expect_status 0 "$HETSOC" summary "$1" --csv runs
    [ "$(printf '%s\n' "$out" | sed 1d | cut -d, -f1 | tr '\n' ' ')" = "0 1 2 3 4 5 6 7 8 9 10 11 " ] \
        || fail "$1: runs $(printf '%s\n' "$out" | sed 1d | cut -d, -f1 | tr '\n' ' ')"
}

# ---- SIGKILL at random moments (fixed seed), then --resume ----------------
resume=""
for delay in $(awk 'BEGIN { srand(18); for (i = 0; i < 8; i++) printf "%.2f ", 0.05 + 1.2 * rand() }'); do
    "$HETSOC" run "$tmp/exp.yaml" -o "$out_h5" -j 2 -q $resume >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    resume=--resume
    if [ -e "$out_h5" ] && [ -e "$out_h5.journal" ]; then fail "a complete file beside a journal"; fi
done
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$out_h5" -j 2 --resume
runs_once "$out_h5"
same_tables "$tmp/clean.h5" "$out_h5" "killed 8 times and resumed vs clean"

# ---- Disk full: a file-size limit (EFBIG instead of SIGXFSZ) ---------------
# ulimit -f counts 512-byte blocks in dash and 1024-byte ones in bash: 64
# blocks hold the journal's header but not the results.
full="$tmp/full.h5"
expect_status 1 sh -c "ulimit -f 64 && trap '' XFSZ && exec \"\$0\" run \"\$1\" -o \"\$2\" -j 1 -q" \
    "$HETSOC" "$tmp/exp.yaml" "$full"
no_crash "a full disk"
expect_err "error: .*(File too large|cannot write|write failed|cannot)"
[ -e "$full" ] && fail "a sweep that hit a full disk left $full looking complete"
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$full" -j 2 --resume -q
runs_once "$full"
same_tables "$tmp/clean.h5" "$full" "resumed after a full disk vs clean"
# Outputs on stdout and --timeline files on a full device.
if [ -w /dev/full ]; then
    expect_status 1 "$HETSOC" sim --hw generic-2pu --workload synthetic-mm1 --set workload.requests=50 \
        --policy fifo --timeline /dev/full
    expect_err "error: "
    expect_status 1 sh -c '"$0" sim --hw generic-2pu --workload synthetic-mm1 --set workload.requests=50 \
        --policy fifo --json >/dev/full' "$HETSOC"
    expect_err "error: "
    # Every subcommand's printed table: a write that fails is an error.
    expect_status 1 sh -c '"$0" summary "$1" >/dev/full' "$HETSOC" "$tmp/clean.h5"
    expect_err "error: writing standard output"
    expect_status 1 sh -c '"$0" list policies >/dev/full' "$HETSOC"
    expect_err "error: writing standard output"
fi

# ---- Permission denied (root bypasses permissions: skipped) ----------------
if [ "$(id -u)" != 0 ]; then
    mkdir "$tmp/ro"
    chmod 555 "$tmp/ro"
    expect_status 1 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/ro/x.h5" -q
    expect_err "error: .*Permission denied"
    expect_status 1 "$HETSOC" sim --hw generic-2pu --workload synthetic-mm1 --set workload.requests=50 \
        --policy fifo --timeline "$tmp/ro/t.json"
    expect_err "error: .*Permission denied"
    cp "$tmp/clean.h5" "$tmp/locked.h5"
    chmod 000 "$tmp/locked.h5"
    expect_status 1 "$HETSOC" summary "$tmp/locked.h5"
    expect_err "error: "
    expect_status 1 "$HETSOC" merge "$tmp/ro/m.h5" "$tmp/clean.h5"
    expect_err "error: .*Permission denied"
    chmod 755 "$tmp/ro"
fi

# ---- Corrupted journals on --resume ----------------------------------------
# running PID...: one of them is alive and not yet a zombie (a zombie holds
# no file open any more).
running() {
    for k in "$@"; do
        state=$(sed 's/^.*) \(.\).*/\1/' /proc/"$k"/stat 2>/dev/null) || continue
        [ -n "$state" ] && [ "$state" != Z ] && return 0
    done
    return 1
}
# journal_of: a journal of a few finished runs (the sweep killed after them).
journal_of() {
    rm -f "$out_h5" "$out_h5.journal" "$out_h5.partial"
    "$HETSOC" run "$tmp/exp.yaml" -o "$out_h5" -j 2 -q >/dev/null 2>&1 &
    pid=$!
    # Killed once the journal has grown past its first size (a finished run
    # appended), not after a fixed sleep, which a loaded machine outlasts.
    first="" i=0
    while [ "$i" -lt 2400 ] && kill -0 "$pid" 2>/dev/null; do
        if [ -e "$out_h5.journal" ]; then
            size=$(stat -c %s "$out_h5.journal" 2>/dev/null || echo 0)
            [ -n "$first" ] || first=$size
            [ "$size" -gt "$first" ] && break
        fi
        sleep 0.05
        i=$((i + 1))
    done
    # The workers first: they die with the sweep (PR_SET_PDEATHSIG), but
    # only some time after it, and until then they hold the inherited
    # results file open (and its HDF5 lock), which a loaded machine makes
    # long enough for the resume below to be refused.
    kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
    kill -9 $kids "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    i=0
    while [ "$i" -lt 200 ] && running $kids; do
        sleep 0.05
        i=$((i + 1))
    done
    [ -e "$out_h5.journal" ] || fail "no journal after the kill"
}
# flip FILE OFFSET: overwrites 8 bytes at OFFSET with garbage.
flip() { printf 'XXXXXXXX' | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
resume_ok() {
    expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$out_h5" -j 2 --resume -q
    resume_err=$err
    runs_once "$out_h5"
    same_tables "$tmp/clean.h5" "$out_h5" "$1"
}
for at in 4 20 200 2000 20000; do
    journal_of
    size=$(stat -c %s "$out_h5.journal")
    [ "$at" -lt "$size" ] && flip "$out_h5.journal" "$at"
    resume_ok "resumed from a journal with garbage at byte $at"
done
# A run frame whose length field says almost 1 TiB (under ASan an
# allocation that size aborted the reader): the journal ends there.
journal_of
second=$(grep -boa JRNL "$out_h5.journal" | sed -n 2p | cut -d: -f1)
if [ -n "$second" ]; then
    printf '\377\377\377\377\377\000\000\000' | dd of="$out_h5.journal" bs=1 seek=$((second + 8)) conv=notrunc 2>/dev/null
fi
resume_ok "resumed from a journal with a huge frame length"
journal_of
: >"$out_h5.journal"
resume_ok "resumed from an empty journal"
printf '%s' "$resume_err" | grep -q "warning: .*journal is empty or not a journal: no finished run can be" \
    || fail "no warning for an empty journal: $resume_err"
# Finished runs are never discarded without a word: a rerun without
# --resume, or --resume with the journal deleted, says so on stderr.
journal_of
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$out_h5" -j 2 -q
expect_err "warning: .*journal holds [1-9][0-9]* finished run\(s\) of an interrupted sweep; starting afresh discards"
journal_of
rm -f "$out_h5.journal"
resume_ok "resumed with the journal deleted"
printf '%s' "$resume_err" | grep -q "warning: .*partial exists but its journal .* is gone" \
    || fail "no warning for a deleted journal: $resume_err"
journal_of
head -c 5000 /dev/urandom >"$out_h5.journal"
resume_ok "resumed from a journal of random bytes"

# A complete results file with damaged bytes is refused by --resume as
# corrupt (checksummed datasets): run_corrupt.sh.
finish
