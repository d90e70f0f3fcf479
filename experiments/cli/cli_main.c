/* hetsoc: the command line's entry point.  Dispatches to the subcommands of
 * commands.c; global options are --help and --version. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "experiments/cli/cli.h"
#include "hs_version.h"

/* A subcommand's exit status, made a failure when what it printed could
 * not all be written (a full disk, /dev/full, a closed pipe): a table cut
 * short must not look complete. */
static int flushed(const char *name, int rc)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    fprintf(stderr, "%s: error: writing standard output: %s\n", name, errno ? strerror(errno) : "write error");
    return rc == HS_EXIT_OK ? HS_EXIT_FAIL : rc;
}

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
    return flushed(name, cmd->run(argc - first, argv + first));
}
