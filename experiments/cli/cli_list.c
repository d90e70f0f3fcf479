/* hetsoc list WHAT: the built-in names of each kind. */
#include <stdio.h>
#include <string.h>

#include "experiments/cli/cli.h"
#include "experiments/cli/cli_hw.h"
#include "experiments/cli/cli_workload.h"
#include "sim/engine/engine.h"

static void print_name(const char *name, const char *path, void *ctx)
{
    (void)path;
    fprintf((FILE *)ctx, "%s\n", name);
}

static int list_dir(FILE *out, const char *dir)
{
    hs_conf_list_builtin(dir, print_name, out);
    return HS_EXIT_OK;
}

static int list_experiments(FILE *out) { return list_dir(out, "experiments"); }

/* Built-in policies under their group's heading (seed policies, baselines,
 * classic schedulers, then any other), each group in name order; a policy
 * line is indented, a heading is not. */
static int list_policies(FILE *out)
{
    bool any = false;
    for (int g = 0; g < HS_POLICY_GROUP_COUNT; g++) {
        bool heading = false;
        for (size_t i = 0; i < hs_policy_count(); i++) {
            const hs_policy_ops *p = hs_policy_at(i);
            if (hs_policy_group_of(p->name) != (hs_policy_group)g)
                continue;
            if (!heading)
                fprintf(out, "%s%s:\n", any ? "\n" : "", hs_policy_group_title((hs_policy_group)g));
            heading = any = true;
            fprintf(out, "  %-20s %s\n", p->name, p->description);
        }
    }
    return HS_EXIT_OK;
}

/* Every kind of built-in name; each layer adds its lister here. */
static const hs_cli_lister listers[] = {
    {"hw", hs_cli_list_hw},
    {"models", hs_cli_list_models},
    {"workflows", hs_cli_list_workflows},
    {"workloads", hs_cli_list_workloads},
    {"experiments", list_experiments},
    {"policies", list_policies},
    {"engines", hs_cli_list_engines},
};
enum { N_LISTERS = sizeof listers / sizeof listers[0] };

static int list_run(int argc, char **argv)
{
    (void)argv;
    if (argc != 2)
        return hs_cli_misuse(&hs_cli_list, "expected one kind: hw, models, workflows, workloads, policies, experiments, engines");
    for (int i = 0; i < N_LISTERS; i++)
        if (strcmp(listers[i].what, argv[1]) == 0)
            return listers[i].list(stdout);
    return hs_cli_misuse(&hs_cli_list, "unknown kind '%s'", argv[1]);
}

const hs_cli_cmd hs_cli_list = {
    .name = "list",
    .summary = "list built-in names (hw, models, workflows, workloads, policies, experiments, engines)",
    .usage = "usage: hetsoc list WHAT\n"
             "Prints the built-in names of WHAT, one per line. WHAT is one of: hw, models, workflows,\n"
             "workloads, policies, experiments, engines (engine presets and the profiles they cover).\n",
    .run = list_run,
};
