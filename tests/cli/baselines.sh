# Every baseline policy on every seed workload on every built-in profile
# (two requests each, or 20 s of arrivals; one `hetsoc run`): each run
# succeeds, or fails with a one-line reason of one of two kinds:
#   - a refusal at init: the profile lacks the PU kind the policy needs
#     ("policy npu-only needs a PU of kind npu, but profile ... has none");
#   - a failure every policy shares, checked against `fifo` on the same
#     profile and workload: the workload does not fit the profile.  Known:
#     hedrarag-* on the memory-limited profiles (apple-m4, core-ultra-*,
#     generic-soc, snapdragon-*: the 155 GB IVF index, or Llama-3.1-8B's
#     16 GB, exceeds the memory), and every seed workload on generic-1pu,
#     -2pu and -3pu (ayo-like only: the others refuse at init), whose
#     generic PUs have no figures for model kernels.  The baseline's message
#     names the work, its stage and, for memory, the domain and the bytes.
. "$(dirname "$0")/lib.sh"

baselines="gpu-only npu-only cpu-only serial-npu-igpu ayo-like"
hws=$("$HETSOC" list hw | awk '{print $1}' | paste -sd, -)
wls=$("$HETSOC" list workloads | awk '$1 ~ /^(hero-|agentxpu-mixed$|heterollm-|hedrarag-)/ {print $1}' | paste -sd, -)
cat >"$tmp/e.yaml" <<YAML
name: baselines-everywhere
hw: [$hws]
workload: [$wls]
policy: [fifo, $(echo $baselines | sed 's/ /, /g')]
set: {workload.requests: 2, workload.duration: 20}
YAML
# Non-zero when some runs failed: their status and message are in /runs.
"$HETSOC" run "$tmp/e.yaml" -o "$tmp/e.h5" -j 2 -q >"$tmp/run.out" 2>&1
expect_status 0 "$HETSOC" summary "$tmp/e.h5" --csv runs
printf '%s\n' "$out" >"$tmp/runs.csv"
runs=$(( $(echo "$hws" | tr , '\n' | wc -l) * $(echo "$wls" | tr , '\n' | wc -l) * 6 ))
[ "$(grep -c ',sim,' "$tmp/runs.csv")" = "$runs" ] || fail "not all $runs runs recorded: $(head -c 500 "$tmp/run.out")"

# Columns: run,key,policy,policy_name,hw,workload,seed,backend,status,message,...
awk -F, -v baselines="$baselines" '
    BEGIN { n = split(baselines, b, " "); for (i = 1; i <= n; i++) is_baseline[b[i]] = 1 }
    NR == 1 { next }
    $3 == "fifo" { fifo_failed[$5 " " $6] = ($9 != "ok"); next }
    { row[NR] = $0; pol[NR] = $3; key[NR] = $5 " " $6; status[NR] = $9 }
    END {
        for (r in row) {
            if (!(pol[r] in is_baseline)) { print "unexpected policy: " row[r]; continue }
            if (status[r] == "ok") continue
            if (row[r] ~ /,"?error: policy [a-z-]+ needs a PU of kind [a-z]+, but profile .* has none \(its PUs: /) continue
            if (row[r] !~ ("error: policy .?" pol[r] ".?: no PU of this profile can run work ")) {
                print "unclear failure: " row[r]; continue
            }
            if (!fifo_failed[key[r]]) print "fails where fifo runs: " row[r]
        }
    }' "$tmp/runs.csv" >"$tmp/bad"
[ -s "$tmp/bad" ] && fail "$(wc -l <"$tmp/bad") runs: $(head -n 5 "$tmp/bad")"
# Some of each: runs that succeed, refusals, and shared failures.
grep -q ',gpu-only,snapdragon-8gen3,hero-docqa-qwen3,1,sim,ok,' "$tmp/runs.csv" || fail "gpu-only on hero-docqa-qwen3 did not run"
grep -q ',npu-only,snapdragon-8gen3,heterollm-gsm8k,1,sim,ok,' "$tmp/runs.csv" || fail "npu-only at op granularity did not run"
grep -q ',serial-npu-igpu,server-epyc-h100,.*needs a PU of kind npu' "$tmp/runs.csv" || fail "serial-npu-igpu did not refuse a profile without an NPU"
grep -q ',ayo-like,server-epyc-h100,hedrarag-irg,1,sim,ok,' "$tmp/runs.csv" || fail "ayo-like on hedrarag-irg did not run"
finish
