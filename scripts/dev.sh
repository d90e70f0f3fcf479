#!/bin/sh
# The two quick-start commands of README.md:
#   scripts/dev.sh run    install what is missing, build, run the default experiment
#                         (experiments/quickstart.yaml into $BUILD_DIR/quickstart.h5) and
#                         print its table
#   scripts/dev.sh test   install what is missing, build, run the whole test suite
# Environment: BUILD_DIR (default build), HS_CMAKE_FLAGS (extra cmake flags),
# JOBS (default: the number of cores).
set -eu
cd "$(dirname "$0")/.."
what=${1:-}
case "$what" in
    run|test) ;;
    *) echo "usage: scripts/dev.sh run|test" >&2; exit 2 ;;
esac

scripts/install-deps.sh
build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${HS_CMAKE_FLAGS:-} >/dev/null
cmake --build "$build" -j "$jobs"

if [ "$what" = run ]; then
    exec "$build/hetsoc" run experiments/quickstart.yaml -j "$jobs" -o "$build/quickstart.h5"
fi
exec ctest --test-dir "$build" --output-on-failure -j "$jobs"
