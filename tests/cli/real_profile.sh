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
# The profile records its machine: no warning on this one, a warning on another.
grep -q 'Machine: .* CUs); CPU: ' "$tmp/here.yaml" || fail "the profile records no machine"
expect_status 0 $HETSOC real --hw "$tmp/here.yaml" --workload tiny-agentic-rag --set workload.requests=2 --policy fifo
printf '%s' "$err" | grep -q warning && fail "a warning on the machine it was measured on: $err"
sed 's/Machine: .*/Machine: Imaginary Device (64 CUs); CPU: Imaginary CPU"/' "$tmp/here.yaml" >"$tmp/other.yaml"
expect_status 0 $HETSOC real --hw "$tmp/other.yaml" --workload tiny-agentic-rag --set workload.requests=2 --policy fifo
expect_err 'measured on another machine \(Imaginary Device \(64 CUs\); CPU: Imaginary CPU\)'
expect_err 'hetsoc profile -o mine.yaml'
# More CPU PUs than the device has compute units: refused, nothing written.
expect_status 1 $HETSOC profile --quick --quiet --cpu-pus 64 -o "$tmp/many.yaml"
expect_err '64 CPU PUs asked, but the CPU device .* compute unit'
[ -e "$tmp/many.yaml" ] && fail "a profile was written for an impossible request"
expect_status 2 $HETSOC profile --reps 0
expect_status 2 $HETSOC profile extra
finish
