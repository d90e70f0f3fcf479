# The seed-paper notebooks (notebooks/{hero,agentxpu,heterollm,hedrarag,cross-paper}.ipynb) execute headless
# on the reduced results tests/cli/seeds.sh left in $HS_SEEDS_OUT, each with a one-request timeline for its
# Gantt chart, and scripts/seeds_table.py prints the table from them.  Skipped (77) without the python
# packages.
. "$(dirname "$0")/lib.sh"

py=${HS_PYTHON:-/usr/bin/python3}
src=${HS_SOURCE:-$(dirname "$0")/../..}
dir=${HS_SEEDS_OUT:?set by ctest: the results of cli_seeds}
if ! "$py" -c 'import h5py, pandas, matplotlib, nbformat, nbconvert, ipykernel' >/dev/null 2>&1; then
    echo "skipped: $py lacks h5py, pandas, matplotlib, nbformat, nbconvert or ipykernel (HS_WITH_PY=1 scripts/install-deps.sh)"
    exit 77
fi
timeline() { # NAME HW WORKLOAD POLICY SETS...
    name=$1 hw=$2 wl=$3 pol=$4; shift 4
    sets=""
    for s in "$@"; do sets="$sets --set $s"; done
    # shellcheck disable=SC2086
    expect_status 0 "$HETSOC" sim --hw "$hw" --workload "$wl" --policy "$pol" $sets --timeline "$dir/$name.json"
}
timeline hero snapdragon-8elite hero-docqa-qwen3 hero workload.requests=1
timeline agentxpu core-ultra-125h agentxpu-mixed agentxpu workload.duration=30
timeline heterollm snapdragon-8gen3 heterollm-gsm8k heterollm workload.requests=1 workload.classes.0.params.output=8
timeline hedrarag server-epyc-h100 hedrarag-sequential hedrarag workload.requests=4 workload.granularity=step
timeline cross-paper snapdragon-8gen3 agentic-mix hero workload.duration=10
mkdir -p "$tmp/nb"
export MPLBACKEND=Agg HETSOC_FIGURES="$tmp/figs"
for name in hero agentxpu heterollm hedrarag cross-paper; do
    [ -s "$dir/$name.h5" ] || { fail "$name: no results from cli_seeds"; continue; }
    export HETSOC_RESULTS="$dir/$name.h5" HETSOC_TIMELINE="$dir/$name.json"
    expect_status 0 "$py" -m nbconvert \
        --to notebook --execute --ExecutePreprocessor.timeout=300 --output-dir "$tmp/nb" "$src/notebooks/$name.ipynb"
    [ -s "$tmp/nb/$name.ipynb" ] || fail "$name: no executed notebook: $err"
    grep -q '"output_type": "error"' "$tmp/nb/$name.ipynb" && fail "$name: a cell raised"
    [ -s "$tmp/figs/${name}_gantt.png" ] || fail "$name: no Gantt chart"
done
for f in hero_latency hero_cdf hero_ablation agentxpu_rate_sweep agentxpu_reactive agentxpu_cdf heterollm_speed \
         hedrarag_rate_sweep hedrarag_cdf cross_paper_cdf; do
    [ -s "$tmp/figs/$f.png" ] || fail "figure $f.png not drawn"
done
expect_status 0 "$py" "$src/scripts/seeds_table.py" "$dir"
expect_out '^\| HeRo: up to 10.94x vs GPU-only'
expect_out '^\| HeRo Table 3 C1 latency, s: .* \| held-out: '
expect_out '^\| HedraRAG: 2.2-18.2x lower latency'
expect_out '^\| HeteroInfer: fast sync 4.01x'
finish
