/* hetsoc hw: look at hardware profiles and ask the performance model.
 *
 *   hetsoc hw show NAME
 *   hetsoc hw predict --hw NAME --pu PU --op OP --shape M,N,K [--dtype D]
 *                     [--weight-dtype D] [--batch B] [--flops F --bytes B]
 *                     [--corun PU:OP:M,N,K[:DTYPE[:WDTYPE]]]... [--json]
 *   hetsoc hw check [--json]
 */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli/cli_hw.h"
#include "hw/hw.h"

enum { MAX_CORUN = 16 };

/* ---- Output helpers. ---------------------------------------------------- */

/* JSON has no NaN or infinity. */
static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

/* ---- hetsoc list hw. ---------------------------------------------------- */

typedef struct list_ctx {
    FILE *out;
    int rc;
} list_ctx;

static void list_one(const char *name, const char *path, void *vctx)
{
    list_ctx *ctx = vctx;
    hs_err err;
    hs_hw *hw = hs_hw_load_file(path, &err);
    if (hw) {
        fprintf(ctx->out, "%-20s %s\n", name, hw->description);
        hs_hw_free(hw);
    } else {
        fprintf(ctx->out, "%-20s (does not load: %s)\n", name, err.msg);
        ctx->rc = HS_EXIT_FAIL;
    }
}

int hs_cli_list_hw(FILE *out)
{
    list_ctx ctx = {out, HS_EXIT_OK};
    hs_conf_list_builtin("hw", list_one, &ctx);
    return ctx.rc;
}

/* ---- hetsoc hw show. ---------------------------------------------------- */

static void show_mem(FILE *f, const hs_mem *m)
{
    fprintf(f, "memory %s%s%s%s: peak %.1f GB/s, achievable %.1f GB/s", m->name, m->type ? " (" : "",
            m->type ? m->type : "", m->type ? ")" : "", m->peak_bps / 1e9, m->achievable_bps / 1e9);
    if (m->capacity_bytes > 0)
        fprintf(f, ", %.0f GB", m->capacity_bytes / 1e9);
    if (m->energy_j_per_byte > 0)
        fprintf(f, ", %.3g pJ/byte", m->energy_j_per_byte * 1e12);
    if (m->nphi > 0)
        fprintf(f, ", phi curve of %zu points", m->nphi);
    fputc('\n', f);
}

static void show_pu_row(FILE *f, const hs_hw *hw, int i)
{
    const hs_pu *p = &hw->pus[i];
    char slots[16];
    if (p->slots == HS_SLOTS_UNLIMITED)
        snprintf(slots, sizeof slots, "unl.");
    else
        snprintf(slots, sizeof slots, "%d", p->slots);
    double beff = hs_hw_beff(hw, i), peff = hs_pu_peff(p, HS_OP_GEMM, HS_DT_FP16);
    fprintf(f, "%-8s %-7s %5s", p->name, hs_pu_kind_name(p->kind), slots);
    for (int d = 0; d < HS_DT_COUNT; d++)
        if (p->peak[d] > 0)
            fprintf(f, " %6.2f", p->peak[d] / 1e12);
        else
            fprintf(f, " %6s", "-");
    fprintf(f, " %5.2f %7.2f %7.1f %5.2f %7.1f ", p->compute_eff, peff / 1e12, p->bandwidth_bps / 1e9,
            p->mem_eff, beff / 1e9);
    if (peff > 0)
        fprintf(f, "%7.1f", peff / beff);
    else
        fprintf(f, "%7s", "-");
    fprintf(f, " %7.0f %5.0f/%-4.0f %6.2f/%-5.2f %s\n", p->launch_s * 1e6, p->sync_naive_s * 1e6,
            p->sync_fast_s * 1e6, p->power_active_w, p->power_idle_w, hw->mems[p->mem].name);
}

