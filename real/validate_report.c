/* hetsoc real/: the report of `hetsoc validate` -- its JSON object and its
 * readable table, with the breakdown of the kernel error by op class and
 * shape. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "real/real.h"

/* The JSON cut of the shapes: enough to find where the model is off,
 * short enough to read (chosen). */
enum { JSON_SHAPES = 32 };

static void num(FILE *f, const char *key, double v, bool last)
{
    if (isfinite(v))
        fprintf(f, "\"%s\": %.6g%s", key, v, last ? "" : ", ");
    else
        fprintf(f, "\"%s\": null%s", key, last ? "" : ", ");
}

static void class_json(const hs_real_kernel_class *c, bool shape, FILE *f)
{
    fprintf(f, "{\"op\": \"%s\", \"pu\": \"%s\", ", c->op, c->pu);
    if (shape) {
        num(f, "flops", c->flops, false);
        num(f, "bytes", c->bytes, false);
    }
    fprintf(f, "\"kernels\": %zu, ", c->kernels);
    num(f, "sim_us", 1e6 * c->sim_s, false);
    num(f, "real_us", 1e6 * c->real_s, false);
    num(f, "median_error", c->median_error, false);
    num(f, "median_abs_error", c->median_abs_error, false);
    num(f, "impact_s", c->impact_s, true);
    fputc('}', f);
}

static void classes_json(const char *key, const hs_real_kernel_class *c, size_t n, bool shape, FILE *f)
{
    fprintf(f, "\"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        class_json(&c[i], shape, f);
    }
    fputc(']', f);
}

void hs_real_validation_json(const hs_real_validation *v, const char *extra, FILE *f)
{
    fputc('{', f);
    if (extra)
        fputs(extra, f);
    num(f, "mape_request_latency", v->mape_request_latency, false);
    num(f, "mape_request_latency_ci", v->mape_request_latency_ci, false);
    num(f, "mape_request_latency_median", v->mape_request_latency_median, false);
    fputs("\"mape_request_latency_reps\": [", f);
    for (int i = 0; i < v->repeat; i++)
        fprintf(f, "%s%.6g", i ? ", " : "", v->mape_request_latency_reps[i]);
    fputs("], ", f);
    num(f, "noise_floor_request_latency", v->noise_floor_request_latency, false);
    num(f, "noise_floor_request_latency_ci", v->noise_floor_request_latency_ci, false);
    num(f, "mape_kernel_latency", v->mape_kernel_latency, false);
    num(f, "median_kernel_error", v->median_kernel_error, false);
    num(f, "noise_floor_kernel_error", v->noise_floor_kernel_error, false);
    num(f, "noise_floor_kernel_error_ci", v->noise_floor_kernel_error_ci, false);
    num(f, "makespan_error", v->makespan_error, false);
    num(f, "bias_request_latency", v->bias_request_latency, false);
    fprintf(f, "\"requests\": %zu, \"kernels\": %zu, \"unpaired_kernels\": %zu, ", v->requests, v->kernels,
            v->unpaired_kernels);
    num(f, "sim_makespan_s", v->sim_makespan_s, false);
    num(f, "real_makespan_s", v->real_makespan_s, false);
    num(f, "sim_mean_latency_s", v->sim_mean_latency_s, false);
    num(f, "real_mean_latency_s", v->real_mean_latency_s, false);
    fprintf(f, "\"runs\": %d, \"repeat\": %d, ", v->runs, v->repeat);
    num(f, "overhead_us_per_kernel", v->stats.overhead_us, false);
    num(f, "overhead_cpu_us_per_kernel", v->stats.overhead_cpu_us, false);
    num(f, "enqueue_us_per_kernel", v->stats.enqueue_us, false);
    classes_json("kernel_classes", v->classes, v->nclasses, false, f);
    fputs(", ", f);
    classes_json("kernel_shapes", v->shapes, v->nshapes < JSON_SHAPES ? v->nshapes : JSON_SHAPES, true, f);
    fputs("}\n", f);
}

