/* Tests of the summary table: means and Student-t 95% confidence intervals
 * across seeds, the speed-up against the baseline within each group of the
 * other axes, failed runs, and which axes become columns. */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "experiments/results/run_summary.h"

static void add_run(hs_run_record *r, const char *policy, double rate, int64_t seed, double latency, bool ok)
{
    hs_record_init(r);
    hs_record_set_identity(r, policy, "soc", "wl", "sim", seed);
    r->nvalues = 1;
    r->values = calloc(1, sizeof *r->values);
    r->values[0] = (hs_rec_value){.numeric = true, .num = rate};
    r->ok = ok;
    r->message = strdup(ok ? "" : "error: boom");
    if (ok) {
        r->m.mean_latency_s = latency;
        r->m.p99_latency_s = 2 * latency;
        r->m.throughput_rps = 1 / latency;
        r->m.energy_j = 100;
    }
}

static char *table(hs_run_record *runs, size_t n, const char *baseline)
{
    char *names[] = {"workload.arrival.rate"};
    bool numeric[] = {true};
    hs_h5_meta m = {.experiment = "t", .baseline = (char *)baseline, .shard = "", .runs_total = (int64_t)n,
                    .nsweep = 1, .sweep = names, .numeric = numeric};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    hs_summary_table(&m, runs, n, f);
    fclose(f);
    return text;
}

static void expect_line(const char *text, const char *want)
{
    /* Compare lines with runs of spaces squeezed to one. */
    char *copy = strdup(text);
    bool found = false;
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line && !found;
         line = strtok_r(NULL, "\n", &save)) {
        char sq[1024];
        size_t k = 0;
        for (const char *p = line; *p && k + 1 < sizeof sq; p++)
            if (*p != ' ' || (k && sq[k - 1] != ' '))
                sq[k++] = *p;
        while (k && sq[k - 1] == ' ')
            k--;
        sq[k] = 0;
        found = strcmp(sq, want) == 0;
    }
    free(copy);
    if (!found)
        fail_msg("no line '%s' in:\n%s", want, text);
}

static void test_ci_and_speedup(void **state)
{
    (void)state;
    hs_run_record runs[12];
    size_t n = 0;
    /* rate 1: base latencies 1, 2, 3 (mean 2, sd 1); fast: 0.5, 1, 1.5. */
    for (int s = 0; s < 3; s++)
        add_run(&runs[n++], "base", 1, s + 1, 1 + s, true);
    for (int s = 0; s < 3; s++)
        add_run(&runs[n++], "fast", 1, s + 1, 0.5 * (1 + s), true);
    /* rate 2: base 4 everywhere; fast fails once. */
    for (int s = 0; s < 3; s++)
        add_run(&runs[n++], "base", 2, s + 1, 4, true);
    for (int s = 0; s < 3; s++)
        add_run(&runs[n++], "fast", 2, s + 1, 1, s != 1);
    char *t = table(runs, n, "base");
    /* t(0.975, 2) = 4.302653; half-width = t * 1 / sqrt(3) = 2.484. */
    expect_line(t, "experiment t: 12 runs, 1 failed; seeds 1, 2, 3");
    expect_line(t, "hw soc, workload wl");
    expect_line(t, "workload.arrival.rate policy seeds mean latency s p99 latency s throughput req/s energy J speed-up");
    expect_line(t, "1 base 3 2.000 ± 2.484 4.000 ± 4.968 0.6111 ± 0.8619 100.0 ± 0.0 1.00x");
    expect_line(t, "1 fast 3 1.000 ± 1.242 2.000 ± 2.484 1.222 ± 1.724 100.0 ± 0.0 2.00x");
    expect_line(t, "2 base 3 4.000 ± 0.000 8.000 ± 0.000 0.2500 ± 0.0000 100.0 ± 0.0 1.00x");
    expect_line(t, "2 fast 2 of 3 ok 1.000 ± 0.000 2.000 ± 0.000 1.000 ± 0.000 100.0 ± 0.0 4.00x");
    free(t);
    /* Without its baseline among the policies: no speed-ups. */
    t = table(runs, 3, "nope");
    expect_line(t, "base 3 2.000 ± 2.484 4.000 ± 4.968 0.6111 ± 0.8619 100.0 ± 0.0 -");
    free(t);
    /* One seed: no interval. */
    t = table(runs, 1, "base");
    expect_line(t, "base 1 1.000 2.000 1.000 100.0 1.00x");
    free(t);
    for (size_t i = 0; i < n; i++)
        hs_record_clear(&runs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ci_and_speedup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