static void show_rules(FILE *f, const hs_pu *p)
{
    bool any = false;
    for (int o = 0; o < HS_OP_COUNT; o++)
        any |= p->unsupported[o];
    if (p->kind == HS_PU_GENERIC)
        fprintf(f, "  %s: speed %g (work x takes x / %g s)\n", p->name, p->speed, p->speed);
    if (any) {
        fprintf(f, "  %s cannot run:", p->name);
        for (int o = 0; o < HS_OP_COUNT; o++)
            if (p->unsupported[o])
                fprintf(f, " %s", hs_op_name(o));
        fputc('\n', f);
    }
    if (p->tile > 1 || p->nstatic > 0 || p->order_penalty > 1 || p->shape_penalty_exp > 0) {
        fprintf(f, "  %s shape rules: tile %lld", p->name, (long long)p->tile);
        if (p->nstatic > 0) {
            fprintf(f, "; static m {");
            for (size_t i = 0; i < p->nstatic; i++)
                fprintf(f, "%s%lld", i ? ", " : "", (long long)p->static_m[i]);
            fprintf(f, "}, other m %s", p->shape_policy == HS_SHAPES_PAD ? "pad up" : "build a graph");
        }
        if (p->graph_build.kind != HS_CURVE_NONE)
            fprintf(f, "; graph build %.3g s at m=128, %.3g s at m=1024",
                    hs_curve_eval(&p->graph_build, 128), hs_curve_eval(&p->graph_build, 1024));
        if (p->order_penalty > 1)
            fprintf(f, "; activation-left order x%g", p->order_penalty);
        if (p->shape_penalty_exp > 0 && p->shape_penalty_ref > 0)
            fprintf(f, "; k > n and k > %lld costs (k/%lld)^%g", (long long)p->shape_penalty_ref,
                    (long long)p->shape_penalty_ref, p->shape_penalty_exp);
        else if (p->shape_penalty_exp > 0)
            fprintf(f, "; k > n costs (k/n)^%g", p->shape_penalty_exp);
        fputc('\n', f);
    }
    if (p->size_eff_half > 0)
        fprintf(f, "  %s GEMM utilisation u(x) = %g x / (x + %g), x = min(n, k): u(2048) = %.3f, "
                   "u(4096) = %.3f\n", p->name, p->size_eff_max, p->size_eff_half,
                p->size_eff_max * 2048 / (2048 + p->size_eff_half),
                p->size_eff_max * 4096 / (4096 + p->size_eff_half));
    if (p->queue_launch_s != p->launch_s)
        fprintf(f, "  %s launch of a kernel queued behind another: %.3g us (alone: %.3g us)\n", p->name,
                p->queue_launch_s * 1e6, p->launch_s * 1e6);
}

static void show(FILE *f, const hs_hw *hw)
{
    fprintf(f, "%s: %s\nfile: %s\n", hw->name, hw->description, hw->path);
    for (size_t i = 0; i < hw->nmem; i++)
        show_mem(f, &hw->mems[i]);
    for (size_t i = 0; i < hw->nlinks; i++) {
        const hs_link *l = &hw->links[i];
        fprintf(f, "link %s: %s <-> %s, %.1f GB/s per direction, %.1f us\n", l->name,
                hw->mems[l->from].name, hw->mems[l->to].name, l->bandwidth_bps / 1e9, l->latency_s * 1e6);
    }
    fprintf(f, "\n%-8s %-7s %5s %6s %6s %6s %6s %5s %7s %7s %5s %7s %7s %7s %10s %12s %s\n", "PU", "kind",
            "slots", "fp32", "fp16", "int8", "int4", "u_c", "Peff16", "cap", "u_m", "Beff", "knee16",
            "launch", "sync", "power", "memory");
    fprintf(f, "%-8s %-7s %5s %6s %6s %6s %6s %5s %7s %7s %5s %7s %7s %7s %10s %12s\n", "", "", "",
            "TFLOPS", "", "", "", "", "TFLOPS", "GB/s", "", "GB/s", "FLOP/B", "us", "nv/fast us",
            "act/idle W");
    for (size_t i = 0; i < hw->npus; i++)
        show_pu_row(f, hw, (int)i);
    fputs("\nPeff16 = u_c x fp16 peak; Beff = u_m x min(cap, achievable); knee16 = Peff16 / Beff, the "
          "arithmetic intensity above which an fp16 kernel is compute-bound.\n",
          f);
    for (size_t i = 0; i < hw->npus; i++)
        show_rules(f, &hw->pus[i]);
    for (size_t i = 0; i < hw->ntables; i++) {
        const hs_table *t = &hw->tables[i];
        static const char *const dims[] = {"m", "n", "k", "batch"};
        fprintf(f, "  table: %s on %s over %s, %s\n", hs_op_name(t->op), hw->pus[t->pu].name, dims[t->vary],
                t->curve.kind == HS_CURVE_POINTS ? "measured points" : "fitted a*x^b+c");
    }
}

