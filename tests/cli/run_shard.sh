# hetsoc run --shard I/N and hetsoc merge: the merged slices equal the
# whole sweep; parts of another experiment are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"

small_exp "$tmp/exp.yaml"
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/all.h5" -j 1 -q
for i in 0 1 2; do
    expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/part$i.h5" --shard "$i/3" -j 1
    expect_out "^experiment small: 6 runs \(shard $i/3 of 18 runs in all\)"
done
expect_status 0 "$HETSOC" merge "$tmp/merged.h5" "$tmp/part2.h5" "$tmp/part0.h5" "$tmp/part1.h5" "$tmp/part1.h5"
expect_err 'wrote .*merged.h5: 18 of 18 runs from 4 parts'
same_tables "$tmp/all.h5" "$tmp/merged.h5" "merged shards vs the whole sweep"
expect_status 0 "$HETSOC" summary "$tmp/merged.h5"
table=$out
expect_status 0 "$HETSOC" summary "$tmp/all.h5"
[ "$out" = "$table" ] || fail "the summary of the merge differs"
# Default part names, from the experiment's name.
(cd "$tmp" && "$HETSOC" run exp.yaml --shard 1/2 -q) || fail "shard with the default name"
[ -f "$tmp/small.shard1-of-2.h5" ] || fail "default shard file name"
# A missing slice: the merge says so.
expect_status 0 "$HETSOC" merge "$tmp/half.h5" "$tmp/part0.h5"
expect_err '12 runs are missing'
# --resume completes a partial file (a merge of some slices) into the whole sweep.
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/half.h5" --resume -j 2 -q
same_tables "$tmp/all.h5" "$tmp/half.h5" "a partial merge completed by --resume"
# Parts of another experiment.
small_exp "$tmp/other.yaml" "kernels: true"
expect_status 0 "$HETSOC" run "$tmp/other.yaml" -o "$tmp/other.h5" --shard 0/9 -q
expect_status 1 "$HETSOC" merge "$tmp/bad.h5" "$tmp/part0.h5" "$tmp/other.h5"
expect_err 'other.h5: error: holds results of a different experiment'
[ -e "$tmp/bad.h5" ] && fail "a failed merge left its output"
finish
