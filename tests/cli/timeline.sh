# hetsoc sim --timeline: valid JSON with request tracks (arrival and finish
# markers) and per-PU bandwidth and load counters; --timeline-window; gzip
# for a name ending in .gz; streaming to a pipe and to a FIFO (written in
# place, never replaced); a regular file replaced only once complete.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
run="$HETSOC sim --hw generic-soc --workload agentxpu-mixed --set workload.duration=4 --policy eft"

valid_json() { "$py" -m json.tool "$1" >/dev/null 2>"$tmp/json.err" || fail "$2 is not valid JSON: $(cat "$tmp/json.err")"; }

expect_status 0 $run --timeline "$tmp/t.json"
valid_json "$tmp/t.json" "the timeline"
grep -q '"name":"process_name","args":{"name":"requests"}' "$tmp/t.json" || fail "no requests process"
grep -q '"ph":"i","s":"t","pid":2,"tid":1,"ts":[0-9.]*,"name":"arrival"' "$tmp/t.json" || fail "no arrival marker"
grep -q '"name":"finish"' "$tmp/t.json" || fail "no finish marker"
grep -q '"ph":"X","pid":2,' "$tmp/t.json" || fail "no request span"
grep -q '"ph":"C","pid":1,"name":"DRAM dram GB/s","ts":[0-9.]*,"args":{"cpu":[0-9.e+-]*,"gpu":[0-9.e+-]*,"npu":[0-9.e+-]*,"other":' \
    "$tmp/t.json" || fail "no per-PU bandwidth series"
grep -q '"ph":"C","pid":1,"name":"gpu load","ts":[0-9.]*,"args":{"queued":[0-9]*,"running":[0-9]*}' "$tmp/t.json" ||
    fail "no per-PU queue-depth counter"
# One value per counter and instant: no two events of one counter share a time stamp.
dups=$(grep '"ph":"C"' "$tmp/t.json" | sed 's/,"args".*//' | sort | uniq -d | head -n 3)
[ -z "$dups" ] || fail "a counter written twice at one instant: $dups"

# A window: nothing that ends before A or starts after B; counters start at A.
expect_status 0 $run --timeline "$tmp/w.json" --timeline-window 1:3
valid_json "$tmp/w.json" "the windowed timeline"
"$py" - "$tmp/w.json" <<'PY' || fail "the window is not respected"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
lo, hi = 1e6, 3e6
for e in ev:
    if e["ph"] == "X":
        assert e["ts"] + e["dur"] >= lo and e["ts"] <= hi, e
    elif e["ph"] in ("C", "i"):
        assert lo <= e["ts"] <= hi, e
assert any(e["ph"] == "C" and e["ts"] == lo for e in ev), "no counter at the window's start"
assert any(e["ph"] == "X" for e in ev), "no slices in the window"
PY
[ "$(wc -c <"$tmp/w.json")" -lt "$(wc -c <"$tmp/t.json")" ] || fail "the window did not shrink the file"
for bad in 5 8:5 5:5 -1:3 a:b 1:2:3 ''; do
    expect_status 2 $run --timeline "$tmp/x.json" --timeline-window "$bad"
    expect_err 'error: --timeline-window'
done
expect_status 2 $run --timeline-window 1:2
expect_err 'error: --timeline-window needs --timeline'
expect_status 0 $run --timeline "$tmp/open.json" --timeline-window 2:
valid_json "$tmp/open.json" "an open-ended window"

# gzip: a .gz name is compressed, and holds the same JSON.
expect_status 0 $run --timeline "$tmp/t.json.gz"
gzip -t "$tmp/t.json.gz" || fail "gzip -t fails"
gzip -dc "$tmp/t.json.gz" | cmp -s - "$tmp/t.json" || fail "the gzipped timeline differs from the plain one"
[ "$(wc -c <"$tmp/t.json.gz")" -lt "$(($(wc -c <"$tmp/t.json") / 4))" ] || fail "gzip saved little"

# /dev/stdout on a pipe and on a file, and a FIFO: streamed in place; the
# summary follows the timeline.
$run --timeline /dev/stdout 2>"$tmp/piped.err" | cat >"$tmp/piped.out" || fail "to a pipe: $(cat "$tmp/piped.err")"
$run --timeline /dev/stdout >"$tmp/file.out" 2>"$tmp/file.err" || fail "to stdout: $(cat "$tmp/file.err")"
for f in piped file; do
    sed -n '/^{"displayTimeUnit"/,/^\]}$/p' "$tmp/$f.out" >"$tmp/$f.json"
    valid_json "$tmp/$f.json" "the timeline on stdout ($f)"
    grep -q '^sim: policy eft' "$tmp/$f.out" || fail "no summary after the timeline ($f)"
done
mkfifo "$tmp/fifo"
gzip -c <"$tmp/fifo" >"$tmp/fifo.gz" &
reader=$!
expect_status 0 $run --timeline "$tmp/fifo"
wait $reader || fail "the FIFO's reader failed"
[ -p "$tmp/fifo" ] || fail "the FIFO was replaced"
gzip -dc "$tmp/fifo.gz" >"$tmp/fifo.json"
valid_json "$tmp/fifo.json" "the timeline through a FIFO"
ls "$tmp" | grep -q partial && fail "a temporary file was left behind"

# A regular file: kept as it was when the run fails.
echo old >"$tmp/keep.json"
expect_status 1 $run --set policy.nope=1 --timeline "$tmp/keep.json"
[ "$(cat "$tmp/keep.json")" = old ] || fail "a failed run replaced the timeline"
finish
