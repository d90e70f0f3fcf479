# The ABI of libhetsoc.so: the symbols it exports must be exactly those listed
# in policies/abi/libhetsoc.symbols (sorted, one a line), so that a change of
# the public API shows up in review as a diff of that file.
#   sh symbols.sh LIBRARY LIST            compare (the test abi_symbols)
#   sh symbols.sh --update LIBRARY LIST   rewrite LIST from LIBRARY
# A symbol is exported when its declaration is in an installed header (the
# headers' `#pragma GCC visibility push(default)`); everything else is built
# hidden.
update=0
[ "$1" = "--update" ] && { update=1; shift; }
lib=$1 list=$2

# The sanitizers' own bookkeeping symbols (-DHS_SANITIZE=ON) are not API.
exported() {
    nm -D --defined-only "$lib" | awk '{ print $NF }' | grep -v '^__\(odr_\)\?asan\|^__ubsan' | LC_ALL=C sort -u
}

if [ "$update" = 1 ]; then
    exported >"$list" && echo "wrote $list" && exit 0
    exit 1
fi
exported | diff -u "$list" - && echo "ok" && exit 0
cat >&2 <<MSG
FAIL: the symbols that $lib exports differ from $list (diff above:
'+' exported but not listed, '-' listed but not exported).  If the change of
the public API is intended, regenerate the list and commit it:
    cmake --build BUILD_DIR --target abi_symbols_update
MSG
exit 1