static int show_run(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(hs_cli_hw.usage, stdout);
            return HS_EXIT_OK;
        }
        return hs_cli_misuse(&hs_cli_hw, "show: unknown option");
    }
    if (argc - optind != 1)
        return hs_cli_misuse(&hs_cli_hw, "show takes one profile name or path");
    hs_err err;
    hs_hw *hw = hs_hw_load(argv[optind], &err);
    if (!hw) {
        hs_err_print(&err, stderr);
        return HS_EXIT_FAIL;
    }
    show(stdout, hw);
    hs_hw_free(hw);
    return HS_EXIT_OK;
}

/* ---- hetsoc hw predict. ------------------------------------------------- */

/* "M", "M,N" or "M,N,K": positive integers; missing ones are 0. */
static int parse_shape(const char *s, int64_t dims[3])
{
    dims[0] = dims[1] = dims[2] = 0;
    int n = 0;
    while (*s) {
        if (n == 3)
            return -1;
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        char buf[32];
        if (len == 0 || len >= sizeof buf)
            return -1;
        memcpy(buf, s, len);
        buf[len] = '\0';
        unsigned long long v;
        if (hs_cli_parse_u64(buf, 1, 1ull << 40, &v) < 0)
            return -1;
        dims[n++] = (int64_t)v;
        s += len;
        if (*s == ',' && !*++s)
            return -1;
    }
    return n > 0 ? 0 : -1;
}

typedef struct kernel_arg {
    char pu[64];
    hs_kernel k;
} kernel_arg;

static int set_op(kernel_arg *a, const char *s)
{
    int op = hs_op_from_name(s);
    if (op < 0)
        return hs_cli_misuse(&hs_cli_hw, "unknown op '%s' (ops: gemm, attention, rmsnorm, silu_mul, "
                                         "softmax, embedding, vector_search, generic)", s);
    a->k.op = (hs_op)op;
    return 0;
}

static int set_dtype(hs_dtype *dt, const char *s)
{
    int d = hs_dtype_from_name(s);
    if (d < 0)
        return hs_cli_misuse(&hs_cli_hw, "unknown dtype '%s' (fp32, fp16, int8, int4)", s);
    *dt = (hs_dtype)d;
    return 0;
}

static int set_shape(kernel_arg *a, const char *s)
{
    int64_t d[3];
    if (parse_shape(s, d) < 0)
        return hs_cli_misuse(&hs_cli_hw, "bad shape '%s': expected M,N,K (positive integers)", s);
    a->k.m = d[0];
    a->k.n = d[1];
    a->k.k = d[2];
    return 0;
}

/* PU:OP:M,N,K[:DTYPE[:WDTYPE]] */
static int parse_corun(const char *s, kernel_arg *a)
{
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return hs_cli_misuse(&hs_cli_hw, "--corun value too long");
    snprintf(buf, sizeof buf, "%s", s);
    char *field[5] = {0};
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
        if (n == 5)
            return hs_cli_misuse(&hs_cli_hw, "bad --corun '%s': expected PU:OP:M,N,K[:DTYPE[:WDTYPE]]", s);
        field[n++] = t;
    }
    if (n < 3)
        return hs_cli_misuse(&hs_cli_hw, "bad --corun '%s': expected PU:OP:M,N,K[:DTYPE[:WDTYPE]]", s);
    a->k = hs_kernel_make(HS_OP_GEMM, 0, 0, 0);
    snprintf(a->pu, sizeof a->pu, "%s", field[0]);
    if (set_op(a, field[1]) || set_shape(a, field[2]))
        return HS_EXIT_USAGE;
    if (n >= 4 && set_dtype(&a->k.dtype, field[3]))
        return HS_EXIT_USAGE;
    a->k.weight_dtype = a->k.dtype;
    if (n >= 5 && set_dtype(&a->k.weight_dtype, field[4]))
        return HS_EXIT_USAGE;
    return 0;
}

typedef struct predict_args {
    const char *hw;
    kernel_arg target;
    bool have_pu, have_op, have_shape, have_wdtype, json;
    int ncorun;
    kernel_arg corun[MAX_CORUN];
} predict_args;

