/* hetsoc: helpers every subcommand shares: misuse messages, strict
 * integer options. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli/cli.h"

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
