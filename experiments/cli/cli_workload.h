/* hetsoc: the `workload` subcommand and the listers of built-in models,
 * workflow templates and workloads (for `hetsoc list`). */
#ifndef HS_EXPERIMENTS_CLI_WORKLOAD_H
#define HS_EXPERIMENTS_CLI_WORKLOAD_H

#include <stdio.h>

#include "experiments/cli/cli.h"

/* `hetsoc workload show WL [--hw HW] [--seed N] [--class NAME]`,
 * `hetsoc workload check`. */
extern const hs_cli_cmd hs_cli_workload;

/* `hetsoc list workflows | models | workloads`: one name per line, then
 * two spaces and the file's description.  Return HS_EXIT_OK. */
int hs_cli_list_workflows(FILE *out);
int hs_cli_list_models(FILE *out);
int hs_cli_list_workloads(FILE *out);

#endif
