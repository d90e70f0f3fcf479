/* Tests of experiment files: the expansion (grid, zip, seeds) with exact run
 * lists, the per-run spec (sweep values applied with --set semantics),
 * run keys, paths resolved against the experiment's folder, built-in
 * names, and the position of every kind of error. */
#define _GNU_SOURCE
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "experiments/sweep/expand.h"

static hs_experiment *parse_ok(const char *text)
{
    hs_err err = {{0}};
    hs_experiment *e = hs_experiment_parse(text, strlen(text), "exp.yaml", &err);
    if (!e)
        fail_msg("cannot parse: %s", err.msg);
    return e;
}

/* The error of a bad experiment must be exactly want. */
static void expect_error(const char *text, const char *want)
{
    hs_err err = {{0}};
    hs_experiment *e = hs_experiment_parse(text, strlen(text), "exp.yaml", &err);
    if (e) {
        hs_experiment_free(e);
        fail_msg("parsed, expected: %s", want);
    }
    if (strcmp(err.msg, want) != 0)
        fail_msg("got:    %s\nwanted: %s", err.msg, want);
}

/* The same for messages that go on with another module's wording. */
static void expect_error_prefix(const char *text, const char *want)
{
    hs_err err = {{0}};
    hs_experiment *e = hs_experiment_parse(text, strlen(text), "exp.yaml", &err);
    if (e) {
        hs_experiment_free(e);
        fail_msg("parsed, expected: %s", want);
    }
    if (strncmp(err.msg, want, strlen(want)) != 0)
        fail_msg("got:    %s\nwanted: %s...", err.msg, want);
}

/* "policy/hw/workload/seed/v1/v2..." of run i. */
static void run_line(const hs_experiment *e, size_t i, char *buf, size_t n)
{
    hs_run_record r;
    hs_record_init(&r);
    hs_err err;
    if (hs_experiment_identity(e, i, &r, false, &err) != 0)
        fail_msg("%s", err.msg);
    size_t pos = (size_t)snprintf(buf, n, "%s/%s/%s/%lld", r.policy, r.hw, r.workload, (long long)r.seed);
    for (size_t a = 0; a < r.nvalues && pos < n; a++) {
        if (r.values[a].numeric)
            pos += (size_t)snprintf(buf + pos, n - pos, "/%g", r.values[a].num);
        else
            pos += (size_t)snprintf(buf + pos, n - pos, "/%s", r.values[a].text);
    }
    hs_record_clear(&r);
}

static void expect_runs(const hs_experiment *e, const char *const *want, size_t n)
{
    assert_int_equal(e->nruns, n);
    for (size_t i = 0; i < n; i++) {
        char got[512];
        run_line(e, i, got, sizeof got);
        if (strcmp(got, want[i]) != 0)
            fail_msg("run %zu: got %s, wanted %s", i, got, want[i]);
    }
}

static const char *value_at(const hs_experiment *e, size_t run, const char *path)
{
    static char buf[256];
    hs_err err;
    hs_node *spec = hs_experiment_spec(e, run, &err);
    if (!spec)
        fail_msg("%s", err.msg);
    const hs_node *v = hs_node_at_path(spec, path);
    snprintf(buf, sizeof buf, "%s", v && v->kind == HS_NODE_SCALAR ? v->scalar : "(none)");
    hs_node_free(spec);
    return buf;
}

#define BASE "hw: generic-1pu\nworkload: synthetic-mm1\n"

