/* hetsoc: the `hw` subcommand (show, predict, check) and the lister of
 * built-in hardware profiles for `hetsoc list hw`. */
#ifndef HS_EXPERIMENTS_CLI_HW_H
#define HS_EXPERIMENTS_CLI_HW_H

#include <stdio.h>

#include "experiments/cli/cli.h"

extern const hs_cli_cmd hs_cli_hw;

/* Prints one line per built-in profile: its name and its description.
 * Returns HS_EXIT_OK, or HS_EXIT_FAIL when a built-in profile does not
 * load (its line then carries the error). */
int hs_cli_list_hw(FILE *out);

#endif
