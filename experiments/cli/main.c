/* hetsoc: the command-line binary.  The command line lives in libhetsoc.so
 * (experiments/cli/cli_main.c), which exports hs_cli_main for this. */
#include "experiments/cli/cli.h"

int main(int argc, char **argv)
{
    return hs_cli_main(argc, argv);
}
