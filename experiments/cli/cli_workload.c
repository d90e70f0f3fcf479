/* hetsoc workload: look inside a workload.
 *
 *   hetsoc workload show WL [--hw HW] [--seed N] [--class NAME]
 *       one sampled request's whole DAG (every stage it will run, as the
 *       request draws it from the seed): per stage its kind, model, shape,
 *       inputs, work items, FLOPs and bytes, and with --hw the time it
 *       takes alone on each PU of the profile;
 *   hetsoc workload check
 *       predicted vs published prefill / decode rates (workloads/README.md).
 *
 * And the listers of `hetsoc list models | workflows | workloads`. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli/cli_hw.h"
#include "experiments/cli/cli_workload.h"
#include "hw/hw.h"
#include "workloads/workloads.h"

/* ---- Listers. ----------------------------------------------------------- */

typedef struct list_ctx {
    FILE *out;
    int rc;
    int kind;   /* 0 models, 1 workflows, 2 workloads */
} list_ctx;

static int describe(int kind, const char *name, char *desc, size_t size, hs_err *err)
{
    if (kind == 1)
        return hs_workflow_check(name, desc, size, err);
    if (kind == 2) {
        hs_workload *wl;
        if (hs_workload_load(name, &wl, err) < 0)
            return -1;
        snprintf(desc, size, "%s", hs_workload_description(wl));
        hs_workload_free(wl);
        return 0;
    }
    hs_model m;
    if (hs_model_load(name, &m, err) < 0)
        return -1;
    snprintf(desc, size, "%d layers, hidden %d, %d/%d heads, %s, %.2f B parameters", m.layers,
             m.hidden, m.heads, m.kv_heads, hs_quant_name(m.quant), hs_model_params(&m) / 1e9);
    return 0;
}

static void list_one(const char *name, const char *path, void *vctx)
{
    (void)path;
    list_ctx *c = vctx;
    char desc[512];
    hs_err err;
    if (describe(c->kind, name, desc, sizeof desc, &err) == 0) {
        fprintf(c->out, "%-24s %s\n", name, desc);
    } else {
        fprintf(c->out, "%-24s (does not load: %s)\n", name, err.msg);
        c->rc = HS_EXIT_FAIL;
    }
}

static int list_kind(FILE *out, int kind, const char *dir)
{
    list_ctx c = {out, HS_EXIT_OK, kind};
    hs_conf_list_builtin(dir, list_one, &c);
    return c.rc;
}

int hs_cli_list_models(FILE *out) { return list_kind(out, 0, HS_WL_MODELS_DIR); }
int hs_cli_list_workflows(FILE *out) { return list_kind(out, 1, HS_WL_WORKFLOWS_DIR); }
int hs_cli_list_workloads(FILE *out) { return list_kind(out, 2, HS_WL_DIR); }

/* ---- show: one request. ------------------------------------------------- */

enum { MAX_PUS = 16 };

typedef struct stage_sum {
    const hs_hw *hw;
    long items;
    double flops, bytes, delay;
    double t[MAX_PUS];
    bool cannot[MAX_PUS];
} stage_sum;

/* Seconds of an item alone on pu, or -1: its cost-map entry, work / speed,
 * or the hardware model's latency for its kernel. */
static double item_time(const hs_hw *hw, int pu, const hs_item *it)
{
    if (hs_item_is_fixed(it))
        return hs_item_fixed_s(hw, it, pu);
    hs_pred p;
    hs_err err;
    return hs_hw_predict(hw, pu, &it->k, 0, &p, &err) == 0 ? p.latency_s : -1;
}

static int add_item(const hs_item *it, void *vctx)
{
    stage_sum *s = vctx;
    s->items++;
    if (it->kind == HS_ITEM_DELAY) {
        s->delay += it->delay_s;
        return 0;
    }
    s->flops += it->k.flops;
    s->bytes += it->k.bytes;
    for (size_t p = 0; s->hw && p < s->hw->npus && p < MAX_PUS; p++) {
        double t = item_time(s->hw, (int)p, it);
        if (t < 0 || !isfinite(t))
            s->cannot[p] = true;
        else
            s->t[p] += t;
    }
    return 0;
}

