# hetsoc bench overhead: the scheduling overhead per dispatched kernel on the
# real backend (skipped until `bench` dispatches to it).
. "$(dirname "$0")/real_lib.sh"

$HETSOC bench overhead $small --policy fifo --json >"$tmp/o" 2>"$tmp/e"
if grep -q "unknown benchmark\|usage: hetsoc bench phold" "$tmp/e"; then
    echo "skipped: hetsoc bench overhead is not wired"
    exit 77
fi
expect_status 0 $HETSOC bench overhead $small --policy eft --json
expect_out '"overhead_us_per_kernel": '
expect_out '"kernels": '
finish