/* ---- Expansion ------------------------------------------------------------ */
static void test_grid_order(void **state)
{
    (void)state;
    hs_experiment *e = parse_ok(BASE "policy: [fifo, eft]\n"
                                     "seeds: [7, 9]\n"
                                     "sweep:\n"
                                     "  workload.arrival.rate: [0.5, 0.8]\n"
                                     "  workload.service.dist: [exponential, deterministic]\n");
    static const char *const want[] = {
        "fifo/generic-1pu/synthetic-mm1/7/0.5/exponential",
        "fifo/generic-1pu/synthetic-mm1/9/0.5/exponential",
        "fifo/generic-1pu/synthetic-mm1/7/0.5/deterministic",
        "fifo/generic-1pu/synthetic-mm1/9/0.5/deterministic",
        "fifo/generic-1pu/synthetic-mm1/7/0.8/exponential",
        "fifo/generic-1pu/synthetic-mm1/9/0.8/exponential",
        "fifo/generic-1pu/synthetic-mm1/7/0.8/deterministic",
        "fifo/generic-1pu/synthetic-mm1/9/0.8/deterministic",
        "eft/generic-1pu/synthetic-mm1/7/0.5/exponential",
        "eft/generic-1pu/synthetic-mm1/9/0.5/exponential",
        "eft/generic-1pu/synthetic-mm1/7/0.5/deterministic",
        "eft/generic-1pu/synthetic-mm1/9/0.5/deterministic",
        "eft/generic-1pu/synthetic-mm1/7/0.8/exponential",
        "eft/generic-1pu/synthetic-mm1/9/0.8/exponential",
        "eft/generic-1pu/synthetic-mm1/7/0.8/deterministic",
        "eft/generic-1pu/synthetic-mm1/9/0.8/deterministic",
    };
    expect_runs(e, want, sizeof want / sizeof want[0]);
    assert_int_equal(e->naxes, 2);
    assert_true(e->axes[0].numeric);
    assert_false(e->axes[1].numeric);
    /* The values land in the run's spec, with the seed. */
    assert_string_equal(value_at(e, 6, "workload.arrival.rate"), "0.8");
    assert_string_equal(value_at(e, 6, "workload.service.dist"), "deterministic");
    assert_string_equal(value_at(e, 6, "seed"), "7");
    assert_string_equal(value_at(e, 6, "policy.name"), "fifo");
    assert_string_equal(e->baseline, "fifo");   /* the first policy by default */
    hs_experiment_free(e);
}

static void test_zip(void **state)
{
    (void)state;
    hs_experiment *e = parse_ok(BASE "policy: fifo\n"
                                     "set: {workload.warmup: 0}\n"
                                     "sweep:\n"
                                     "  workload.requests: [100, 200]\n"
                                     "  zip:\n"
                                     "    workload.arrival.rate: [0.1, 0.2, 0.3]\n"
                                     "    workload.service.mean: [1, 2, 3]\n");
    static const char *const want[] = {
        "fifo/generic-1pu/synthetic-mm1/1/100/0.1/1", "fifo/generic-1pu/synthetic-mm1/1/100/0.2/2",
        "fifo/generic-1pu/synthetic-mm1/1/100/0.3/3", "fifo/generic-1pu/synthetic-mm1/1/200/0.1/1",
        "fifo/generic-1pu/synthetic-mm1/1/200/0.2/2", "fifo/generic-1pu/synthetic-mm1/1/200/0.3/3",
    };
    expect_runs(e, want, 6);
    assert_int_equal(e->ngroups, 2);
    hs_experiment_free(e);

    /* Several zip groups: each is one grid dimension. */
    e = parse_ok(BASE "policy: fifo\n"
                      "sweep:\n"
                      "  zip:\n"
                      "    - {workload.arrival.rate: [0.1, 0.2], workload.service.mean: [1, 2]}\n"
                      "    - {workload.requests: [10, 20, 30], workload.warmup: [1, 2, 3]}\n");
    assert_int_equal(e->nruns, 6);
    char got[256];
    run_line(e, 5, got, sizeof got);
    assert_string_equal(got, "fifo/generic-1pu/synthetic-mm1/1/0.2/2/30/3");
    hs_experiment_free(e);
}

