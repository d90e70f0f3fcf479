# hetsoc list hw / hw show / hw --help: built-in profiles and their derived figures.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$HETSOC" list hw
for name in snapdragon-8gen3 snapdragon-8elite core-ultra-125h core-ultra-258v apple-m4 \
            server-epyc-h100 generic-3pu generic-soc; do
    expect_out "^$name +[A-Za-z]"
done

expect_status 0 "$HETSOC" hw show snapdragon-8gen3
expect_out '^snapdragon-8gen3: '
expect_out 'memory dram .*peak 68\.0 GB/s, achievable 61\.9 GB/s'
expect_out '^gpu +gpu .* 43\.3 '
expect_out 'npu cannot run: vector_search'
expect_out 'tile 32; static m \{1, 32'
expect_status 0 "$HETSOC" hw show server-epyc-h100
expect_out 'link pcie: dram <-> hbm, 64\.0 GB/s'
expect_status 0 "$HETSOC" hw show generic-3pu
expect_out '^P3 +generic'

# A path works as well as a name.
expect_status 0 "$HETSOC" hw show "$HS_SOURCE/hw/generic-soc.yaml"
expect_out '^generic-soc: '

expect_status 1 "$HETSOC" hw show snapdragon-8gen33
expect_err "did you mean 'snapdragon-8gen3'"
expect_status 2 "$HETSOC" hw show
expect_status 2 "$HETSOC" hw
expect_status 2 "$HETSOC" hw frob
expect_err "unknown hw subcommand 'frob'"
expect_status 0 "$HETSOC" hw --help
expect_out 'predict'
finish
