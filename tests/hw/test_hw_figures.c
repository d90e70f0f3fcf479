/* The published figures (hw/published/figures.yaml): the loader and its
 * errors, and the references to them -- every `[fit: ID, ...]` in a
 * profile, preset, model or workload file names a figure that exists and
 * is tagged fit (no figure is both fit and held-out), and every check row
 * names a figure. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw/hw.h"
#include "tests/yaml_test.h"
#include "workloads/workloads.h"

static hs_figures *builtin(void)
{
    hs_err err;
    hs_figures *f = hs_figures_load(NULL, &err);
    if (!f)
        fail_msg("%s", err.msg);
    return f;
}

static void test_builtin_loads(void **state)
{
    (void)state;
    hs_figures *f = builtin();
    size_t held_out = 0;
    for (size_t i = 0; i < hs_figures_count(f); i++)
        held_out += hs_figures_at(f, i)->tag == HS_FIG_HELD_OUT;
    assert_true(hs_figures_count(f) >= 40);
    assert_true(held_out >= 8);
    const hs_figure *t3 = hs_figures_find(f, "hero-t3-c1-all");
    assert_non_null(t3);
    assert_int_equal(t3->tag, HS_FIG_HELD_OUT);
    assert_true(t3->value == 3.82);
    const hs_figure *base = hs_figures_find(f, "hero-t3-c1-ayo");   /* the baseline rows are fit */
    assert_non_null(base);
    assert_int_equal(base->tag, HS_FIG_FIT);
    hs_figures_free(f);
}

/* Loads text as a figures file; returns the error message ("" on success). */
static const char *load_text(const char *text)
{
    static hs_err err;
    char path[512];
    yaml_file("hs_figures", text, path, sizeof path);
    hs_figures *f = hs_figures_load(path, &err);
    remove(path);
    if (f)
        err.msg[0] = '\0';
    hs_figures_free(f);
    return err.msg;
}

#define HEAD "papers: {p: \"a paper\"}\nfigures:\n"

static void expect_error(const char *text, const char *where, const char *what)
{
    const char *msg = load_text(text);
    if (!strstr(msg, where) || !strstr(msg, what))
        fail_msg("expected '%s' ... '%s', got '%s'", where, what, msg);
}

static void test_loader_errors(void **state)
{
    (void)state;
    assert_string_equal(load_text(HEAD "  - {id: a, paper: p, where: T1, value: 1, unit: s, tag: fit, sets: x}\n"),
                        "");
    expect_error(HEAD "  - {id: a, paper: q, where: T1, value: 1, unit: s, tag: fit}\n", ":3:20: error:",
                 "unknown paper 'q'");
    expect_error(HEAD "  - {id: a, paper: p, where: T1, value: 1, unit: s, tag: fitted}\n", ":3:", "tag");
    expect_error(HEAD "  - {id: a, paper: p, where: T1, value: 1, unit: s, tag: held-out, sets: x}\n", ":3:",
                 "not both");
    expect_error(HEAD "  - {id: a, paper: p, where: T1, value: 1, unit: s, tag: fit}\n"
                      "  - {id: a, paper: p, where: T2, value: 2, unit: s, tag: held-out}\n",
                 ":4:10: error:", "already defined at line 3");
    expect_error(HEAD "  - {id: A b, paper: p, where: T1, value: 1, unit: s, tag: fit}\n", ":3:", "lowercase");
    expect_error(HEAD "  - {id: a, paper: p, where: T1, value: x, unit: s, tag: fit}\n", ":3:", "'value'");
    expect_error(HEAD "  - {id: a, paper: p, where: T1, unit: s, tag: fit}\n", ":3:", "missing key 'value'");
    expect_error(HEAD "  - {id: a, paper: p, wher: T1, value: 1, unit: s, tag: fit}\n", ":3:",
                 "did you mean 'where'");
}

/* ---- References in the data files. ------------------------------------- */

typedef struct scan {
    const hs_figures *set;
    size_t refs;
} scan;

