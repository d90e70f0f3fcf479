/* hetsoc partition: HeteroInfer's solver decision for one GEMM.
 *   hetsoc partition --hw HW --weight OUT,IN --tokens M [--sync fast|naive]
 *                    [--weight-dtype DT] [--grid G] [--json]
 * The weight is given as HeteroInfer's Table 3 writes it, [output features,
 * input features] ([4096,14336] is Llama-3-8B's FFN-down: n = 4096, k =
 * 14336 in hw/'s GEMM terms).  Prints the chosen strategy, the GPU:NPU
 * ratio, whether the NPU pads, the predicted time and every alternative's. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments/cli/cli.h"
#include "policies/heterollm_solver.h"

static const hs_cli_cmd *const self = &hs_cli_partition;

typedef struct partition_args {
    const char *hw;
    int64_t out, in, tokens;
    bool fast, json;
    int grid;
    hs_dtype wdtype;
} partition_args;

static int parse_weight(const char *s, partition_args *a)
{
    long long o, i;
    char tail;
    if (sscanf(s, "%lld,%lld%c", &o, &i, &tail) != 2 || o < 1 || i < 1)
        return hs_cli_misuse(self, "bad --weight '%s': expected OUT,IN (positive integers)", s);
    a->out = o, a->in = i;
    return 0;
}

static int partition_opt(int c, partition_args *a)
{
    unsigned long long v;
    int dt;
    switch (c) {
    case 'w': a->hw = optarg; return 0;
    case 'W': return parse_weight(optarg, a);
    case 't':
        if (hs_cli_parse_u64(optarg, 1, 1ull << 24, &v) < 0)
            return hs_cli_misuse(self, "bad --tokens '%s': expected an integer in [1, 16777216]", optarg);
        a->tokens = (int64_t)v;
        return 0;
    case 's':
        if (strcmp(optarg, "fast") != 0 && strcmp(optarg, "naive") != 0)
            return hs_cli_misuse(self, "bad --sync '%s': expected fast or naive", optarg);
        a->fast = strcmp(optarg, "fast") == 0;
        return 0;
    case 'd':
        if ((dt = hs_dtype_from_name(optarg)) < 0)
            return hs_cli_misuse(self, "bad --weight-dtype '%s': expected fp32, fp16, int8 or int4", optarg);
        a->wdtype = (hs_dtype)dt;
        return 0;
    case 'g':
        if (hs_cli_parse_u64(optarg, 1, 16, &v) < 0)
            return hs_cli_misuse(self, "bad --grid '%s': expected an integer in [1, 16]", optarg);
        a->grid = (int)v;
        return 0;
    case 'j': a->json = true; return 0;
    default: return hs_cli_misuse(self, "unknown option");
    }
}

static int parse_args(int argc, char **argv, partition_args *a)
{
    static const struct option opts[] = {
        {"hw", required_argument, NULL, 'w'},   {"weight", required_argument, NULL, 'W'},
        {"tokens", required_argument, NULL, 't'}, {"sync", required_argument, NULL, 's'},
        {"weight-dtype", required_argument, NULL, 'd'}, {"grid", required_argument, NULL, 'g'},
        {"json", no_argument, NULL, 'j'},       {NULL, 0, NULL, 0},
    };
    /* Table 3 counts its weights as INT8 (hw/README.md, "Table 3's weight dtype"). */
    *a = (partition_args){.fast = true, .grid = HLL_GRID_DEFAULT, .wdtype = HS_DT_INT8};
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if ((rc = partition_opt(c, a)) != 0)
            return rc;
    if (optind < argc)
        return hs_cli_misuse(self, "unexpected argument '%s'", argv[optind]);
    if (!a->hw || !a->out || !a->tokens)
        return hs_cli_misuse(self, "needs --hw, --weight and --tokens");
    return 0;
}

/* "3:1" for a weight split, "256+16" (NPU chunk + GPU remainder) for an
 * activation split, "1:0" / "0:1" for one PU. */
static void ratio_text(hll_strategy s, const hll_choice *c, char *buf, size_t n)
{
    if (s == HLL_ACTIVATION_CENTRIC)
        snprintf(buf, n, "%" PRId64 "+%" PRId64, c->npu_tokens, c->gpu_tokens);
    else
        snprintf(buf, n, "%d:%d", c->gpu_share, c->npu_share);
}

static void json_time(double t)
{
    if (isfinite(t))
        printf("%.9g", t);
    else
        fputs("null", stdout);
}