static int parse_double(const char *s, const char *what, double *out)
{
    char *end;
    *out = strtod(s, &end);
    if (!*s || *end || !(*out >= 0) || !isfinite(*out))
        return hs_cli_misuse(&hs_cli_hw, "bad %s '%s': expected a number >= 0", what, s);
    return 0;
}

static int predict_opt(int c, predict_args *a)
{
    unsigned long long v;
    switch (c) {
    case 'w': a->hw = optarg; return 0;
    case 'p': a->have_pu = true; snprintf(a->target.pu, sizeof a->target.pu, "%s", optarg); return 0;
    case 'o': a->have_op = true; return set_op(&a->target, optarg);
    case 's': a->have_shape = true; return set_shape(&a->target, optarg);
    case 'd': return set_dtype(&a->target.k.dtype, optarg);
    case 'W': a->have_wdtype = true; return set_dtype(&a->target.k.weight_dtype, optarg);
    case 'b':
        if (hs_cli_parse_u64(optarg, 1, 1ull << 30, &v) < 0)
            return hs_cli_misuse(&hs_cli_hw, "bad --batch '%s'", optarg);
        a->target.k.batch = (int64_t)v;
        return 0;
    case 'F': return parse_double(optarg, "--flops", &a->target.k.flops);
    case 'B': return parse_double(optarg, "--bytes", &a->target.k.bytes);
    case 'c':
        if (a->ncorun == MAX_CORUN)
            return hs_cli_misuse(&hs_cli_hw, "at most %d --corun kernels", MAX_CORUN);
        return parse_corun(optarg, &a->corun[a->ncorun++]);
    case 'j': a->json = true; return 0;
    default: return hs_cli_misuse(&hs_cli_hw, "predict: unknown option");
    }
}