static void test_seeds(void **state)
{
    (void)state;
    hs_experiment *e = parse_ok(BASE "policy: [fifo, eft]\nseeds: {first: 10, count: 3}\n");
    static const char *const want[] = {
        "fifo/generic-1pu/synthetic-mm1/10", "fifo/generic-1pu/synthetic-mm1/11",
        "fifo/generic-1pu/synthetic-mm1/12", "eft/generic-1pu/synthetic-mm1/10",
        "eft/generic-1pu/synthetic-mm1/11", "eft/generic-1pu/synthetic-mm1/12",
    };
    expect_runs(e, want, 6);
    /* Keys: distinct runs differ; the same text gives the same keys. */
    hs_experiment *f = parse_ok(BASE "policy: [fifo, eft]\nseeds: {first: 10, count: 3}\n");
    for (size_t i = 0; i < e->nruns; i++) {
        assert_int_equal(strlen(e->runs[i].key), 16);
        assert_string_equal(e->runs[i].key, f->runs[i].key);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(e->runs[i].key, e->runs[j].key);
    }
    hs_experiment_free(f);
    hs_experiment_free(e);

    e = parse_ok(BASE "policy: fifo\n");   /* default: seed 1 */
    assert_int_equal(e->nruns, 1);
    assert_int_equal(e->runs[0].seed, 1);
    hs_experiment_free(e);
}

static void test_set_and_params(void **state)
{
    (void)state;
    hs_experiment *e = parse_ok("hw: [generic-1pu, generic-2pu]\n"
                                "workload: synthetic-mm1\n"
                                "policy:\n"
                                "  - {label: p1-only, name: fifo, params: {pu: P1}}\n"
                                "  - {name: static, params: {default: P1}}\n"
                                "  - random\n"
                                "baseline: p1-only\n"
                                "set: {workload.requests: 50, workload.warmup: 5, engine.sync: fast}\n"
                                "kernels: true\n");
    assert_int_equal(e->nruns, 6);
    assert_string_equal(e->policies[0].label, "p1-only");
    assert_string_equal(e->policies[1].label, "static(default=P1)");
    assert_string_equal(e->policies[2].label, "random");
    assert_string_equal(e->hws[1].label, "generic-2pu");
    assert_string_equal(e->baseline, "p1-only");
    assert_true(e->kernels);
    assert_string_equal(value_at(e, 0, "workload.requests"), "50");
    assert_string_equal(value_at(e, 0, "engine.sync"), "fast");
    assert_string_equal(value_at(e, 0, "policy.params.pu"), "P1");
    assert_string_equal(value_at(e, 4, "hw.name"), "generic-2pu");
    hs_experiment_free(e);

    /* `policy.K` means policy.params.K, as with --set. */
    e = parse_ok(BASE "policy: fifo\nsweep:\n  policy.pu: [P1, any]\n");
    assert_string_equal(e->axes[0].name, "policy.pu");
    assert_string_equal(e->axes[0].path, "policy.params.pu");
    assert_string_equal(value_at(e, 1, "policy.params.pu"), "any");
    hs_experiment_free(e);

    /* Sweeping inside a profile (a sequence index) and the backend. */
    e = parse_ok("hw: generic-2pu\nworkload: synthetic-mm1\npolicy: eft\nbackend: real\n"
                 "sweep:\n  hw.pus.1.speed: [2, 4]\n");
    assert_int_equal(e->backend, HS_BACKEND_REAL);
    assert_string_equal(value_at(e, 1, "hw.pus.1.speed"), "4");
    hs_experiment_free(e);
}