static void shape_text(const hs_stage_info *s, char *buf, size_t size)
{
    switch (s->kind) {
    case HS_STAGE_LLM:
        if (s->context > 0)
            snprintf(buf, size, "ctx %lld + %lld -> %lld", (long long)s->context,
                     (long long)s->prompt, (long long)s->output);
        else
            snprintf(buf, size, "%lld -> %lld", (long long)s->prompt, (long long)s->output);
        break;
    case HS_STAGE_EMBED:
    case HS_STAGE_RERANK:
        snprintf(buf, size, "%lld x %lld", (long long)s->batch, (long long)s->seq);
        break;
    case HS_STAGE_SEARCH: snprintf(buf, size, "%lld quer%s", (long long)s->batch,
                                   s->batch == 1 ? "y" : "ies"); break;
    case HS_STAGE_CHUNK: snprintf(buf, size, "%lld tokens", (long long)s->seq); break;
    default: snprintf(buf, size, "-"); break;
    }
}

static void inputs_text(const hs_request *r, uint32_t id, char *buf, size_t size)
{
    hs_dep deps[64];
    size_t n = hs_request_inputs(r, id, deps, 64), len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && i < 64 && len + 12 < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%u", i ? "," : "", deps[i].node);
    if (n == 0)
        snprintf(buf, size, "-");
}

static void print_header(FILE *f, const hs_hw *hw)
{
    fprintf(f, "%3s %-14s %-13s %-21s %-6s %-18s %-8s %9s %10s %10s", "id", "stage", "kind",
            "model", "quant", "shape", "inputs", "items", "GFLOP", "MB");
    for (size_t p = 0; hw && p < hw->npus && p < MAX_PUS; p++)
        fprintf(f, " %9s", hw->pus[p].name);
    fputc('\n', f);
}

static void print_times(FILE *f, const stage_sum *s)
{
    if (!s->hw)
        return;
    for (size_t p = 0; p < s->hw->npus && p < MAX_PUS; p++) {
        if (s->delay > 0 && s->items == 1)
            fprintf(f, " %9s", "(no PU)");
        else if (s->cannot[p])
            fprintf(f, " %9s", "-");
        else
            fprintf(f, " %9.3f", s->t[p] * 1e3);
    }
}

static void print_stage(FILE *f, const hs_request *r, uint32_t id, const hs_hw *hw,
                        stage_sum *total)
{
    const hs_stage_info *s = hs_request_node(r, id);
    stage_sum sum = {.hw = hw};
    hs_request_stage_items(r, id, add_item, &sum);
    char name[64], shape[64], in[64];
    if (s->iteration > 0 || s->item > 0 || strlen(s->name) > 14)
        snprintf(name, sizeof name, "%.8s[%d.%d]", s->name, s->iteration, s->item);
    else
        snprintf(name, sizeof name, "%s", s->name);
    shape_text(s, shape, sizeof shape);
    inputs_text(r, id, in, sizeof in);
    fprintf(f, "%3u %-14s %-13s %-21s %-6s %-18s %-8s %9ld %10.3f %10.3f", id, name,
            hs_stage_kind_name(s->kind), s->model ? s->model->name : "-",
            s->model ? hs_quant_name(s->quant) : "-", shape, in, sum.items, sum.flops / 1e9,
            sum.bytes / 1e6);
    print_times(f, &sum);
    if (sum.delay > 0)
        fprintf(f, "  delay %.3f s", sum.delay);
    fputc('\n', f);
    total->items += sum.items;
    total->flops += sum.flops;
    total->bytes += sum.bytes;
    for (size_t p = 0; p < MAX_PUS; p++) {
        total->t[p] += sum.t[p];
        total->cannot[p] |= sum.cannot[p];
    }
}

/* Completes stages in order until the request ends: every stage it will
 * run is then revealed. */
