/* hetsoc: the command line's entry point.  Dispatches to the subcommands of
 * commands.c; global options are --help and --version. */
#include <getopt.h>
#include <stdio.h>

#include "experiments/cli/cli.h"
#include "hs_version.h"

int hs_cli_main(int argc, char **argv)
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
            hs_cli_overview(stdout);
            return HS_EXIT_OK;
        case 'V':
            printf("hetsoc %s\n", HS_VERSION_STRING);
            return HS_EXIT_OK;
        default:
            hs_cli_overview(stderr);
            return HS_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        hs_cli_overview(stderr);
        return HS_EXIT_USAGE;
    }
    const hs_cli_cmd *cmd = hs_cli_find(argv[optind]);
    if (!cmd) {
        fprintf(stderr, "hetsoc: unknown subcommand '%s'\n\n", argv[optind]);
        hs_cli_overview(stderr);
        return HS_EXIT_USAGE;
    }
    char name[64];
    int first = optind;
    snprintf(name, sizeof name, "hetsoc %s", cmd->name);
    argv[first] = name;
    optind = 0;  /* glibc: 0 fully re-initialises getopt for the subcommand */
    return cmd->run(argc - first, argv + first);
}
