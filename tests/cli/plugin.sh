# Out-of-tree plugins: install hetsoc to a temporary prefix, check that it
# holds the public headers alone, build the example against the installed
# package alone (find_package and pkg-config), run it, and check the refusals
# (ABI mismatch, no symbol).
. "$(dirname "$0")/lib.sh"
build=$(dirname "$HETSOC")
src=$HS_SOURCE
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "install"; finish; }
[ -x "$prefix/bin/hetsoc" ] || fail "no installed binary"
[ -f "$prefix/include/hetsoc/policies/policy.h" ] || fail "no installed policy.h"
ls "$prefix"/lib*/cmake/hetsoc/hetsocConfig.cmake >/dev/null 2>&1 || fail "no CMake package"

# Only the public headers are installed, and each compiles alone from the
# install: none includes a header that is not installed.
(cd "$prefix/include/hetsoc" && find . -name '*.h' | LC_ALL=C sort) >"$tmp/headers"
printf '%s\n' ./hs_version.h ./hw/hw.h ./policies/policy.h ./sim/conf/conf.h ./sim/kernel/rng.h \
    ./workloads/workloads.h | cmp -s - "$tmp/headers" || fail "installed headers: $(cat "$tmp/headers")"
for h in $(cat "$tmp/headers"); do
    echo "#include \"${h#./}\"" | cc -fsyntax-only -Wall -Werror -I"$prefix/include/hetsoc" -x c - 2>"$tmp/cc" ||
        fail "$h alone: $(cat "$tmp/cc")"
done

cmake -S "$src/policies/examples" -B "$tmp/ex" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/ex.log" 2>&1 &&
    cmake --build "$tmp/ex" >>"$tmp/ex.log" 2>&1 || { cat "$tmp/ex.log"; fail "example plugin build"; finish; }
plugin=$tmp/ex/libsjf_policy.so
[ -f "$plugin" ] || fail "no plugin built"

# The installed binary finds its built-in files by name, from the install.
expect_status 0 "$prefix/bin/hetsoc" list policies
expect_out '^  fifo '
expect_status 0 "$prefix/bin/hetsoc" sim --hw generic-3pu --workload heft-topcuoglu --policy "$plugin" --json
expect_out '"requests": 1,'
expect_status 0 "$prefix/bin/hetsoc" sim --hw generic-3pu --workload heft-topcuoglu --policy "$plugin" \
    --set policy.max_wait_s=0.5 --json
expect_status 1 "$prefix/bin/hetsoc" sim --hw generic-3pu --workload heft-topcuoglu --policy "$plugin" \
    --set policy.max_wiat_s=0.5
expect_err "unknown parameter 'max_wiat_s'.*did you mean 'max_wait_s'"

# pkg-config works too.
PKG_CONFIG_PATH=$(echo "$prefix"/lib*/pkgconfig) pkg-config --cflags --libs hetsoc >"$tmp/pc" 2>&1 || fail "pkg-config: $(cat "$tmp/pc")"

inc="-I$prefix/include/hetsoc"
cc -shared -fPIC $inc "$src/tests/cli/plugins/bad_abi.c" -o "$tmp/bad_abi.so" || fail "build bad_abi"
cc -shared -fPIC "$src/tests/cli/plugins/no_symbol.c" -o "$tmp/no_symbol.so" || fail "build no_symbol"
expect_status 1 "$prefix/bin/hetsoc" sim --hw generic-3pu --workload heft-topcuoglu --policy "$tmp/bad_abi.so"
expect_err "ABI version"
expect_status 1 "$prefix/bin/hetsoc" sim --hw generic-3pu --workload heft-topcuoglu --policy "$tmp/no_symbol.so"
expect_err "no symbol 'hs_policy_plugin'"
expect_status 1 "$prefix/bin/hetsoc" sim --hw generic-3pu --workload heft-topcuoglu --policy "$tmp/missing.so"
expect_err "cannot load policy plugin"

# The pkg-config file is relocatable: it names its prefix relative to
# itself, so a second install (DESTDIR and another prefix) builds the
# example with `cc ... $(pkg-config ...)` as well as the first.
grep -q '^prefix=${pcfiledir}/' "$prefix"/lib*/pkgconfig/hetsoc.pc || fail "pkg-config prefix is not relative"
DESTDIR=$tmp/dest cmake --install "$build" --prefix /opt/hs >"$tmp/install2.log" 2>&1 || fail "DESTDIR install"
for root in "$prefix" "$tmp/dest/opt/hs"; do
    flags=$(PKG_CONFIG_PATH=$(echo "$root"/lib*/pkgconfig) pkg-config --cflags --libs hetsoc) ||
        fail "pkg-config under $root"
    case "$flags" in *"$root/"*) ;; *) fail "pkg-config flags do not point under $root: $flags" ;; esac
    # shellcheck disable=SC2086
    cc -shared -fPIC -o "$tmp/pc.so" "$src/policies/examples/sjf_policy.c" $flags || fail "example against $root"
    expect_status 0 "$root/bin/hetsoc" sim --hw generic-3pu --workload heft-topcuoglu --policy "$tmp/pc.so" --json
    expect_out '"requests": 1,'
done

# Plugin paths: a bare file name on the command line is the file in the
# current folder (not dlopen's search path); in an experiment file, the
# file beside the experiment, wherever hetsoc runs from.
mkdir -p "$tmp/expdir" "$tmp/elsewhere"
cp "$plugin" "$tmp/expdir/libmine.so"
in_dir() { (cd "$1" && shift && "$@"); }
expect_status 0 in_dir "$tmp/expdir" "$prefix/bin/hetsoc" sim --hw generic-3pu --workload heft-topcuoglu \
    --policy libmine.so --json
expect_out '"requests": 1,'
expect_status 1 in_dir "$tmp/elsewhere" "$prefix/bin/hetsoc" sim --hw generic-3pu --workload heft-topcuoglu \
    --policy libmine.so
expect_err "cannot load policy plugin: \./libmine\.so"
printf 'name: plug\nhw: generic-3pu\nworkload: heft-topcuoglu\npolicy: [fifo, libmine.so]\nseeds: [1]\n' \
    >"$tmp/expdir/plug.yaml"
expect_status 0 in_dir "$tmp/elsewhere" "$prefix/bin/hetsoc" run ../expdir/plug.yaml -o r.h5
expect_out 'all ok'
expect_status 0 in_dir "$tmp/expdir" "$prefix/bin/hetsoc" run plug.yaml -o r.h5
expect_out 'all ok'
finish