/* ---- Paths ---------------------------------------------------------------- */
static char tmpdir[256];

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_relative_paths(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hs-exp-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    char p[512];
    snprintf(p, sizeof p, "%s/exps", tmpdir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/wl", tmpdir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/exps/board.yaml", tmpdir);
    write_file(p, "name: my-board\nmemory: {bandwidth_gbps: 10}\npus:\n  - {name: P1, kind: generic, speed: 3}\n");
    snprintf(p, sizeof p, "%s/wl/w.yaml", tmpdir);
    write_file(p, "kind: synthetic\nrequests: 20\narrival: {process: poisson, rate: 1}\n"
                  "service: {dist: exponential, mean: 1}\n");
    snprintf(p, sizeof p, "%s/exps/e.yaml", tmpdir);
    write_file(p, "hw: [board.yaml, generic-1pu]\nworkload: ../wl/w.yaml\npolicy: fifo\noutput: out/r.h5\n");
    /* Loaded from another folder: the paths are the experiment's. */
    hs_err err = {{0}};
    hs_experiment *e = hs_experiment_load(p, &err);
    if (!e)
        fail_msg("%s", err.msg);
    assert_int_equal(e->nruns, 2);
    assert_string_equal(e->hws[0].label, "my-board");   /* a profile's name */
    assert_string_equal(e->hws[1].label, "generic-1pu");
    assert_string_equal(e->workloads[0].label, "w");    /* no name: the file's */
    assert_string_equal(value_at(e, 0, "hw.pus.0.speed"), "3");
    char want[1024];
    snprintf(want, sizeof want, "%s/exps/out/r.h5", tmpdir);
    assert_string_equal(e->output, want);
    assert_non_null(strstr(e->text, "../wl/w.yaml"));   /* the file's text is kept */
    assert_string_equal(e->name, "e");                  /* no name: the file's */
    hs_experiment_free(e);

    /* A missing relative file is named at its position. */
    snprintf(p, sizeof p, "%s/exps/bad.yaml", tmpdir);
    write_file(p, "hw: generic-1pu\nworkload: ../wl/nope.yaml\npolicy: fifo\n");
    assert_null(hs_experiment_load(p, &err));
    snprintf(want, sizeof want, "%s/exps/bad.yaml:2:11: error: cannot read workload file '../wl/nope.yaml', i.e. "
                                "%s/exps/../wl/nope.yaml: No such file or directory",
             tmpdir, tmpdir);
    assert_string_equal(err.msg, want);
    nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

    /* A built-in experiment by name. */
    e = hs_experiment_load("quickstart", &err);
    if (!e)
        fail_msg("%s", err.msg);
    assert_string_equal(e->name, "quickstart");
    assert_true(e->nruns >= 6);
    hs_experiment_free(e);
    assert_null(hs_experiment_load("quickstrat", &err));
    assert_non_null(strstr(err.msg, "unknown experiment 'quickstrat' (did you mean 'quickstart'?)"));
}