/* "12.3% +- 4.5%", or "12.3%" without an interval. */
static const char *pct_ci(double x, double ci, char *buf, size_t size)
{
    if (isfinite(ci))
        snprintf(buf, size, "%.1f%% +- %.1f%%", 100 * x, 100 * ci);
    else
        snprintf(buf, size, "%.1f%%", 100 * x);
    return buf;
}

static void class_row(const hs_real_kernel_class *c, bool shape, FILE *f)
{
    char what[96];
    if (shape)
        snprintf(what, sizeof what, "%s on %s, %.3g MFLOP %.3g KB", c->op, c->pu, c->flops / 1e6, c->bytes / 1e3);
    else
        snprintf(what, sizeof what, "%s on %s", c->op, c->pu);
    fprintf(f, "    %-40s %7zu %9.1f %9.1f %+8.1f%% %7.1f%% %+9.4f\n", what, c->kernels, 1e6 * c->sim_s,
            1e6 * c->real_s, 100 * c->median_error, 100 * c->median_abs_error, c->impact_s);
}

static void classes_print(const char *title, const hs_real_kernel_class *c, size_t n, bool shape, FILE *f)
{
    fprintf(f, "  %s\n    %-40s %7s %9s %9s %9s %8s %9s\n", title, "", "kernels", "sim us", "real us", "error",
            "|error|", "sum s");
    for (size_t i = 0; i < n; i++)
        class_row(&c[i], shape, f);
}

void hs_real_validation_print(const hs_real_validation *v, size_t top, FILE *f)
{
    char a[64], b[64], c[64];   /* one buffer per pct_ci in a call: they are all read after */
    fprintf(f, "  %-28s %10s %10s\n", "", "sim", "real");
    fprintf(f, "  %-28s %10.4f %10.4f\n", "mean request latency (s)", v->sim_mean_latency_s, v->real_mean_latency_s);
    fprintf(f, "  %-28s %10.4f %10.4f\n", "makespan (s)", v->sim_makespan_s, v->real_makespan_s);
    fprintf(f, "  request latency error (MAPE)  %s  (%zu requests; mean signed %+.1f%%)\n",
            pct_ci(v->mape_request_latency, v->mape_request_latency_ci, a, sizeof a), v->requests,
            100 * v->bias_request_latency);
    if (v->repeat >= 2)
        fprintf(f, "  median over repetitions       %6.1f%%\n", 100 * v->mape_request_latency_median);
    if (v->repeat >= 2)
        fprintf(f, "  noise floor (real vs real)    %s  (%d repetitions: error %s against a noise floor of %s)\n",
                pct_ci(v->noise_floor_request_latency, v->noise_floor_request_latency_ci, b, sizeof b), v->repeat,
                pct_ci(v->mape_request_latency, NAN, a, sizeof a),
                pct_ci(v->noise_floor_request_latency, NAN, c, sizeof c));
    fprintf(f, "  kernel latency error (MAPE)   %6.1f%%  (median %.1f%%; %zu kernels paired, %zu unpaired)\n",
            100 * v->mape_kernel_latency, 100 * v->median_kernel_error, v->kernels, v->unpaired_kernels);
    if (v->repeat >= 2)
        fprintf(f, "  kernel noise floor            %s  (median kernel error %s against a noise floor of %s)\n",
                pct_ci(v->noise_floor_kernel_error, v->noise_floor_kernel_error_ci, b, sizeof b),
                pct_ci(v->median_kernel_error, NAN, a, sizeof a),
                pct_ci(v->noise_floor_kernel_error, NAN, c, sizeof c));
    fprintf(f, "  makespan error                %6.1f%%\n", 100 * v->makespan_error);
    fprintf(f, "  scheduling overhead           %6.1f us a dispatched kernel (%.1f us CPU, enqueue %.1f us)\n",
            v->stats.overhead_us, v->stats.overhead_cpu_us, v->stats.enqueue_us);
    if (v->nclasses == 0)
        return;
    fputs("  kernel error by op class (error = median (sim - real) / real: negative, the model is optimistic;\n"
          "  sum s = summed sim - real time, largest first)\n", f);
    classes_print("op class", v->classes, v->nclasses, false, f);
    classes_print("shapes with the largest time error", v->shapes, v->nshapes < top ? v->nshapes : top, true, f);
}
