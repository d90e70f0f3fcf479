# mpirun -n 2 hetsoc run: rank 0 writes what -j 1 writes.  Skipped (77)
# without MPI.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"

mpiexec=${HS_MPIEXEC:-}
if [ -z "$mpiexec" ] || ! command -v "$mpiexec" >/dev/null 2>&1; then
    echo "skipped: hetsoc was built without MPI, or mpirun is missing"
    exit 77
fi
# Open MPI in a container: root, two ranks on two cores, shared memory only.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_mpi_warn_on_fork=0
# Open MPI's own allocations are not this project's leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

slow_exp "$tmp/exp.yaml"
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/j1.h5" -j 1 -q
expect_status 0 "$mpiexec" -n 2 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/mpi.h5"
expect_out '^experiment slow: 12 runs, all ok'
expect_err 'wrote .*mpi.h5: 12 runs .*MPI ranks'
same_tables "$tmp/j1.h5" "$tmp/mpi.h5" "mpirun -n 2 vs -j 1"
# With local workers on rank 0 too, and a sweep of 18 short runs.
small_exp "$tmp/small.yaml"
expect_status 0 "$HETSOC" run "$tmp/small.yaml" -o "$tmp/s1.h5" -j 1 -q
expect_status 0 "$mpiexec" -n 2 "$HETSOC" run "$tmp/small.yaml" -o "$tmp/s2.h5" -j 2 -q
same_tables "$tmp/s1.h5" "$tmp/s2.h5" "mpirun -n 2 -j 2 vs -j 1"
# A bad experiment: every rank stops, rank 0 reports.
printf 'hw: generic-1pu\nworkload: synthetic-mm1\npolicy: fifoo\n' >"$tmp/bad.yaml"
expect_status 1 "$mpiexec" -n 2 "$HETSOC" run "$tmp/bad.yaml" -o "$tmp/bad.h5"
expect_err "bad.yaml:3:9: error: unknown policy 'fifoo'"
finish
