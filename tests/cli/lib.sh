# Helpers for command-line tests: sourced by each tests/cli/*.sh script.
# $HETSOC is the binary under test; every check prints what failed.
HETSOC=$1
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_status CODE CMD...: runs CMD, keeps stdout/stderr in $out/$err.
expect_status() {
    want=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; stderr: $err"
}
expect_out() { printf '%s' "$out" | grep -qE -- "$1" || fail "stdout lacks /$1/: $out"; }
expect_err() { printf '%s' "$err" | grep -qE -- "$1" || fail "stderr lacks /$1/: $err"; }
finish() { [ "$failures" = 0 ] && echo "ok" && exit 0; exit 1; }
