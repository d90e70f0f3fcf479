# hetsoc run / summary: the table, the HDF5 tables and their columns, default
# and relative output paths, kernels, error positions in bad experiment files,
# misuse, and the progress line.  (backend: real: tests/cli/real_experiment.sh.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"

small_exp "$tmp/exp.yaml"
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/r.h5" -j 2
expect_out '^experiment small: 18 runs, all ok; seeds 1, 2, 3'
expect_out 'workload.arrival.rate +policy +seeds +mean latency s +p99 latency s +throughput req/s +energy J +speed-up'
expect_out '0.5 +p1-only +3 +[0-9.]+ ± [0-9.]+ .* 1.00x'
expect_out '0.8 +eft +3 +[0-9.]+ ± [0-9.]+ .* [0-9.]+x'
expect_err 'wrote .*r.h5: 18 runs'
printf '%s' "$err" | grep -q 'ETA' && fail "a progress line although stderr is not a terminal"
table=$out
[ -e "$tmp/r.h5.partial" ] || [ -e "$tmp/r.h5.journal" ] && fail "temporary files left behind"
expect_status 0 "$HETSOC" summary "$tmp/r.h5"
[ "$out" = "$table" ] || fail "hetsoc summary prints another table than hetsoc run"

# The tables and their columns (experiments/README.md, "Results columns").
expect_status 0 "$HETSOC" summary "$tmp/r.h5" --csv runs
printf '%s\n' "$out" | head -n 1 | grep -qx 'run,key,policy,policy_name,hw,workload,seed,backend,status,message,workload.arrival.rate,param.pu,requests,mean_latency_s,p50_latency_s,p90_latency_s,p99_latency_s,mean_ttft_s,slo_attainment,throughput_rps,s_per_token,j_per_token,makespan_s,energy_j,events,wall_s,engine,engine_fit,truncated,in_flight' \
    || fail "columns of /runs: $(printf '%s\n' "$out" | head -n 1)"
[ "$(printf '%s\n' "$out" | sed 1d | cut -d, -f1 | tr '\n' ' ')" = "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 " ] \
    || fail "runs not in order"
printf '%s\n' "$out" | sed -n 2p | grep -q '^0,[0-9a-f]\{16\},p1-only,fifo,generic-2pu,synthetic-mm1,1,sim,ok,,0.5,P1,1900,' \
    || fail "first run row: $(printf '%s\n' "$out" | sed -n 2p)"
expect_status 0 "$HETSOC" summary "$tmp/r.h5" --csv requests
printf '%s\n' "$out" | head -n 1 | grep -qx 'run,request,class,arrival_s,first_token_s,finish_s,latency_s,warmup,prompt_tokens,output_tokens,energy_j,deadline_s,slo_met,queue_s,service_s' \
    || fail "columns of /requests"
[ "$(printf '%s\n' "$out" | sed 1d | wc -l)" = 36000 ] || fail "expected 18 x 2000 request rows"
# p50/p90/p99 in /runs are the exact order statistics of the run's measured
# requests (linear interpolation at rank p (n - 1)), not an estimate.
reqs=$out
expect_status 0 "$HETSOC" summary "$tmp/r.h5" --csv runs
runs=$out
for run in 0 9 17; do
    exact=$(printf '%s\n' "$reqs" | awk -F, -v r=$run 'NR > 1 && $1 == r && $8 == 0 { print $7 }' | sort -g |
        awk '{ v[NR] = $1 } END { split("0.5 0.9 0.99", ps, " ")
             for (k = 1; k <= 3; k++) { h = ps[k] * (NR - 1); i = int(h)
                 printf "%.6g ", v[i + 1] + (h - i) * (v[i + 2] - v[i + 1]) } }')
    got=$(printf '%s\n' "$runs" | awk -F, -v r=$run 'NR > 1 && $1 == r { printf "%.6g %.6g %.6g ", $15, $16, $17 }')
    [ "$exact" = "$got" ] || fail "run $run: p50/p90/p99 are $got, the exact order statistics $exact"
done
expect_status 0 "$HETSOC" summary "$tmp/r.h5" --csv pus
printf '%s\n' "$out" | head -n 1 | grep -qx 'run,pu,busy_s,utilization,energy_j,kind' || fail "columns of /pus"
[ "$(printf '%s\n' "$out" | grep -c '^17,P[12],')" = 2 ] || fail "PU rows of run 17"
expect_status 0 "$HETSOC" summary "$tmp/r.h5" --csv configs
expect_out '^run,key,config'
expect_out '  arrival:'
expect_status 0 "$HETSOC" summary "$tmp/r.h5" --csv dram
printf '%s\n' "$out" | head -n 1 | grep -qx 'run,domain,bytes,mean_bps,peak_bps,achievable_bps,theoretical_bps' \
    || fail "columns of /dram"
expect_status 1 "$HETSOC" summary "$tmp/r.h5" --csv kernels
expect_err "no /kernels table"

