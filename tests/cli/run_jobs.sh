# hetsoc run -j N: identical tables whatever the number of worker processes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"

small_exp "$tmp/exp.yaml"
for j in 1 2 3; do
    expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/j$j.h5" -j "$j" -q
done
same_tables "$tmp/j1.h5" "$tmp/j2.h5" "-j 1 vs -j 2"
same_tables "$tmp/j1.h5" "$tmp/j3.h5" "-j 1 vs -j 3"
# And a sweep with slower runs, so that they finish out of order.
slow_exp "$tmp/slow.yaml"
expect_status 0 "$HETSOC" run "$tmp/slow.yaml" -o "$tmp/s1.h5" -j 1 -q
expect_status 0 "$HETSOC" run "$tmp/slow.yaml" -o "$tmp/s2.h5" -j 2 -q
same_tables "$tmp/s1.h5" "$tmp/s2.h5" "slow runs, -j 1 vs -j 2"
finish