/* ---- Errors ---------------------------------------------------------------- */
static void test_errors(void **state)
{
    (void)state;
    expect_error(BASE "policy: fifo\nsweeep: {a: [1]}\n", "exp.yaml:4:1: error: unknown key 'sweeep' (did you mean 'sweep'?)");
    expect_error(BASE "policy: [fifo, {name: eft, parms: {}}]\n",
                 "exp.yaml:3:28: error: unknown key 'parms' (did you mean 'params'?)");
    expect_error(BASE "policy: fifo\nsweep:\n  hw.memory.bandwdith_gbps: [1, 2]\n",
                 "exp.yaml:5:3: error: sweep path 'hw.memory.bandwdith_gbps' does not exist: hw 'generic-1pu' has "
                 "no 'bandwdith_gbps' in 'hw.memory' (did you mean 'bandwidth_gbps'?)");
    expect_error(BASE "policy: fifo\nsweep:\n  workload.arrivl.rate: [1, 2]\n",
                 "exp.yaml:5:3: error: sweep path 'workload.arrivl.rate' does not exist: workload 'synthetic-mm1' "
                 "has no 'arrivl' in 'workload' (did you mean 'arrival'?)");
    expect_error(BASE "policy: fifo\nsweep:\n  hw.pus.3.speed: [1, 2]\n",
                 "exp.yaml:5:3: error: sweep path 'hw.pus.3.speed' does not exist: 'hw.pus' is a list of 1 items; "
                 "'3' is not an index 0..0");
    expect_error(BASE "policy: fifo\nsweep:\n  policy.alpha: [1]\n",
                 "exp.yaml:5:3: error: sweep path 'policy.alpha' does not exist: policy 'fifo' has no parameter "
                 "'alpha'; its parameters: pu");
    expect_error(BASE "policy: fifo\nsweep:\n  hwx.speed: [1]\n",
                 "exp.yaml:5:3: error: sweep path 'hwx.speed' must start with hw, workload, policy or engine (did "
                 "you mean 'hw'?)");
    expect_error(BASE "policy: fifo\nsweep:\n  seed: [1, 2]\n",
                 "exp.yaml:5:3: error: list seeds under 'seeds:', not under 'sweep:'");
    expect_error(BASE "policy: fifo\nset:\n  engine.snyc: fast\n",
                 "exp.yaml:5:3: error: set path 'engine.snyc' does not exist: the engine has no setting 'snyc' "
                 "(did you mean 'sync'?)");
    expect_error(BASE "policy: fifo\nsweep:\n  zip:\n    workload.arrival.rate: [1, 2]\n    workload.service.mean: [1, 2, 3]\n",
                 "exp.yaml:7:5: error: zip axes must have equal lengths: 'workload.arrival.rate' has 2 values but "
                 "'workload.service.mean' has 3");
    expect_error(BASE "policy: fifo\nsweep:\n  zip: []\n", "exp.yaml:5:8: error: 'zip' is an empty list");
    expect_error(BASE "policy: fifo\nsweep:\n  workload.requests: []\n",
                 "exp.yaml:5:22: error: sweep 'workload.requests' is an empty list");
    expect_error(BASE "policy: fifo\nsweep:\n  workload.requests: 5\n",
                 "exp.yaml:5:22: error: sweep 'workload.requests' needs a list of values, found a scalar");
    expect_error("hw: []\nworkload: synthetic-mm1\npolicy: fifo\n", "exp.yaml:1:5: error: 'hw' is an empty list");
    expect_error(BASE "policy: []\n", "exp.yaml:3:9: error: 'policy' is an empty list");
    expect_error(BASE "policy: fifo\nseeds: []\n", "exp.yaml:4:8: error: 'seeds' is an empty list");
    expect_error(BASE "policy: fifo\nseeds: [1, 2, 1]\n", "exp.yaml:4:15: error: seed 1 is listed twice");
    expect_error(BASE "policy: fifo\nseeds: 3\n",
                 "exp.yaml:4:8: error: 'seeds' must be a list of seeds, e.g. [1, 2, 3], or {first: 1, count: 3}");
    expect_error("hw: generic-1pu\npolicy: fifo\n", "exp.yaml:1:1: error: missing key 'workload'");
    /* The list of built-ins that follows grows with every policy. */
    expect_error_prefix(BASE "policy: [fifo, eftt]\n",
                        "exp.yaml:3:16: error: unknown policy 'eftt' (did you mean 'eft'?); built-in: ");
    expect_error(BASE "policy: [fifo, fifo]\n",
                 "exp.yaml:3:16: error: two policy entries are both labelled 'fifo'; give each a distinct 'label:'");
    expect_error(BASE "policy: [fifo, eft]\nbaseline: eff\n",
                 "exp.yaml:4:11: error: baseline 'eff' is not one of the policies (did you mean 'eft'?); policies: "
                 "fifo, eft");
    expect_error(BASE "policy: fifo\nbackend: rael\n",
                 "exp.yaml:4:10: error: unknown backend 'rael' (did you mean 'real'?); valid: sim, real");
    expect_error_prefix("hw: generic-1pu\nworkload: synthetic-mm2\npolicy: fifo\n",
                        "exp.yaml:2:11: error: unknown workload 'synthetic-mm2' (did you mean 'synthetic-mm1'?); built-in: ");
    expect_error(BASE "policy: fifo\nset: {workload.requests: 10}\nsweep: {workload.requests: [1, 2]}\n",
                 "exp.yaml:5:9: error: 'workload.requests' is both swept and fixed under 'set:' (line 4)");
    /* A value the loader refuses, at its position in the experiment. */
    expect_error_prefix(BASE "policy: fifo\nset: {workload.warmup: 0}\nsweep:\n  workload.requests: [10, -4]\n",
                        "exp.yaml:6:27: error: run 1 (workload.warmup=0, workload.requests=-4): 'requests' must be ");
    /* An inline workload is checked at its own positions. */
    expect_error("hw: generic-1pu\npolicy: fifo\nworkload:\n  kind: synthetic\n  requests: 10\n"
                 "  arrival: {process: poisson, rat: 1}\n  service: {dist: exponential, mean: 1}\n",
                 "exp.yaml:6:31: error: unknown key 'rat' (did you mean 'rate'?)");
}