# --list: the expansion without running it.
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" --list
[ "$(printf '%s\n' "$out" | wc -l)" = 19 ] || fail "--list: expected a header and 18 runs"
expect_out '^17	[0-9a-f]{16}	eft	generic-2pu	synthetic-mm1	3	0.80000000000000004$'
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" --list --shard 1/4
[ "$(printf '%s\n' "$out" | sed 1d | cut -f1 | tr '\n' ' ')" = "1 5 9 13 17 " ] || fail "--list --shard 1/4: $out"

# Output paths: `output:` is relative to the experiment's folder (folders
# are created); without it, NAME.h5 in the current folder.
mkdir -p "$tmp/exps" "$tmp/cwd"
small_exp "$tmp/exps/o.yaml" "output: results/o.h5
kernels: true"
(cd "$tmp/cwd" && "$HETSOC" run ../exps/o.yaml -q) || fail "run with output:"
[ -f "$tmp/exps/results/o.h5" ] || fail "output: not relative to the experiment's folder"
expect_status 0 "$HETSOC" summary "$tmp/exps/results/o.h5" --csv kernels
expect_out '^run,work,request,stage,slot,pu,ready_s,start_s,end_s,flops,bytes,batch,part'
expect_out '^17,'
small_exp "$tmp/exps/n.yaml"
(cd "$tmp/cwd" && "$HETSOC" run ../exps/n.yaml -q) || fail "run without output:"
[ -f "$tmp/cwd/small.h5" ] || fail "default output is not NAME.h5 in the current folder"

# Bad experiment files: the position of the mistake, no output file.
printf 'hw: generic-1pu\nworkload: synthetic-mm1\npolicy: fifo\nsweeep: {workload.requests: [1]}\n' >"$tmp/bad.yaml"
expect_status 1 "$HETSOC" run "$tmp/bad.yaml" -o "$tmp/bad.h5"
expect_err "^$tmp/bad.yaml:4:1: error: unknown key 'sweeep' \(did you mean 'sweep'\?\)$"
printf 'hw: generic-1pu\nworkload: synthetic-mm1\npolicy: fifo\nsweep:\n  hw.memory.bandwith_gbps: [1, 2]\n' >"$tmp/bad.yaml"
expect_status 1 "$HETSOC" run "$tmp/bad.yaml" -o "$tmp/bad.h5"
expect_err "^$tmp/bad.yaml:5:3: error: sweep path 'hw.memory.bandwith_gbps' does not exist: .*did you mean 'bandwidth_gbps'"
printf 'hw: generic-1pu\nworkload: synthetic-mm1\npolicy: fifo\nsweep:\n  zip: {workload.requests: [10, 20], workload.warmup: [1]}\n' >"$tmp/bad.yaml"
expect_status 1 "$HETSOC" run "$tmp/bad.yaml" -o "$tmp/bad.h5"
expect_err "^$tmp/bad.yaml:5:38: error: zip axes must have equal lengths"
ls "$tmp" | grep -q '^bad.h5' && fail "a failed experiment left an output file"
expect_status 1 "$HETSOC" run nosuchexperiment
expect_err "unknown experiment 'nosuchexperiment'"
expect_status 1 "$HETSOC" summary "$tmp/bad.yaml"
expect_err "bad.yaml: error: not an HDF5 file"

# Misuse.
expect_status 2 "$HETSOC" run
expect_status 2 "$HETSOC" run "$tmp/exp.yaml" -j 0
expect_status 2 "$HETSOC" run "$tmp/exp.yaml" --shard 2/2
expect_status 2 "$HETSOC" run "$tmp/exp.yaml" extra
expect_status 2 "$HETSOC" summary
expect_status 2 "$HETSOC" summary "$tmp/r.h5" --exclude wall_s
expect_status 2 "$HETSOC" merge "$tmp/m.h5"
expect_status 0 "$HETSOC" help run
expect_out 'usage: hetsoc run EXPERIMENT'

# On a terminal: a progress line on stderr (runs done / total, rate, ETA).
if command -v script >/dev/null 2>&1; then
    script -qec "'$HETSOC' run '$tmp/exp.yaml' -o '$tmp/tty.h5' -j 1 >/dev/null" "$tmp/typescript" >/dev/null 2>&1 \
        || fail "run under a terminal"
    grep -q '\[18/18 runs\] [0-9.]* runs/s, elapsed [0-9:]*, ETA' "$tmp/typescript" \
        || fail "no progress line on a terminal: $(tr '\r' '\n' <"$tmp/typescript" | head -3)"
fi

# The default experiment expands (running it is README's first command), and
# so does every other built-in experiment.
expect_status 0 "$HETSOC" run quickstart --list
expect_out '	gpu-only	snapdragon-8gen3	agentxpu-mixed	'
for x in $("$HETSOC" list experiments | awk '{print $1}'); do
    expect_status 0 "$HETSOC" run "$x" --list
done
finish
