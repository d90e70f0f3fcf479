# hetsoc profile: a quick calibration writes a profile the simulator loads.
. "$(dirname "$0")/real_lib.sh"

expect_status 0 $HETSOC profile --quick --quiet --name here -o "$tmp/here.yaml"
[ -s "$tmp/here.yaml" ] || fail "no profile written"
ls "$tmp" | grep -q partial && fail "a partial profile was left behind"
head -n 1 "$tmp/here.yaml" | grep -q '^# here: measured on ' || fail "no 'measured on' header"
expect_status 0 $HETSOC hw show "$tmp/here.yaml"
expect_out 'here'
expect_status 0 $HETSOC sim --hw "$tmp/here.yaml" --workload tiny-agentic-rag --policy eft --json
expect_out '"requests": 12'
expect_status 2 $HETSOC profile --reps 0
expect_status 2 $HETSOC profile extra
finish