/* ---- Column types: integer sweeps, policy parameters -------------------------- */

/* The parameter column named column of e (fails when missing). */
static size_t param_col(const hs_experiment *e, const char *column)
{
    for (size_t c = 0; c < e->nparams; c++)
        if (strcmp(e->params[c].column, column) == 0)
            return c;
    fail_msg("no parameter column %s", column);
    return 0;
}

static void test_integer_axes_and_param_columns(void **state)
{
    (void)state;
    hs_experiment *e = parse_ok(BASE "policy: [fifo, {name: hero, params: {alpha: 2}}]\n"
                                     "sweep:\n"
                                     "  workload.requests: [30000, 40000]\n"
                                     "  workload.arrival.rate: [0.5, 1]\n");
    /* Integers as written make an int64 column, a number with a point a float64 one. */
    assert_true(e->axes[0].numeric && e->axes[0].integer);
    assert_true(e->axes[1].numeric && !e->axes[1].integer);
    /* One column per parameter either policy lists, typed over both. */
    assert_int_equal(e->nparams, 9);
    const hs_exp_param *pu = &e->params[param_col(e, "param.pu")];
    const hs_exp_param *alpha = &e->params[param_col(e, "param.alpha")];
    const hs_exp_param *partition = &e->params[param_col(e, "param.partition")];
    const hs_exp_param *sizes = &e->params[param_col(e, "param.batch_sizes")];
    assert_true(!pu->numeric && alpha->numeric && !alpha->integer && partition->integer && !sizes->numeric);
    hs_run_record r;
    hs_err err;
    /* Run 0 is fifo's: its `pu` by default, hero's parameters none. */
    hs_record_init(&r);
    assert_int_equal(hs_experiment_identity(e, 0, &r, false, &err), 0);
    assert_string_equal(r.policy_name, "fifo");
    assert_int_equal(r.nparams, 9);
    assert_string_equal(r.params[param_col(e, "param.pu")].text, "any");
    assert_true(isnan(r.params[param_col(e, "param.alpha")].num));
    hs_record_clear(&r);
    /* Run 4 is hero's: alpha as given, the rest their defaults, fifo's `pu` none. */
    hs_record_init(&r);
    assert_int_equal(hs_experiment_identity(e, 4, &r, true, &err), 0);
    assert_string_equal(r.policy, "hero(alpha=2)");
    assert_string_equal(r.policy_name, "hero");
    assert_true(r.params[param_col(e, "param.alpha")].num == 2);
    assert_true(r.params[param_col(e, "param.beta")].num == 0.5);
    assert_true(r.params[param_col(e, "param.partition")].num == 1);
    assert_string_equal(r.params[param_col(e, "param.batch_sizes")].text, "1,2,4,8,16,32");
    assert_null(r.params[param_col(e, "param.pu")].text);
    assert_non_null(r.config);
    hs_record_clear(&r);
    hs_experiment_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_order),
        cmocka_unit_test(test_integer_axes_and_param_columns),
        cmocka_unit_test(test_zip),
        cmocka_unit_test(test_seeds),
        cmocka_unit_test(test_set_and_params),
        cmocka_unit_test(test_relative_paths),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