static void reveal_all(hs_request *r)
{
    hs_req_event ev;
    uint32_t *ready = NULL;
    size_t n = 0, cap = 0, head = 0;
    hs_request_start(r);
    for (;;) {
        while (hs_request_poll(r, &ev)) {
            if (ev.type != HS_EV_READY)
                continue;
            if (n == cap) {
                uint32_t *q = realloc(ready, (cap = cap ? 2 * cap : 64) * sizeof *q);
                if (!q)
                    break;
                ready = q;
            }
            ready[n++] = ev.node;
        }
        if (head == n)
            break;
        uint32_t id = ready[head++];
        hs_item it;
        while (hs_request_next_item(r, id, &it) == 1 && hs_request_item_done(r, id) == 1)
            ;
    }
    free(ready);
}

/* The first request of class cls (or of any class when cls < 0). */
static int first_arrival(const hs_workload *wl, uint64_t seed, int cls, hs_arrival *a,
                         hs_err *err)
{
    hs_gen *g = hs_gen_create(wl, seed, err);
    if (!g)
        return -1;
    int rc;
    hs_arrival last = {0};
    for (long i = 0; i < 10000000; i++) {
        rc = hs_gen_next(g, a, err);
        if (rc == HS_GEN_WAIT) {
            hs_gen_request_done(g, &last, last.time);
            continue;
        }
        if (rc != HS_GEN_READY)
            break;
        if (cls < 0 || (int)a->cls == cls)
            break;
        last = *a;
    }
    hs_gen_free(g);
    if (rc == HS_GEN_READY)
        return 0;
    if (rc == HS_GEN_END || rc == HS_GEN_WAIT)
        hs_errf(err, "the workload issues no request of that class");
    return -1;
}

static int find_class(const hs_workload *wl, const char *name)
{
    for (size_t i = 0; i < hs_workload_nclasses(wl); i++)
        if (strcmp(hs_workload_class(wl, i)->name, name) == 0)
            return (int)i;
    return -1;
}

static void print_workload(FILE *f, const hs_workload *wl)
{
    static const char *const kinds[] = {"workflow", "llm", "dag", "synthetic"};
    fprintf(f, "workload %s: %s\n  kind %s, granularity %s", hs_workload_name(wl),
            hs_workload_description(wl), kinds[hs_workload_kind(wl)],
            hs_granularity_name(hs_workload_granularity(wl)));
    if (hs_workload_max_requests(wl) > 0)
        fprintf(f, ", %lld requests", (long long)hs_workload_max_requests(wl));
    if (hs_workload_duration(wl) > 0)
        fprintf(f, ", %g s", hs_workload_duration(wl));
    fputc('\n', f);
    for (size_t i = 0; i < hs_workload_nclasses(wl); i++) {
        const hs_req_class *c = hs_workload_class(wl, i);
        char arr[256];
        hs_workload_class_arrival(wl, i, arr, sizeof arr);
        fprintf(f, "  class %s: %s%s, arrivals %s", c->name, c->workflow ? "workflow " : "",
                c->workflow ? c->workflow : "tasks", arr);
        if (c->slo.latency_s > 0)
            fprintf(f, ", SLO %g s", c->slo.latency_s);
        fputc('\n', f);
    }
}

static int show_request(const hs_workload *wl, const hs_hw *hw, uint64_t seed, int cls)
{
    hs_err err;
    hs_arrival a;
    if (first_arrival(wl, seed, cls, &a, &err) < 0) {
        hs_err_print(&err, stderr);
        return HS_EXIT_FAIL;
    }
    hs_request *r = hs_request_create(wl, &a, seed, &err);
    if (!r) {
        hs_err_print(&err, stderr);
        return HS_EXIT_FAIL;
    }
    reveal_all(r);
    print_workload(stdout, wl);
    printf("request %llu of class %s, arriving at %.3f s (seed %llu): %u stages%s%s\n",
           (unsigned long long)a.seq, hs_request_class(r)->name, a.time,
           (unsigned long long)seed, hs_request_nvisible(r), hw ? "; ms alone on each PU of " : "",
           hw ? hw->name : "");
    print_header(stdout, hw);
    stage_sum total = {.hw = hw};
    for (uint32_t id = 0; id < hs_request_nvisible(r); id++)
        print_stage(stdout, r, id, hw, &total);
    printf("%-89s %9ld %10.3f %10.3f", "total", total.items, total.flops / 1e9,
           total.bytes / 1e6);
    print_times(stdout, &total);
    fputc('\n', stdout);
    hs_request_free(r);
    return HS_EXIT_OK;
}

