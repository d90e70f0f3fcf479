# Helpers of the experiment tests (tests/cli/run_*.sh): sourced after lib.sh.

# small_exp FILE [EXTRA YAML]: a quick experiment of 3 policies x 2 rates x
# 3 seeds (18 runs of a few milliseconds).
small_exp() {
    cat >"$1" <<YAML
name: small
hw: generic-2pu
workload: synthetic-mm1
policy:
  - {label: p1-only, name: fifo, params: {pu: P1}}
  - fifo
  - eft
seeds: [1, 2, 3]
set: {workload.requests: 2000, workload.warmup: 100}
sweep:
  workload.arrival.rate: [0.5, 0.8]
baseline: p1-only
${2:-}
YAML
}

# slow_exp FILE: 12 runs of a few tenths of a second each.
slow_exp() {
    cat >"$1" <<YAML
name: slow
hw: generic-2pu
workload: synthetic-mm1
policy: [fifo, eft]
seeds: {first: 1, count: 6}
set: {workload.requests: 40000, workload.warmup: 1000}
YAML
}

# dump FILE: every table of a results file as CSV, without wall_s (the one
# column that differs between two executions of the same run).
dump() {
    for t in runs configs requests pus; do
        echo "== $t"
        "$HETSOC" summary "$1" --csv "$t" --exclude wall_s || echo "FAILED to read $t of $1"
    done
}

# same_tables A B WHAT: the two results files hold identical tables.
same_tables() {
    dump "$1" >"$tmp/dump.a"
    dump "$2" >"$tmp/dump.b"
    if ! cmp -s "$tmp/dump.a" "$tmp/dump.b"; then
        fail "$3: the tables of $1 and $2 differ: $(diff "$tmp/dump.a" "$tmp/dump.b" | head -5)"
    fi
}