static int parse_predict(int argc, char **argv, predict_args *a)
{
    static const struct option opts[] = {
        {"hw", required_argument, NULL, 'w'},       {"pu", required_argument, NULL, 'p'},
        {"op", required_argument, NULL, 'o'},       {"shape", required_argument, NULL, 's'},
        {"dtype", required_argument, NULL, 'd'},    {"weight-dtype", required_argument, NULL, 'W'},
        {"batch", required_argument, NULL, 'b'},    {"flops", required_argument, NULL, 'F'},
        {"bytes", required_argument, NULL, 'B'},    {"corun", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},           {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->target.k = hs_kernel_make(HS_OP_GEMM, 0, 0, 0);
    int c, rc;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if ((rc = predict_opt(c, a)) != 0)
            return rc;
    if (optind < argc)
        return hs_cli_misuse(&hs_cli_hw, "predict: unexpected argument '%s'", argv[optind]);
    if (!a->hw || !a->have_pu || !a->have_op)
        return hs_cli_misuse(&hs_cli_hw, "predict needs --hw, --pu and --op");
    if (a->target.k.op != HS_OP_GENERIC && !a->have_shape)
        return hs_cli_misuse(&hs_cli_hw, "predict needs --shape M,N,K for %s", hs_op_name(a->target.k.op));
    if (!a->have_wdtype)
        a->target.k.weight_dtype = a->target.k.dtype;
    /* A shape the op cannot take is a command-line mistake, not a model failure. */
    for (int i = 0; i <= a->ncorun; i++) {
        hs_kernel k = i == 0 ? a->target.k : a->corun[i - 1].k;
        hs_err err;
        if (hs_kernel_derive(&k, &err) < 0)
            return hs_cli_misuse(&hs_cli_hw, "%s%s", i ? "--corun: " : "",
                                 err.msg + (strncmp(err.msg, "error: ", 7) ? 0 : 7));
    }
    return 0;
}

static void print_text(const hs_hw *hw, int pu, const predict_args *a, const hs_corun_out *o, size_t n)
{
    const hs_pred *p = &o[0].alone;
    const hs_kernel *k = &a->target.k;
    printf("%s on %s (%s): m=%lld n=%lld k=%lld, %s, stored %s\n", hs_op_name(k->op), hw->pus[pu].name,
           hw->name, (long long)k->m, (long long)k->n, (long long)k->k, hs_dtype_name(k->dtype),
           hs_dtype_name(k->weight_dtype));
    printf("  work          %.4g GFLOP, %.4g MB%s\n", p->flops / 1e9, p->bytes / 1e6,
           p->padded ? " (after padding)" : "");
    if (p->padded)
        printf("  padded shape  m=%lld n=%lld k=%lld\n", (long long)p->m, (long long)p->n, (long long)p->k);
    printf("  compute       %.6g us\n  memory        %.6g us (%s-bound)\n", p->compute_s * 1e6,
           p->memory_s * 1e6, p->memory_bound ? "memory" : "compute");
    if (p->penalty != 1)
        printf("  NPU penalty   x%.4g (operand order / shape)\n", p->penalty);
    if (p->from_table)
        printf("  profiled table overrides the roofline\n");
    printf("  launch        %.6g us\n", p->launch_s * 1e6);
    if (p->needs_build)
        printf("  graph build   %.6g ms (no prebuilt graph for m=%lld; charged)\n", p->build_s * 1e3,
               (long long)k->m);
    printf("  alone         %.6g us at %.4g GB/s\n", p->latency_s * 1e6, p->bound_bps / 1e9);
    if (n > 1)
        printf("  co-running    %.6g us at %.4g GB/s: %.3fx slower (with %zu other kernel%s)\n",
               o[0].latency_s * 1e6, o[0].bandwidth_bps / 1e9, o[0].slowdown, n - 1, n > 2 ? "s" : "");
    for (size_t i = 1; i < n; i++)
        printf("    beside: %s %s m=%lld n=%lld k=%lld: %.6g us alone, %.6g us co-running (%.3fx)\n",
               a->corun[i - 1].pu, hs_op_name(a->corun[i - 1].k.op), (long long)a->corun[i - 1].k.m,
               (long long)a->corun[i - 1].k.n, (long long)a->corun[i - 1].k.k, o[i].alone.latency_s * 1e6,
               o[i].latency_s * 1e6, o[i].slowdown);
}

static void print_json(const predict_args *a, const hs_corun_out *o, size_t n)
{
    const hs_pred *p = &o[0].alone;
    struct { const char *key; double v; } num[] = {
        {"latency_s", o[0].latency_s},     {"alone_latency_s", p->latency_s},
        {"slowdown", o[0].slowdown},       {"bandwidth_gbps", o[0].bandwidth_bps / 1e9},
        {"alone_bandwidth_gbps", p->bound_bps / 1e9}, {"compute_s", p->compute_s},
        {"memory_s", p->memory_s},         {"launch_s", p->launch_s},
        {"build_s", p->build_s},           {"flops", p->flops},
        {"bytes", p->bytes},               {"penalty", p->penalty},
    };
    printf("{\"pu\": ");
    hs_json_string(stdout, a->target.pu);
    printf(", \"op\": \"%s\"", hs_op_name(a->target.k.op));
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
        printf(", \"%s\": ", num[i].key);
        json_num(stdout, num[i].v);
    }
    printf(", \"padded_shape\": [%lld, %lld, %lld], \"memory_bound\": %s, \"from_table\": %s, "
           "\"needs_build\": %s, \"corun\": [",
           (long long)p->m, (long long)p->n, (long long)p->k, p->memory_bound ? "true" : "false",
           p->from_table ? "true" : "false", p->needs_build ? "true" : "false");
    for (size_t i = 1; i < n; i++) {
        printf("%s{\"pu\": ", i > 1 ? ", " : "");
        hs_json_string(stdout, a->corun[i - 1].pu);
        printf(", \"op\": \"%s\", \"latency_s\": ", hs_op_name(a->corun[i - 1].k.op));
        json_num(stdout, o[i].latency_s);
        printf(", \"alone_latency_s\": ");
        json_num(stdout, o[i].alone.latency_s);
        printf(", \"slowdown\": ");
        json_num(stdout, o[i].slowdown);
        printf(", \"bandwidth_gbps\": ");
        json_num(stdout, o[i].bandwidth_bps / 1e9);
        printf("}");
    }
    printf("]}\n");
}

/* Resolves every PU name; an unknown one is command-line misuse. */
static int resolve_pus(const hs_hw *hw, const predict_args *a, hs_corun_item *items)
{
    hs_err err;
    for (int i = 0; i <= a->ncorun; i++) {
        const kernel_arg *ka = i == 0 ? &a->target : &a->corun[i - 1];
        items[i].pu = hs_hw_pu_lookup(hw, ka->pu, &err);
        if (items[i].pu < 0)
            return hs_cli_misuse(&hs_cli_hw, "%s", err.msg + (strncmp(err.msg, "error: ", 7) ? 0 : 7));
        items[i].kernel = ka->k;
    }
    return 0;
}

static int predict_with(const hs_hw *hw, const predict_args *a)
{
    hs_corun_item items[MAX_CORUN + 1];
    hs_corun_out out[MAX_CORUN + 1];
    int rc = resolve_pus(hw, a, items);
    if (rc)
        return rc;
    size_t n = (size_t)a->ncorun + 1;
    hs_err err;
    if (hs_hw_predict_corun(hw, items, n, HS_PRED_CHARGE_BUILD, out, &err) < 0) {
        fprintf(stderr, "hetsoc hw predict: %s\n", err.msg + (strncmp(err.msg, "error: ", 7) ? 0 : 7));
        return HS_EXIT_FAIL;
    }
    if (a->json)
        print_json(a, out, n);
    else
        print_text(hw, items[0].pu, a, out, n);
    return HS_EXIT_OK;
}

static int predict_run(int argc, char **argv)
{
    predict_args a;
    int rc = parse_predict(argc, argv, &a);
    if (rc)
        return rc;
    hs_err err;
    hs_hw *hw = hs_hw_load(a.hw, &err);
    if (!hw) {
        hs_err_print(&err, stderr);
        return HS_EXIT_FAIL;
    }
    rc = predict_with(hw, &a);
    hs_hw_free(hw);
    return rc;
}

/* ---- hetsoc hw check. --------------------------------------------------- */

void hs_cli_check_summary(FILE *out, const hs_check_row *rows, size_t n)
{
    static const char *const tags[] = {"fit", "held-out"};
    static const char *const what[] = {"fit-consistency: the figure set a parameter", "predictions"};
    for (int t = 0; t < 2; t++) {
        hs_check_summary s;
        hs_check_summarise(rows, n, tags[t], &s);
        fprintf(out, "%-8s rows (%s): %zu, %zu pass", tags[t], what[t], s.n, s.pass);
        if (s.n)
            fprintf(out, "; median |error| %.1f%%, worst %+.1f%% (%s)", 100 * s.median_abs, 100 * s.worst,
                    s.worst_what);
        fputc('\n', out);
    }
    for (size_t i = 0; i < n; i++)
        if (!rows[i].pass && rows[i].tag && strcmp(rows[i].tag, "held-out") == 0)
            fprintf(out, "  held-out FAIL: %s: %s\n", rows[i].what, *rows[i].note ? rows[i].note : "(no reason)");
}

static void check_text(const hs_check_row *r, size_t n, int failed)
{
    printf("%-10s %-17s %-44s %-8s %10s %10s %21s %-4s %s\n", "group", "hw", "what", "tag", "published",
           "predicted", "pass range", "unit", "verdict");
    size_t asserted = 0;
    for (size_t i = 0; i < n; i++) {
        char range[48];
        snprintf(range, sizeof range, "[%.4g, %.4g]", r[i].lo, r[i].hi);
        char pub[24];
        if (isfinite(r[i].published))
            snprintf(pub, sizeof pub, "%.4g", r[i].published);
        else
            snprintf(pub, sizeof pub, "-");
        printf("%-10s %-17s %-44s %-8s %10s %10.4g %21s %-4s %s\n", r[i].group, r[i].hw, r[i].what, r[i].tag, pub,
               r[i].predicted, range, r[i].unit, r[i].pass ? "pass" : "FAIL");
        asserted += r[i].asserted;
    }
    printf("\n%zu of %zu fit checks pass (fit rows make the exit status).  Sources: hw/published/figures.yaml.\n",
           asserted - (size_t)failed, asserted);
    hs_cli_check_summary(stdout, r, n);
}

static void check_json(const hs_check_row *r, size_t n, int failed)
{
    printf("{\"failed\": %d, \"rows\": [", failed);
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"group\": \"%s\", \"hw\": \"%s\", \"what\": ", i ? ", " : "", r[i].group, r[i].hw);
        hs_json_string(stdout, r[i].what);
        printf(", \"published\": ");
        json_num(stdout, r[i].published);
        printf(", \"predicted\": ");
        json_num(stdout, r[i].predicted);
        printf(", \"lo\": ");
        json_num(stdout, r[i].lo);
        printf(", \"hi\": ");
        json_num(stdout, r[i].hi);
        printf(", \"unit\": \"%s\", \"source\": ", r[i].unit);
        hs_json_string(stdout, r[i].source);
        printf(", \"figure\": \"%s\", \"tag\": \"%s\", \"note\": ", r[i].figure, r[i].tag);
        hs_json_string(stdout, r[i].note);
        printf(", \"asserted\": %s, \"pass\": %s}", r[i].asserted ? "true" : "false",
               r[i].pass ? "true" : "false");
    }
    printf("]}\n");
}

