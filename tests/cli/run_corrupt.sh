# A results file with flipped bytes never crashes its readers: hetsoc
# summary (the table and --csv), hetsoc merge and hetsoc run --resume each
# say "PATH: error: corrupt results file (...)" and exit 1 when what they
# read is corrupt (the summary table reads /runs alone, so a file whose
# flips all missed /runs may still print it).  Every chunk carries a
# Fletcher-32 checksum and the metadata its own (h5io.c); strings are
# fixed-length, so no corrupted address is ever followed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"

small_exp "$tmp/exp.yaml" "kernels: true"
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/good.h5" -j 1 -q
expect_status 0 "$HETSOC" summary "$tmp/good.h5"
size=$(stat -c %s "$tmp/good.h5")

# A fixed-seed linear congruential generator (dash has no $RANDOM).
seed=20261206
next() { seed=$(((seed * 1103515245 + 12345) % 2147483648)); }

# flip FILE N: N random bytes past the 8-byte HDF5 signature (a file without
# one is "not an HDF5 file", a different message) set to random values.
flip() {
    i=0
    while [ $i -lt "$2" ]; do
        next; off=$((8 + seed % (size - 8)))
        next; val=$((1 + seed % 255))
        printf "\\$(printf %03o "$val")" | dd of="$1" bs=1 seek="$off" conv=notrunc status=none
        i=$((i + 1))
    done
}

# expect_corrupt FILE CMD...: exit 1 (not a signal), and the message.
expect_corrupt() {
    f=$1; shift
    expect_status 1 "$@"
    expect_err "$f: error: corrupt results file \("
}

# maybe_corrupt FILE CMD...: exit 0, or exit 1 with the message.
maybe_corrupt() {
    f=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ $got = 0 ] && return
    failed_reads=$((failed_reads + 1))
    [ $got = 1 ] || fail "'$*' exited $got: $(cat "$tmp/err")"
    grep -q "$f: error: corrupt results file (" "$tmp/err" || fail "'$*' said: $(cat "$tmp/err")"
}

for k in 1 2 3 4; do
    bad="$tmp/bad$k.h5"
    cp "$tmp/good.h5" "$bad"
    flip "$bad" 200
    maybe_corrupt "$bad" "$HETSOC" summary "$bad"
    # Reading every table, one of them at least fails its checksum.
    failed_reads=0
    for t in runs configs requests pus kernels classes; do
        maybe_corrupt "$bad" "$HETSOC" summary "$bad" --csv "$t"
    done
    [ $failed_reads -gt 0 ] || fail "every table of $bad read back despite 200 flipped bytes"
    expect_corrupt "$bad" "$HETSOC" merge "$tmp/merged$k.h5" "$bad"
    [ -e "$tmp/merged$k.h5" ] && fail "a merge of a corrupt file left its output"
    cp "$bad" "$tmp/before.h5"
    expect_corrupt "$bad" "$HETSOC" run "$tmp/exp.yaml" -o "$bad" --resume -q
    cmp -s "$bad" "$tmp/before.h5" || fail "--resume rewrote the corrupt file $bad"
done

# One flipped byte in the middle of the data: a checksum catches it too.
cp "$tmp/good.h5" "$tmp/one.h5"
size=$((size / 2 + 8)); flip "$tmp/one.h5" 1
maybe_corrupt "$tmp/one.h5" "$HETSOC" summary "$tmp/one.h5" --csv requests
finish
