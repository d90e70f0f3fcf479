/* The results schema (sim/engine/schema.h): every column appears in every
 * output it belongs to -- the single-run JSON, the HDF5 tables (whose member
 * names the CSV header prints) -- and experiments/README.md's "Results
 * columns" table is `hetsoc summary --schema`'s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "experiments/results/h5io.h"

/* The text f received (malloc'd). */
static char *slurp(FILE *f)
{
    long n = ftell(f);
    char *s = malloc((size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Each column of set appears `times` times as a JSON key. */
static void expect_keys(const char *json, hs_schema_record set, size_t times)
{
    const hs_column_set *s = hs_schema(set);
    char key[96];
    for (size_t i = 0; i < s->n; i++) {
        snprintf(key, sizeof key, "\"%s\": ", s->cols[i].field);
        if (count(json, key) < times)
            fail_msg("JSON lacks %s (%zu times expected): %s", key, times, json);
    }
}

static hs_run_metrics sample_metrics(void)
{
    static hs_class_metrics classes[2] = {{.name = "reactive"}, {.name = "proactive"}};
    static hs_pu_metrics pus[3] = {{.name = "cpu"}, {.name = "gpu"}, {.name = "npu"}};
    static hs_dram_metrics dram[2] = {{.name = "dram"}, {.name = "hbm"}};
    return (hs_run_metrics){.nclasses = 2, .classes = classes, .npus = 3, .pus = pus, .ndram = 2, .dram = dram};
}

static void test_json_has_every_column(void **state)
{
    (void)state;
    hs_run_metrics m = sample_metrics();
    FILE *f = tmpfile();
    hs_run_metrics_json(&m, f);
    char *json = slurp(f);
    expect_keys(json, HS_SCHEMA_LATENCY, 1 + m.nclasses);
    expect_keys(json, HS_SCHEMA_RUN, 1);
    expect_keys(json, HS_SCHEMA_COUNTERS, 1);
    expect_keys(json, HS_SCHEMA_PU, m.npus);
    expect_keys(json, HS_SCHEMA_DRAM, m.ndram);
    free(json);
}

/* The CSV header of a table of the file at path. */
static char *csv_header(const char *path, const char *table)
{
    hs_err err;
    hs_h5 *h = hs_h5_open(path, &err);
    if (!h)
        fail_msg("%s", err.msg);
    FILE *f = tmpfile();
    assert_int_equal(hs_h5_csv(h, table, NULL, f, &err), 0);
    hs_h5_close(h, NULL);
    char *s = slurp(f);
    *strchr(s, '\n') = 0;
    return s;
}

/* prefix, then each column of set in order, comma-separated. */
static void expect_header(const char *header, const char *prefix, hs_schema_record set)
{
    const hs_column_set *s = hs_schema(set);
    char want[2048];
    size_t n = (size_t)snprintf(want, sizeof want, "%s", prefix);
    for (size_t i = 0; i < s->n; i++)
        n += (size_t)snprintf(want + n, sizeof want - n, ",%s", s->cols[i].column);
    const char *at = strstr(header, want[0] == ',' ? want + 1 : want);
    if (!at)
        fail_msg("header '%s' lacks '%s'", header, want);
}

static void test_hdf5_and_csv_have_every_column(void **state)
{
    (void)state;
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/hs_schema_XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char *sweep[] = {"workload.rate"};
    bool numeric[] = {true};
    hs_h5_meta meta = {.version = "t", .experiment_yaml = "", .experiment = "t", .baseline = "p", .shard = "",
                       .runs_total = 1, .kernels = true, .nsweep = 1, .sweep = sweep, .numeric = numeric};
    hs_err err;
    hs_h5 *h = hs_h5_create(path, &meta, &err);
    assert_non_null(h);
    hs_run_record r;
    hs_record_init(&r);
    r.run = 0;
    r.ok = true;
    r.message = strdup("");
    r.values = calloc(1, sizeof *r.values);
    r.nvalues = 1;
    r.values[0].numeric = true;
    assert_int_equal(hs_record_set_identity(&r, "p", "hw", "wl", "sim", 1), 0);
    hs_run_metrics m = sample_metrics();
    assert_int_equal(hs_record_set_metrics(&r, &m), 0);
    hs_request_row q = {.request = 0, .cls = "reactive"};
    hs_kernel_row k = {.work = 1, .request = UINT64_MAX, .stage = "batch", .slot = "attn", .pu = 7};
    assert_int_equal(hs_record_add_request_row(&r, &q), 0);
    assert_int_equal(hs_record_add_kernel_row(&r, &k, NULL), 0);
    assert_int_equal(hs_h5_append(h, &r, &err), 0);
    assert_int_equal(hs_h5_close(h, &err), 0);
    hs_record_clear(&r);

    char *runs = csv_header(path, "runs");
    expect_header(runs, "workload.rate", HS_SCHEMA_LATENCY);
    /* The run columns follow the last latency column. */
    const hs_column_set *lat = hs_schema(HS_SCHEMA_LATENCY);
    expect_header(runs, lat->cols[lat->n - 1].column, HS_SCHEMA_RUN);
    const struct {
        const char *table;
        hs_schema_record set;
    } rows[] = {{"pus", HS_SCHEMA_PU}, {"requests", HS_SCHEMA_REQUEST}, {"kernels", HS_SCHEMA_KERNEL},
                {"dram", HS_SCHEMA_DRAM}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *header = csv_header(path, rows[i].table);
        expect_header(header, "run", rows[i].set);
        free(header);
    }
    char *classes = csv_header(path, "classes");
    expect_header(classes, "class", HS_SCHEMA_LATENCY);
    free(classes);
    free(runs);
    remove(path);
}

/* The lines of experiments/README.md from the table after "## Results
 * columns" to its end. */
static char *readme_table(void)
{
    FILE *f = fopen(HS_SOURCE_DIR "/experiments/README.md", "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    char *all = slurp(f);
    char *sec = strstr(all, "\n## Results columns\n");
    assert_non_null(sec);
    char *start = strstr(sec, "\n|");
    assert_non_null(start);
    start++;
    char *end = start;
    while (*end == '|')
        end = strchr(end, '\n') + 1;
    *end = 0;
    char *table = strdup(start);
    free(all);
    return table;
}

static void test_readme_table_is_the_schema(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    hs_schema_markdown(f);
    char *want = slurp(f);
    char *got = readme_table();
    assert_string_equal(got, want);
    free(want);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_has_every_column),
        cmocka_unit_test(test_hdf5_and_csv_have_every_column),
        cmocka_unit_test(test_readme_table_is_the_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