static int check_run(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'j')
            return hs_cli_misuse(&hs_cli_hw, "check: unknown option");
        json = true;
    }
    if (optind < argc)
        return hs_cli_misuse(&hs_cli_hw, "check takes no arguments");
    hs_check_row *rows;
    size_t n;
    hs_err err;
    int failed = hs_hw_check(&rows, &n, &err);
    if (failed < 0) {
        hs_err_print(&err, stderr);
        return HS_EXIT_FAIL;
    }
    if (json)
        check_json(rows, n, failed);
    else
        check_text(rows, n, failed);
    free(rows);
    return failed ? HS_EXIT_FAIL : HS_EXIT_OK;
}

/* ---- Dispatch. ---------------------------------------------------------- */

static int hw_run(int argc, char **argv)
{
    if (argc < 2)
        return hs_cli_misuse(&hs_cli_hw, "expected show, predict, check or engines");
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(hs_cli_hw.usage, stdout);
        return HS_EXIT_OK;
    }
    /* The subcommand parses the rest; getopt restarts on the shorter argv. */
    optind = 0;
    if (strcmp(sub, "show") == 0)
        return show_run(argc - 1, argv + 1);
    if (strcmp(sub, "predict") == 0)
        return predict_run(argc - 1, argv + 1);
    if (strcmp(sub, "check") == 0)
        return check_run(argc - 1, argv + 1);
    if (strcmp(sub, "engines") == 0)
        return hs_cli_hw_engines(argc - 1, argv + 1);
    return hs_cli_misuse(&hs_cli_hw, "unknown hw subcommand '%s' (show, predict, check, engines)", sub);
}

