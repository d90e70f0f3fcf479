/* hetsoc: command-line entry point.  Dispatches to the subcommands of the
 * table below; global options are --help and --version. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "experiments/cli.h"
#include "experiments/cli_hw.h"
#include "experiments/cli_workload.h"
#include "hs_version.h"

static const hs_cli_cmd hs_cli_help;

/* Every implemented subcommand, in the order --help lists them. */
static const hs_cli_cmd *const commands[] = {
    &hs_cli_run_exp,
    &hs_cli_summary,
    &hs_cli_merge,
    &hs_cli_sim,
    &hs_cli_real, &hs_cli_profile, &hs_cli_validate,
    &hs_cli_hw,
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

static void print_overview(FILE *f)
{
    fprintf(f, "usage: hetsoc [--help] [--version] SUBCOMMAND [ARGS...]\n\n"
               "Discrete-event simulator and scheduling testbed for agentic AI on heterogeneous SoCs.\n\n"
               "Subcommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nRun 'hetsoc help SUBCOMMAND' for a subcommand's options.\n");
}

int hs_cli_misuse(const hs_cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "hetsoc %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    const char *nl = strchr(cmd->usage, '\n');
    fprintf(stderr, "\n%.*s\nRun 'hetsoc help %s' for details.\n",
            nl ? (int)(nl - cmd->usage) : (int)strlen(cmd->usage), cmd->usage, cmd->name);
    return HS_EXIT_USAGE;
}

int hs_cli_parse_u64(const char *text, unsigned long long lo, unsigned long long hi,
                     unsigned long long *out)
{
    if (!text || !*text)
        return -1;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno == ERANGE || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int help_run(int argc, char **argv)
{
    if (argc == 1) {
        print_overview(stdout);
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

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    /* '+' stops at the first non-option: the subcommand parses the rest. */
    while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            print_overview(stdout);
            return HS_EXIT_OK;
        case 'V':
            printf("hetsoc %s\n", HS_VERSION_STRING);
            return HS_EXIT_OK;
        default:
            print_overview(stderr);
            return HS_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        print_overview(stderr);
        return HS_EXIT_USAGE;
    }
    const hs_cli_cmd *cmd = hs_cli_find(argv[optind]);
    if (!cmd) {
        fprintf(stderr, "hetsoc: unknown subcommand '%s'\n\n", argv[optind]);
        print_overview(stderr);
        return HS_EXIT_USAGE;
    }
    char name[64];
    int first = optind;
    snprintf(name, sizeof name, "hetsoc %s", cmd->name);
    argv[first] = name;
    optind = 0;  /* glibc: 0 fully re-initialises getopt for the subcommand */
    return cmd->run(argc - first, argv + first);
}
