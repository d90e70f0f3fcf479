# hetsoc bench phold: output keys, determinism, argument checking.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$HETSOC" bench phold --lps 50 --pending-per-lp 4 --events 20000 --seed 7 --json
for key in events wall_s events_per_s; do expect_out "\"$key\": "; done
expect_out '"events": 20000,'
first=$(printf '%s' "$out" | sed 's/.*"checksum": "\([0-9a-f]*\)".*/\1/')
expect_status 0 "$HETSOC" bench phold --lps 50 --pending-per-lp 4 --events 20000 --seed 7 --json
second=$(printf '%s' "$out" | sed 's/.*"checksum": "\([0-9a-f]*\)".*/\1/')
[ -n "$first" ] && [ "$first" = "$second" ] || fail "same seed gave checksums '$first' and '$second'"
expect_status 0 "$HETSOC" bench phold --lps 50 --pending-per-lp 4 --events 20000 --seed 8 --json
third=$(printf '%s' "$out" | sed 's/.*"checksum": "\([0-9a-f]*\)".*/\1/')
[ "$first" != "$third" ] || fail "different seeds gave the same checksum"
expect_status 0 "$HETSOC" bench phold --lps 50 --pending-per-lp 4 --events 20000 --reference --json
expect_out '"impl": "reference"'
expect_status 0 "$HETSOC" bench phold --lps 10 --pending-per-lp 2 --events 1000
expect_out 'events/s'
expect_status 2 "$HETSOC" bench phold --lps 0
expect_err 'lps'
expect_status 2 "$HETSOC" bench phold --events -5
expect_status 2 "$HETSOC" bench phold --events 12abc
expect_status 2 "$HETSOC" bench phold --seed 99999999999999999999999
expect_status 2 "$HETSOC" bench nosuch
finish