const hs_cli_cmd hs_cli_hw = {
    .name = "hw",
    .summary = "show hardware profiles, predict kernel times, check the model against the papers",
    .usage =
        "usage: hetsoc hw show NAME | predict --hw NAME --pu PU --op OP --shape M,N,K [...] | check [--json]\n"
        "\n"
        "  show NAME            print a profile (built-in name or path) with derived figures\n"
        "  predict              predict one kernel's time alone and beside co-running kernels\n"
        "    --hw NAME          profile (built-in name or path)\n"
        "    --pu PU            PU name, or a kind (cpu, gpu, npu, dsp, generic) for its first PU\n"
        "    --op OP            gemm, attention, rmsnorm, silu_mul, softmax, embedding, vector_search,\n"
        "                       generic (gemv = gemm with M=1)\n"
        "    --shape M,N,K      gemm: M tokens, N output and K input features; attention: M queries,\n"
        "                       N KV tokens, K head dim; see hw/README.md for every op\n"
        "    --dtype D          compute dtype: fp32, fp16 (default), int8, int4\n"
        "    --weight-dtype D   stored-operand dtype (default: --dtype); W4A16 is --dtype fp16\n"
        "                       --weight-dtype int4\n"
        "    --batch B          independent instances (attention: heads)\n"
        "    --flops F --bytes B  explicit work (required for --op generic)\n"
        "    --corun PU:OP:M,N,K[:DTYPE[:WDTYPE]]  a kernel running beside it (repeatable)\n"
        "    --json             one JSON object: latency_s, alone_latency_s, slowdown, bandwidth_gbps, ...\n"
        "  check [--json]       predicted vs published figures (HeteroInfer Table 3, contention);\n"
        "                       exit status 1 if an asserted check fails\n"
        "  engines [NAME...]    refit the engine presets' efficiencies (hw/engines/) to their published\n"
        "                       rates; exit status 1 if a stored value differs from its fit\n",
    .run = hw_run,
};
