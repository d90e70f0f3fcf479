/* hetsoc: the `hw` subcommand (show, predict, check, engines) and the listers
 * of built-in hardware profiles and engine presets for `hetsoc list`. */
#ifndef HS_EXPERIMENTS_CLI_HW_H
#define HS_EXPERIMENTS_CLI_HW_H

#include <stdio.h>

#include "experiments/cli/cli.h"
#include "hw/hw.h"

extern const hs_cli_cmd hs_cli_hw;

/* Prints one line per built-in profile: its name and its description.
 * Returns HS_EXIT_OK, or HS_EXIT_FAIL when a built-in profile does not
 * load (its line then carries the error). */
int hs_cli_list_hw(FILE *out);

/* `hetsoc list engines`: each engine preset, its description and the
 * profiles and PUs it has figures for (cli_engine.c). */
int hs_cli_list_engines(FILE *out);
/* `hetsoc hw engines [NAME...]`: refits every figure of the presets (all
 * when none is named) and prints stored vs fitted; HS_EXIT_FAIL when a
 * stored value differs from its fit or a fit fails.  argv[0] is "engines". */
int hs_cli_hw_engines(int argc, char **argv);

/* Prints the summary of check rows (`hw check`, `workload check`): for the
 * fit rows and, separately, the held-out rows, the count, how many pass,
 * the median and the worst relative error; then each failing held-out row
 * with its figure's note (the reason it misses). */
void hs_cli_check_summary(FILE *out, const hs_check_row *rows, size_t n);

#endif
