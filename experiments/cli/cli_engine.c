/* hetsoc: engine presets on the command line -- `hetsoc list engines` (the
 * presets and the profiles they cover) and `hetsoc hw engines [NAME...]`
 * (every figure refitted with the model: the stored efficiency, the fit,
 * the published rate and the rate predicted with the stored value). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments/cli/cli_hw.h"
#include "workloads/workloads.h"

/* "snapdragon-8gen3 (gpu, cpu)": each profile with figures, its PUs. */
static void coverage(const hs_engine *e, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < e->nfigs && o < size; i++) {
        const hs_engine_fig *f = &e->figs[i];
        bool first_of_profile = true;
        for (size_t j = 0; j < i; j++)
            first_of_profile &= strcmp(e->figs[j].profile, f->profile) != 0;
        if (first_of_profile)
            o += (size_t)snprintf(buf + o, size - o, "%s%s %s-%s", o ? "; " : "", f->profile, f->pu,
                                  f->kind == HS_EFF_COMPUTE ? "compute" : "memory");
        else
            o += (size_t)snprintf(buf + o, size - o, ", %s-%s", f->pu,
                                  f->kind == HS_EFF_COMPUTE ? "compute" : "memory");
    }
    for (size_t i = 0; i < e->nas_profile && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s (as the profile)", o ? "; " : "", e->as_profile[i]);
    if (!buf[0])
        snprintf(buf, size, "no figures: every profile unchanged");
}

typedef struct list_ctx {
    FILE *out;
    int rc;
} list_ctx;

static void list_one(const char *name, const char *path, void *vctx)
{
    list_ctx *c = vctx;
    if (!path) {
        fprintf(c->out, "%-13s the profile's own calibration (no change)\n", name);
        return;
    }
    hs_err err;
    hs_engine *e = hs_engine_load(path, &err);
    if (!e) {
        fprintf(c->out, "%-13s (does not load: %s)\n", name, err.msg);
        c->rc = HS_EXIT_FAIL;
        return;
    }
    char cov[1024];
    coverage(e, cov, sizeof cov);
    fprintf(c->out, "%-13s %s\n%13s covers: %s\n", name, e->description, "", cov);
    hs_engine_free(e);
}

int hs_cli_list_engines(FILE *out)
{
    list_ctx c = {out, HS_EXIT_OK};
    hs_engine_names(list_one, &c);
    return c.rc;
}

/* ---- hetsoc hw engines: the fits. --------------------------------------- */

/* The stored value is the fit rounded to 3 decimals. */
static bool matches(double stored, double fitted)
{
    return fabs(stored - fitted) <= 0.0005 + 1e-9;
}

/* Prints e's figures refitted; returns how many differ from their fit or
 * fail to fit (the error printed). */
static int fit_engine(const hs_engine *e)
{
    int off = 0;
    for (size_t i = 0; i < e->nfigs; i++) {
        const hs_engine_fig *f = &e->figs[i];
        double fitted, at;
        hs_err err;
        if (hs_engine_fit(f, &fitted, &at, &err) < 0) {
            hs_err_print(&err, stderr);
            off++;
            continue;
        }
        bool ok = matches(f->value, fitted);
        off += !ok;
        printf("%-13s %-17s %-4s %-18s %6.3f %8.4f %9.4g %9.4g %+6.1f%%  %s %s@%s %s, %" PRId64
               " tokens: %s\n",
               e->name, f->profile, f->pu, f->kind == HS_EFF_COMPUTE ? "compute_efficiency" : "memory_efficiency",
               f->value, fitted, f->rate, at, 100 * (at / f->rate - 1),
               !ok ? "REFIT" : fitted >= 1 && at < f->rate ? "capped" : "ok", f->model, f->quant,
               f->granularity, f->prompt, f->source);
    }
    return off;
}

static int fit_one(const char *name, int *off)
{
    hs_err err;
    hs_engine *e = hs_engine_load(name, &err);
    if (!e) {
        hs_err_print(&err, stderr);
        return -1;
    }
    *off += fit_engine(e);
    hs_engine_free(e);
    return 0;
}

typedef struct fit_all_ctx {
    int off, rc;
} fit_all_ctx;

static void fit_each(const char *name, const char *path, void *vctx)
{
    (void)name;
    fit_all_ctx *c = vctx;
    if (path && fit_one(path, &c->off) < 0)
        c->rc = -1;
}

int hs_cli_hw_engines(int argc, char **argv)
{
    printf("%-13s %-17s %-4s %-18s %6s %8s %9s %9s %7s  %s\n", "engine", "profile", "pu", "efficiency",
           "stored", "fitted", "published", "predicted", "error", "verdict, figure");
    fit_all_ctx c = {0, 0};
    if (argc <= 1)
        hs_engine_names(fit_each, &c);
    for (int i = 1; i < argc && c.rc == 0; i++)
        if (strcmp(argv[i], HS_ENGINE_PROFILE_NAME) != 0 && fit_one(argv[i], &c.off) < 0)
            c.rc = -1;
    if (c.rc < 0)
        return HS_EXIT_FAIL;
    printf("\n%d stored efficienc%s differ%s from the fit or do%s not fit (rates in tok/s; predicted: with the\n"
           "stored value; capped: the figure is beyond the profile at efficiency 1).\n",
           c.off, c.off == 1 ? "y" : "ies", c.off == 1 ? "s" : "", c.off == 1 ? "es" : "");
    return c.off ? HS_EXIT_FAIL : HS_EXIT_OK;
}
