/* hetsoc: the command line's subcommand table.
 *
 * Each subcommand lives in its own experiments/cli/cli_*.c file and is
 * listed once in the table of commands.c.  A subcommand's run() receives argv with
 * argv[0] set to "hetsoc SUBCOMMAND" and returns the process exit status:
 * 0 success, 1 a failure or bad input file (already reported on stderr as
 * "PATH:LINE:COL: error: ..."), 2 command-line misuse (usage printed).
 */
#ifndef HS_EXPERIMENTS_CLI_H
#define HS_EXPERIMENTS_CLI_H

#include <stdio.h>

typedef struct hs_cli_cmd {
    const char *name;
    const char *summary;    /* one line for `hetsoc --help` */
    const char *usage;      /* full text for `hetsoc help NAME` */
    int (*run)(int argc, char **argv);
} hs_cli_cmd;

/* `hetsoc list WHAT`: each provider of built-in names registers here. */
typedef struct hs_cli_lister {
    const char *what;       /* "hw", "workloads", "policies", ... */
    int (*list)(FILE *out);
} hs_cli_lister;

enum { HS_EXIT_OK = 0, HS_EXIT_FAIL = 1, HS_EXIT_USAGE = 2 };

/* The whole command line: `hetsoc SUBCOMMAND ...`, argv as main() receives
 * it.  Returns the process exit status.  Beside the public API
 * (policies/policy.h) it is the one symbol that libhetsoc.so exports, for
 * the hetsoc binary. */
__attribute__((visibility("default"))) int hs_cli_main(int argc, char **argv);

/* Prints "hetsoc SUBCOMMAND: MESSAGE" and the subcommand's usage line to
 * stderr; returns HS_EXIT_USAGE. */
int hs_cli_misuse(const hs_cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const hs_cli_cmd *hs_cli_find(const char *name);
/* The list of subcommands with their summaries (`hetsoc --help`). */
void hs_cli_overview(FILE *f);

/* Parses an unsigned integer option value strictly (digits only, no
 * overflow, within [lo, hi]).  Returns 0 or -1. */
int hs_cli_parse_u64(const char *text, unsigned long long lo, unsigned long long hi,
                     unsigned long long *out);

/* Subcommands (one file each). */
extern const hs_cli_cmd hs_cli_bench;
extern const hs_cli_cmd hs_cli_list;
extern const hs_cli_cmd hs_cli_sim;
extern const hs_cli_cmd hs_cli_real, hs_cli_profile, hs_cli_validate, hs_cli_bench_overhead;  /* real/ */
extern const hs_cli_cmd hs_cli_run_exp;
extern const hs_cli_cmd hs_cli_summary;
extern const hs_cli_cmd hs_cli_merge;
extern const hs_cli_cmd hs_cli_partition;

#endif
