# The command line's global behaviour: help, version, misuse.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$HETSOC" --help
expect_out '^usage: hetsoc'
expect_out 'bench'
expect_status 0 "$HETSOC" --version
expect_out '^hetsoc [0-9]+\.[0-9]+\.[0-9]+$'
expect_status 2 "$HETSOC"
expect_err 'usage: hetsoc'
expect_status 2 "$HETSOC" frobnicate
expect_err "unknown subcommand 'frobnicate'"
expect_status 2 "$HETSOC" --bogus
expect_status 0 "$HETSOC" help bench
expect_out 'pending-per-lp'
expect_status 2 "$HETSOC" help nosuch
expect_status 0 "$HETSOC" help
expect_out 'Subcommands'
expect_status 2 "$HETSOC" list
expect_status 2 "$HETSOC" list nosuchkind
expect_err "unknown kind"
finish