static void print_json(const partition_args *a, const hll_decision *d)
{
    const hll_choice *c = &d->best[d->strategy];
    char ratio[48];
    ratio_text(d->strategy, c, ratio, sizeof ratio);
    printf("{\"weight\": [%" PRId64 ", %" PRId64 "], \"tokens\": %" PRId64 ", \"sync\": \"%s\", "
           "\"strategy\": \"%s\", \"ratio\": \"%s\", \"gpu_rows\": %" PRId64 ", \"npu_rows\": %" PRId64
           ", \"gpu_tokens\": %" PRId64 ", \"npu_tokens\": %" PRId64 ", \"padded\": %s, \"time_s\": ",
           a->out, a->in, a->tokens, a->fast ? "fast" : "naive", hll_strategy_name(d->strategy), ratio,
           c->gpu_rows, c->npu_rows, c->gpu_tokens, c->npu_tokens, c->padded ? "true" : "false");
    json_time(c->time_s);
    printf(", \"alternatives\": {");
    for (int s = 0; s < HLL_STRATEGY_COUNT; s++) {
        printf("%s\"%s\": ", s ? ", " : "", hll_strategy_name((hll_strategy)s));
        json_time(d->best[s].time_s);
    }
    printf("}}\n");
}

static void print_text(const partition_args *a, const hll_decision *d)
{
    const hll_choice *c = &d->best[d->strategy];
    char ratio[48];
    printf("weight [%" PRId64 ",%" PRId64 "] x %" PRId64 " tokens, %s sync\n", a->out, a->in, a->tokens,
           a->fast ? "fast" : "naive");
    ratio_text(d->strategy, c, ratio, sizeof ratio);
    printf("strategy  %s\nratio     %s (GPU %" PRId64 " rows x %" PRId64 " tokens, NPU %" PRId64
           " rows x %" PRId64 " tokens)\npadded    %s\ntime_s    %.6g\nalternatives:\n",
           hll_strategy_name(d->strategy), ratio, c->gpu_rows, c->gpu_tokens, c->npu_rows, c->npu_tokens,
           c->padded ? "true" : "false", c->time_s);
    for (int s = 0; s < HLL_STRATEGY_COUNT; s++) {
        const hll_choice *o = &d->best[s];
        ratio_text((hll_strategy)s, o, ratio, sizeof ratio);
        if (isfinite(o->time_s))
            printf("  %-19s %-9s %.6g s\n", hll_strategy_name((hll_strategy)s), ratio, o->time_s);
        else
            printf("  %-19s %-9s n/a\n", hll_strategy_name((hll_strategy)s), "-");
    }
}

static int solve_and_print(const partition_args *a, const hs_hw *hw, hs_err *err)
{
    int gpu = hs_hw_pu_lookup(hw, "gpu", err), npu = gpu < 0 ? -1 : hs_hw_pu_lookup(hw, "npu", err);
    if (gpu < 0 || npu < 0)
        return -1;
    hll_config cfg = {.hw = hw, .gpu = gpu, .npu = npu, .sync_s = hs_hw_sync_s(hw, gpu, npu, a->fast),
                      .copy_bps = hw->copy_bps, .grid = a->grid};
    hll_solver *sv = hll_solver_new(&cfg, err);
    if (!sv)
        return -1;
    /* hw/'s GEMM: C[m,n] = A[m,k] W[k,n], n output and k input features. */
    hs_kernel k = hs_kernel_make(HS_OP_GEMM, a->tokens, a->out, a->in);
    k.weight_dtype = a->wdtype;
    const hll_decision *d = hll_solve(sv, &k, err);
    if (d && a->json)
        print_json(a, d);
    else if (d)
        print_text(a, d);
    hll_solver_free(sv);
    return d ? 0 : -1;
}

static int partition_run(int argc, char **argv)
{
    partition_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    hs_err err;
    hs_hw *hw = hs_hw_load(a.hw, &err);
    if (!hw || solve_and_print(&a, hw, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        hs_hw_free(hw);
        return HS_EXIT_FAIL;
    }
    hs_hw_free(hw);
    return HS_EXIT_OK;
}

const hs_cli_cmd hs_cli_partition = {
    .name = "partition",
    .summary = "HeteroInfer's GPU/NPU partition of one GEMM (the heterollm solver)",
    .usage = "usage: hetsoc partition --hw HW --weight OUT,IN --tokens M [--sync fast|naive]\n"
             "                        [--weight-dtype DT] [--grid G] [--json]\n"
             "Solves HeteroInfer's partition (SOSP'25 §4.2) for the GEMM of M tokens through a weight of\n"
             "OUT output and IN input features (Table 3's [OUT,IN]; weights stored as DT, default int8 as\n"
             "Table 3 counts them) between the profile's first GPU and first NPU:\n"
             "  min(T_GPU, T_NPU + T_sync + T_copy, max(T_GPU^p1, T_NPU^p2) + T_sync + T_copy)\n"
             "over weight-centric splits (GPU:NPU ratios a:b, a, b <= G, default 3), activation-centric\n"
             "splits (the NPU's largest static size <= M, the GPU the rest) and hybrid ones (a weight\n"
             "split whose NPU part pads M).  Prints strategy, ratio (GPU:NPU, or NPU+GPU tokens for\n"
             "activation-centric), padded, time_s and the alternatives' times.  --sync picks T_sync\n"
             "(default fast).\n",
    .run = partition_run,
};
