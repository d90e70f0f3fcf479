#!/bin/sh
# Prints an experiment file in its reduced setting: every line `KEY: VALUE  # ci: V` becomes `KEY: V`
# (fewer seeds, shorter arrivals, fewer sweep points), the rest unchanged.  The seed experiments
# (experiments/seeds/*.yaml, experiments/cross-paper.yaml) mark their reduced values so; CI and the
# notebooks' tests run them this way:
#   scripts/seeds-reduce.sh experiments/seeds/hero.yaml > /tmp/hero-ci.yaml
#   hetsoc run /tmp/hero-ci.yaml -j 2 -o hero-ci.h5
set -eu
exp=${1:?usage: scripts/seeds-reduce.sh EXPERIMENT.yaml}
sed -e 's/^\([^#]*:\)[^#]*#[[:space:]]*ci:[[:space:]]*\(.*[^[:space:]]\)[[:space:]]*$/\1 \2/' "$exp"