/* Checks every `[fit: A, B]` of line (number no) of file path. */
static void check_line(scan *s, const char *path, int no, const char *line)
{
    for (const char *p = strstr(line, "[fit:"); p; p = strstr(p, "[fit:")) {
        p += 5;
        const char *end = strchr(p, ']');
        if (!end)
            fail_msg("%s:%d: '[fit:' without ']'", path, no);
        char ids[1024];
        snprintf(ids, sizeof ids, "%.*s", (int)(end - p), p);
        for (char *save = NULL, *id = strtok_r(ids, ", ", &save); id; id = strtok_r(NULL, ", ", &save)) {
            const hs_figure *f = hs_figures_find(s->set, id);
            if (!f)
                fail_msg("%s:%d: figure '%s' is not in hw/published/figures.yaml", path, no, id);
            if (f->tag != HS_FIG_FIT)
                fail_msg("%s:%d: a parameter is fitted to '%s', which is tagged held-out", path, no, id);
            s->refs++;
        }
    }
}

static void scan_file(scan *s, const char *path)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[4096];
    for (int no = 1; fgets(line, sizeof line, fp); no++)
        check_line(s, path, no, line);
    fclose(fp);
}

static void scan_dir(scan *s, const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", HS_TEST_SOURCE_DIR, dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) {
            snprintf(path, sizeof path, "%s/%s/%s", HS_TEST_SOURCE_DIR, dir, e->d_name);
            scan_file(s, path);
        }
    }
    closedir(d);
}

static void test_fit_references_exist_and_are_fit(void **state)
{
    (void)state;
    hs_figures *f = builtin();
    scan s = {.set = f};
    static const char *const dirs[] = {"hw", "hw/engines", "workloads", "workloads/models", "workloads/workflows"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        scan_dir(&s, dirs[i]);
    assert_true(s.refs >= 30);
    hs_figures_free(f);
}

/* Every check row names a figure, and its tag is the figure's. */
static void check_rows(const hs_figures *f, hs_check_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const hs_figure *fig = hs_figures_find(f, rows[i].figure);
        assert_non_null(fig);
        assert_string_equal(rows[i].tag, hs_fig_tag_name(fig->tag));
        assert_int_equal(rows[i].asserted, fig->tag == HS_FIG_FIT);
    }
    free(rows);
}

static void test_check_rows_are_tagged(void **state)
{
    (void)state;
    hs_figures *f = builtin();
    hs_check_row *rows;
    size_t n;
    hs_err err;
    if (hs_hw_check(&rows, &n, &err) < 0)
        fail_msg("%s", err.msg);
    check_rows(f, rows, n);
    if (hs_workload_check(&rows, &n, &err) < 0)
        fail_msg("%s", err.msg);
    check_rows(f, rows, n);
    hs_figures_free(f);
}

static void test_summary(void **state)
{
    (void)state;
    hs_check_row rows[4] = {
        {.what = "a", .tag = "held-out", .published = 10, .predicted = 11, .pass = true},
        {.what = "b", .tag = "held-out", .published = 10, .predicted = 5},
        {.what = "c", .tag = "held-out", .published = 10, .predicted = 10.2, .pass = true},
        {.what = "d", .tag = "fit", .published = 10, .predicted = 30},
    };
    hs_check_summary s;
    hs_check_summarise(rows, 4, "held-out", &s);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.pass, 2);
    assert_float_equal(s.median_abs, 0.1, 1e-12);
    assert_float_equal(s.worst, -0.5, 1e-12);
    assert_string_equal(s.worst_what, "b");
    hs_check_summarise(rows, 4, "fit", &s);
    assert_int_equal(s.n, 1);
    assert_float_equal(s.worst, 2.0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_loads),
        cmocka_unit_test(test_loader_errors),
        cmocka_unit_test(test_fit_references_exist_and_are_fit),
        cmocka_unit_test(test_check_rows_are_tagged),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
