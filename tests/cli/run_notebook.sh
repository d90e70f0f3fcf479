# notebooks/quickstart.ipynb executes on a freshly produced results file.
# Skipped (77) without the notebook's python packages.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"

py=${HS_PYTHON:-/usr/bin/python3}
nb=${HS_SOURCE:-$(dirname "$0")/../..}/notebooks/quickstart.ipynb
if ! "$py" -c 'import h5py, pandas, matplotlib, nbformat, nbconvert, ipykernel' >/dev/null 2>&1; then
    echo "skipped: $py lacks h5py, pandas, matplotlib, nbformat, nbconvert or ipykernel (HS_WITH_PY=1 scripts/install-deps.sh)"
    exit 77
fi
small_exp "$tmp/exp.yaml"
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/r.h5" -j 2 -q
mkdir -p "$tmp/nb"
export HETSOC_RESULTS="$tmp/r.h5" HETSOC_FIGURES="$tmp/figs" MPLBACKEND=Agg
expect_status 0 "$py" -m nbconvert --to notebook --execute --ExecutePreprocessor.timeout=300 \
    --output-dir "$tmp/nb" "$nb"
[ -s "$tmp/nb/quickstart.ipynb" ] || fail "no executed notebook: $err"
grep -q '"output_type": "error"' "$tmp/nb/quickstart.ipynb" && fail "a cell raised"
for f in latency_cdf.png metrics.png; do
    [ -s "$tmp/figs/$f" ] || fail "figure $f not drawn"
done
grep -q 'p1-only' "$tmp/nb/quickstart.ipynb" || fail "the notebook's table lacks the policies"
# One CDF panel per sweep value, each with its own requests of all three policies (never pooled).
for rate in 0.5 0.8; do
    grep -q "facet workload.arrival.rate=$rate: 3 policies, 17100 requests" "$tmp/nb/quickstart.ipynb" ||
        fail "no facet for rate $rate: $(grep -o 'facet [^"]*' "$tmp/nb/quickstart.ipynb")"
done
[ "$(grep -c '"facet workload.arrival.rate=' "$tmp/nb/quickstart.ipynb")" = 2 ] || fail "expected two facets"
grep -q 'profile generic-2pu: utilisation per PU' "$tmp/nb/quickstart.ipynb" || fail "no utilisation per profile"
finish
