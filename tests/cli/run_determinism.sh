# Determinism: the same experiment at -j 1, at -j 2 and over 2 MPI ranks
# writes bit-identical tables (every column but wall_s), on workflow
# workloads whose policies look ahead, batch and split.  The MPI part is
# skipped (77, after the -j checks) without MPI.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"

cat >"$tmp/det.yaml" <<'YAML'
name: det
hw: generic-soc
workload: tiny-agentic-rag
policy: [fifo, eft, hero, static]
seeds: [1, 2]
YAML
expect_status 0 "$HETSOC" run "$tmp/det.yaml" -o "$tmp/j1.h5" -j 1 -q
expect_status 0 "$HETSOC" run "$tmp/det.yaml" -o "$tmp/j2.h5" -j 2 -q
same_tables "$tmp/j1.h5" "$tmp/j2.h5" "-j 2 vs -j 1"
expect_status 0 "$HETSOC" summary "$tmp/j1.h5" --csv requests
[ "$(printf '%s\n' "$out" | wc -l)" -gt 50 ] || fail "too few request rows: $out"

mpiexec=${HS_MPIEXEC:-}
if [ -z "$mpiexec" ] || ! command -v "$mpiexec" >/dev/null 2>&1; then
    echo "skipped the MPI part: hetsoc was built without MPI, or mpirun is missing"
    [ "$failures" = 0 ] && exit 77
    finish
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_mpi_warn_on_fork=0
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
expect_status 0 "$mpiexec" -n 2 "$HETSOC" run "$tmp/det.yaml" -o "$tmp/mpi.h5" -j 1 -q
same_tables "$tmp/j1.h5" "$tmp/mpi.h5" "mpirun -n 2 vs -j 1"
finish
