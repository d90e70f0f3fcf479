/* hetsoc: the table of subcommands, in the order --help lists them, and
 * `hetsoc help`. */
#include <stdio.h>
#include <string.h>

#include "experiments/cli/cli.h"
#include "experiments/cli/cli_hw.h"
#include "experiments/cli/cli_workload.h"

static const hs_cli_cmd hs_cli_help;

/* Every implemented subcommand, in the order --help lists them. */
static const hs_cli_cmd *const commands[] = {
    &hs_cli_run_exp,
    &hs_cli_summary,
    &hs_cli_merge,
    &hs_cli_sim,
    &hs_cli_real, &hs_cli_profile, &hs_cli_validate,
    &hs_cli_hw,
    &hs_cli_partition,
    &hs_cli_workload,
    &hs_cli_list,
    &hs_cli_bench,
    &hs_cli_help,
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

const hs_cli_cmd *hs_cli_find(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

void hs_cli_overview(FILE *f)
{
    fprintf(f, "usage: hetsoc [--help] [--version] SUBCOMMAND [ARGS...]\n\n"
               "Discrete-event simulator and scheduling testbed for agentic AI on heterogeneous SoCs.\n\n"
               "Subcommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nRun 'hetsoc help SUBCOMMAND' for a subcommand's options.\n");
}

static int help_run(int argc, char **argv)
{
    if (argc == 1) {
        hs_cli_overview(stdout);
        return HS_EXIT_OK;
    }
    if (argc > 2)
        return hs_cli_misuse(&hs_cli_help, "expected one subcommand name");
    const hs_cli_cmd *c = hs_cli_find(argv[1]);
    if (!c)
        return hs_cli_misuse(&hs_cli_help, "unknown subcommand '%s'", argv[1]);
    fputs(c->usage, stdout);
    return HS_EXIT_OK;
}

static const hs_cli_cmd hs_cli_help = {
    .name = "help",
    .summary = "show a subcommand's options",
    .usage = "usage: hetsoc help [SUBCOMMAND]\n"
             "Prints the options of SUBCOMMAND, or the list of subcommands.\n",
    .run = help_run,
};