static int show_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"hw", required_argument, NULL, 'w'},
        {"seed", required_argument, NULL, 's'},
        {"class", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *hwname = NULL, *cname = NULL;
    unsigned long long seed = 1;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'w': hwname = optarg; break;
        case 'c': cname = optarg; break;
        case 's':
            if (hs_cli_parse_u64(optarg, 0, UINT64_MAX, &seed) < 0)
                return hs_cli_misuse(&hs_cli_workload, "--seed takes an unsigned integer");
            break;
        case 'h': fputs(hs_cli_workload.usage, stdout); return HS_EXIT_OK;
        default: return hs_cli_misuse(&hs_cli_workload, "bad option");
        }
    }
    if (optind != argc - 1)
        return hs_cli_misuse(&hs_cli_workload, "expected one workload");
    hs_err err;
    hs_workload *wl;
    if (hs_workload_load(argv[optind], &wl, &err) < 0) {
        hs_err_print(&err, stderr);
        return HS_EXIT_FAIL;
    }
    int rc = HS_EXIT_FAIL, cls = cname ? find_class(wl, cname) : -1;
    hs_hw *hw = NULL;
    if (cname && cls < 0)
        fprintf(stderr, "error: workload '%s' has no class '%s'\n", hs_workload_name(wl), cname);
    else if (hwname && !(hw = hs_hw_load(hwname, &err)))
        hs_err_print(&err, stderr);
    else
        rc = show_request(wl, hw, seed, cls);
    hs_hw_free(hw);
    hs_workload_free(wl);
    return rc;
}

/* ---- check. ------------------------------------------------------------- */

static int check_run(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return hs_cli_misuse(&hs_cli_workload, "check takes no arguments");
    hs_check_row *rows;
    size_t n;
    hs_err err;
    int failed = hs_workload_check(&rows, &n, &err);
    if (failed < 0) {
        hs_err_print(&err, stderr);
        return HS_EXIT_FAIL;
    }
    printf("| rate | profile | tag | published | predicted | error | verdict |\n|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const hs_check_row *r = &rows[i];
        printf("| %s | %s | %s | %.*f %s | %.*f | %+.0f%% | %s |\n", r->what, r->hw, r->tag, r->published < 10 ? 2 : 1,
               r->published, r->unit, r->published < 10 ? 2 : 1, r->predicted, 100 * hs_check_rel_err(r),
               r->pass ? "within 25%" : "FAIL");
    }
    printf("\n");
    hs_cli_check_summary(stdout, rows, n);
    printf("\nSources:\n");
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(rows[i].source, rows[i - 1].source) != 0)
            printf("- %s\n", rows[i].source);
    free(rows);
    return failed == 0 ? HS_EXIT_OK : HS_EXIT_FAIL;
}

static int workload_run(int argc, char **argv)
{
    if (argc < 2)
        return hs_cli_misuse(&hs_cli_workload, "expected 'show' or 'check'");
    if (strcmp(argv[1], "show") == 0)
        return show_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0)
        return check_run(argc - 1, argv + 1);
    return hs_cli_misuse(&hs_cli_workload, "unknown action '%s'", argv[1]);
}

const hs_cli_cmd hs_cli_workload = {
    .name = "workload",
    .summary = "show a workload's sampled request DAG; check rates against the papers",
    .usage =
        "usage: hetsoc workload show WL [--hw HW] [--seed N] [--class NAME]\n"
        "       hetsoc workload check\n"
        "show: draws the first request (of class NAME) of workload WL (a built-in name or a\n"
        "  path) from seed N (default 1), runs it to reveal every stage, and prints each stage:\n"
        "  kind, model, format, shape (prompt -> output tokens, batch x sequence), inputs,\n"
        "  work items, GFLOP and MB, and with --hw HW the milliseconds it takes alone on each\n"
        "  PU of the profile ('-': the PU cannot run it).\n"
        "check: predicted vs published single-request prefill and decode rates.\n",
    .run = workload_run,
};
