/* Tests of typed access: numbers, integers, booleans, strings and enums
 * with their range checks and exact messages; unknown keys and "did you
 * mean"; built-in file lookup through $HETSOC_DATA_PATH in a temporary
 * folder. */
#define _GNU_SOURCE
#include <float.h>
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

#include <cmocka.h>

#include "sim/conf/conf.h"

/* Line 4, column 9 holds the value of 'rate', as in the examples of the
 * project's issue. */
static hs_node *rate_doc(const char *value)
{
    char text[512];
    snprintf(text, sizeof text, "name: x\nmemory:\n  bandwidth: 1\n  rate: %s\n", value);
    hs_err err = {{0}};
    hs_node *root = hs_conf_load_string(text, strlen(text), "a.yaml", &err);
    if (!root)
        fail_msg("cannot load: %s", err.msg);
    return root;
}

static hs_node *memory_of(hs_node *root)
{
    return hs_map_get(root, "memory");
}

/* hs_get_f64 on 'rate' must give exactly "a.yaml:4:9: error: " + msg. */
static void expect_f64_error(const char *value, double lo, double hi, const char *msg)
{
    hs_node *root = rate_doc(value);
    hs_err err = {{0}};
    double v = -123.0;
    assert_int_equal(hs_get_f64(memory_of(root), "rate", true, lo, hi, &v, &err), -1);
    char want[HS_ERR_MSG_MAX];
    snprintf(want, sizeof want, "a.yaml:4:9: error: %s", msg);
    assert_string_equal(err.msg, want);
    assert_true(v == -123.0);  /* untouched on error */
    hs_node_free(root);
}

static double f64_ok(const char *value, double lo, double hi)
{
    hs_node *root = rate_doc(value);
    hs_err err = {{0}};
    double v = NAN;
    if (hs_get_f64(memory_of(root), "rate", true, lo, hi, &v, &err) != 0)
        fail_msg("'%s': %s", value, err.msg);
    hs_node_free(root);
    return v;
}

static void expect_i64_error(const char *value, int64_t lo, int64_t hi, const char *msg)
{
    hs_node *root = rate_doc(value);
    hs_err err = {{0}};
    int64_t v = -123;
    assert_int_equal(hs_get_i64(memory_of(root), "rate", true, lo, hi, &v, &err), -1);
    char want[HS_ERR_MSG_MAX];
    snprintf(want, sizeof want, "a.yaml:4:9: error: %s", msg);
    assert_string_equal(err.msg, want);
    assert_int_equal(v, -123);
    hs_node_free(root);
}

static int64_t i64_ok(const char *value, int64_t lo, int64_t hi)
{
    hs_node *root = rate_doc(value);
    hs_err err = {{0}};
    int64_t v = 0;
    if (hs_get_i64(memory_of(root), "rate", true, lo, hi, &v, &err) != 0)
        fail_msg("'%s': %s", value, err.msg);
    hs_node_free(root);
    return v;
}

/* ---- Numbers. --------------------------------------------------------- */

static void test_f64_values(void **state)
{
    (void)state;
    assert_true(f64_ok("1.5", 0, INFINITY) == 1.5);
    assert_true(f64_ok("-2", -10, 10) == -2.0);
    assert_true(f64_ok("+3.", -10, 10) == 3.0);
    assert_true(f64_ok(".5", 0, 1) == 0.5);
    assert_true(f64_ok("1e3", 0, INFINITY) == 1000.0);
    assert_true(f64_ok("2.5E-3", 0, 1) == 0.0025);
    assert_true(f64_ok(".inf", 0, INFINITY) == INFINITY);
    assert_true(f64_ok(".Inf", 0, INFINITY) == INFINITY);
    assert_true(f64_ok("-.INF", -INFINITY, 0) == -INFINITY);
    /* Underflow is harmless. */
    assert_true(f64_ok("1e-400", 0, 1) == 0.0);
}

static void test_f64_errors(void **state)
{
    (void)state;
    expect_f64_error("fast", 0, INFINITY, "'rate' must be a number, found 'fast'");
    expect_f64_error("-1", 0, INFINITY, "'rate' must be >= 0, found -1");
    expect_f64_error("\"5\"", 0, INFINITY, "'rate' must be a number, found a string '5'");
    expect_f64_error("'0.5'", 0, INFINITY, "'rate' must be a number, found a string '0.5'");
    /* libyaml places an empty value just after the colon. */
    hs_node *root = rate_doc("");
    hs_err err = {{0}};
    double v;
    assert_int_equal(hs_get_f64(memory_of(root), "rate", true, 0, 1, &v, &err), -1);
    assert_string_equal(err.msg, "a.yaml:4:8: error: 'rate' must be a number, found an empty value");
    hs_node_free(root);
    expect_f64_error("{a: 1}", 0, INFINITY, "'rate' must be a number, found a mapping");
    expect_f64_error("[1]", 0, INFINITY, "'rate' must be a number, found a sequence");
    expect_f64_error("1e999", 0, INFINITY, "number '1e999' out of range");
    expect_f64_error("-1e999", -INFINITY, INFINITY, "number '-1e999' out of range");
    expect_f64_error(".nan", -INFINITY, INFINITY, "'rate' must be a number, found '.nan' (NaN is not allowed)");
    expect_f64_error(".inf", 0, 1000, "'rate' must be between 0 and 1000, found .inf");
    expect_f64_error("1.5", 0, 1, "'rate' must be between 0 and 1, found 1.5");
    expect_f64_error("0.2", -INFINITY, 0.1, "'rate' must be <= 0.1, found 0.2");
    expect_f64_error("0", DBL_MIN, INFINITY, "'rate' must be > 0, found 0");
    expect_f64_error("2", DBL_MIN, 1, "'rate' must be > 0 and <= 1, found 2");
    expect_f64_error("0.0001", 0.001, INFINITY, "'rate' must be >= 0.001, found 0.0001");
    /* strtod would take these; YAML does not. */
    expect_f64_error("0x10", 0, INFINITY, "'rate' must be a number, found '0x10'");
    expect_f64_error("inf", 0, INFINITY, "'rate' must be a number, found 'inf'");
    expect_f64_error("nan", 0, INFINITY, "'rate' must be a number, found 'nan'");
    expect_f64_error("1.5.2", 0, INFINITY, "'rate' must be a number, found '1.5.2'");
    expect_f64_error("1e", 0, INFINITY, "'rate' must be a number, found '1e'");
    expect_f64_error(".", 0, INFINITY, "'rate' must be a number, found '.'");
    expect_f64_error("1_000", 0, INFINITY, "'rate' must be a number, found '1_000'");
}

static void test_i64(void **state)
{
    (void)state;
    assert_int_equal(i64_ok("42", 0, 100), 42);
    assert_int_equal(i64_ok("-7", INT64_MIN, INT64_MAX), -7);
    assert_int_equal(i64_ok("+3", 0, 10), 3);
    assert_true(i64_ok("9223372036854775807", 0, INT64_MAX) == INT64_MAX);
    assert_true(i64_ok("-9223372036854775808", INT64_MIN, 0) == INT64_MIN);
    assert_int_equal(i64_ok("1e6", 0, INT64_MAX), 1000000);
    assert_int_equal(i64_ok("2.0", 0, 10), 2);

    expect_i64_error("99999999999999999999", 0, INT64_MAX, "integer '99999999999999999999' out of range");
    expect_i64_error("-9223372036854775809", INT64_MIN, INT64_MAX, "integer '-9223372036854775809' out of range");
    expect_i64_error("1e300", 0, INT64_MAX,
                     "integer '1e300' out of range (write large integers with digits only)");
    expect_i64_error("2.5", 0, 10, "'rate' must be an integer, found '2.5'");
    expect_i64_error("many", 0, 10, "'rate' must be an integer, found 'many'");
    expect_i64_error(".inf", 0, 10, "'rate' must be an integer, found '.inf'");
    expect_i64_error("'7'", 0, 10, "'rate' must be an integer, found a string '7'");
    expect_i64_error("0", 1, INT64_MAX, "'rate' must be >= 1, found 0");
    expect_i64_error("11", INT64_MIN, 10, "'rate' must be <= 10, found 11");
    expect_i64_error("-1", 0, 10, "'rate' must be between 0 and 10, found -1");
}

static void test_node_getters(void **state)
{
    (void)state;
    /* Without a key, messages say "value". */
    hs_node *root = rate_doc("fast");
    hs_node *n = hs_node_at_path(root, "memory.rate");
    hs_err err = {{0}};
    double d;
    int64_t i;
    assert_int_equal(hs_node_f64(n, 0, 1, &d, &err), -1);
    assert_string_equal(err.msg, "a.yaml:4:9: error: value must be a number, found 'fast'");
    assert_int_equal(hs_node_i64(n, 0, 1, &i, &err), -1);
    assert_string_equal(err.msg, "a.yaml:4:9: error: value must be an integer, found 'fast'");
    const char *s = NULL;
    assert_int_equal(hs_node_str(n, &s, &err), 0);
    assert_string_equal(s, "fast");
    assert_int_equal(hs_node_str(hs_map_get(root, "memory"), &s, &err), -1);
    assert_string_equal(err.msg, "a.yaml:3:3: error: value must be a string, found a mapping");
    assert_int_equal(hs_node_f64(NULL, 0, 1, &d, &err), -1);
    hs_node_free(root);
}

static void test_bool(void **state)
{
    (void)state;
    const char *yes[] = {"true", "True", "YES", "yes", "on", "On"}, *no[] = {"false", "FALSE", "no", "No", "off", "OFF"};
    hs_err err = {{0}};
    for (int k = 0; k < 6; k++) {
        bool v = false;
        hs_node *r = rate_doc(yes[k]);
        assert_int_equal(hs_get_bool(memory_of(r), "rate", true, &v, &err), 0);
        assert_true(v);
        hs_node_free(r);
        r = rate_doc(no[k]);
        assert_int_equal(hs_get_bool(memory_of(r), "rate", true, &v, &err), 0);
        assert_false(v);
        hs_node_free(r);
    }
    const char *bad[][2] = {
        {"maybe", "a.yaml:4:9: error: 'rate' must be true or false, found 'maybe'"},
        {"1", "a.yaml:4:9: error: 'rate' must be true or false, found '1'"},
        {"'true'", "a.yaml:4:9: error: 'rate' must be true or false, found a string 'true'"},
        {"[yes]", "a.yaml:4:9: error: 'rate' must be true or false, found a sequence"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        bool v = true;
        hs_node *r = rate_doc(bad[k][0]);
        assert_int_equal(hs_get_bool(memory_of(r), "rate", true, &v, &err), -1);
        assert_string_equal(err.msg, bad[k][1]);
        assert_true(v);
        hs_node_free(r);
    }
}

static void test_str_and_missing(void **state)
{
    (void)state;
    hs_node *root = rate_doc("'x y'");
    hs_node *mem = memory_of(root);
    hs_err err = {{0}};
    const char *s = "default";
    assert_int_equal(hs_get_str(mem, "rate", true, &s, &err), 0);
    assert_string_equal(s, "x y");
    /* Absent and optional: the default stays. */
    s = "default";
    assert_int_equal(hs_get_str(mem, "label", false, &s, &err), 0);
    assert_string_equal(s, "default");
    double d = 7.0;
    assert_int_equal(hs_get_f64(mem, "latency", false, 0, 1, &d, &err), 0);
    assert_true(d == 7.0);
    /* Absent and required: an error at the mapping. */
    assert_int_equal(hs_get_f64(mem, "latency", true, 0, 1, &d, &err), -1);
    assert_string_equal(err.msg, "a.yaml:3:3: error: missing key 'latency'");
    assert_int_equal(hs_get_str(root, "memory", true, &s, &err), -1);
    assert_string_equal(err.msg, "a.yaml:3:3: error: 'memory' must be a string, found a mapping");
    /* Not a mapping at all. */
    assert_int_equal(hs_get_str(hs_map_get(mem, "rate"), "x", false, &s, &err), -1);
    assert_string_equal(err.msg, "a.yaml:4:9: error: expected a mapping, found a scalar");
    hs_node_free(root);
}

static void test_expect(void **state)
{
    (void)state;
    hs_node *root = rate_doc("");
    hs_err err = {{0}};
    assert_int_equal(hs_node_expect(root, HS_NODE_MAP, &err), 0);
    assert_int_equal(hs_node_expect(root, HS_NODE_SEQ, &err), -1);
    assert_string_equal(err.msg, "a.yaml:1:1: error: expected a sequence, found a mapping");
    assert_int_equal(hs_node_expect(hs_node_at_path(root, "memory.rate"), HS_NODE_MAP, &err), -1);
    assert_string_equal(err.msg, "a.yaml:4:8: error: expected a mapping, found an empty value");
    assert_int_equal(hs_node_expect(NULL, HS_NODE_MAP, &err), -1);
    assert_string_equal(err.msg, "error: expected a mapping, found nothing");
    assert_string_equal(hs_node_kind_name(HS_NODE_SCALAR), "scalar");
    assert_string_equal(hs_node_kind_name(HS_NODE_SEQ), "sequence");
    assert_string_equal(hs_node_kind_name(HS_NODE_MAP), "mapping");
    hs_node_free(root);
}

/* ---- Enums and keys. -------------------------------------------------- */

static const char *const kinds[] = {"cpu", "gpu", "npu", NULL};

static void test_enum(void **state)
{
    (void)state;
    hs_err err = {{0}};
    int k = -1;
    hs_node *r = rate_doc("npu");
    assert_int_equal(hs_get_enum(memory_of(r), "rate", true, kinds, &k, &err), 0);
    assert_int_equal(k, 2);
    hs_node_free(r);

    r = rate_doc("gpuu");
    k = -1;
    assert_int_equal(hs_get_enum(memory_of(r), "rate", true, kinds, &k, &err), -1);
    assert_string_equal(err.msg, "a.yaml:4:9: error: unknown rate 'gpuu' (did you mean 'gpu'?); valid: cpu, gpu, npu");
    assert_int_equal(k, -1);
    assert_int_equal(hs_node_enum(hs_node_at_path(r, "memory.rate"), kinds, &k, &err), -1);
    assert_string_equal(err.msg, "a.yaml:4:9: error: unknown value 'gpuu' (did you mean 'gpu'?); valid: cpu, gpu, npu");
    hs_node_free(r);

    r = rate_doc("quantum");
    assert_int_equal(hs_get_enum(memory_of(r), "rate", true, kinds, &k, &err), -1);
    assert_string_equal(err.msg, "a.yaml:4:9: error: unknown rate 'quantum'; valid: cpu, gpu, npu");
    hs_node_free(r);

    r = rate_doc("[cpu]");
    assert_int_equal(hs_get_enum(memory_of(r), "rate", true, kinds, &k, &err), -1);
    assert_string_equal(err.msg, "a.yaml:4:9: error: 'rate' must be a name, found a sequence");
    hs_node_free(r);
}

static void test_check_keys(void **state)
{
    (void)state;
    static const char *const allowed[] = {"bandwidth", "rate", NULL};
    hs_err err = {{0}};
    hs_node *r = rate_doc("1");
    assert_int_equal(hs_map_check_keys(memory_of(r), allowed, &err), 0);
    hs_node_free(r);

    const char *text = "memory:\n  rate: 1\n  bandwdith: 2\n";
    r = hs_conf_load_string(text, strlen(text), "a.yaml", &err);
    assert_non_null(r);
    assert_int_equal(hs_map_check_keys(memory_of(r), allowed, &err), -1);
    assert_string_equal(err.msg, "a.yaml:3:3: error: unknown key 'bandwdith' (did you mean 'bandwidth'?)");
    hs_node_free(r);

    text = "memory: {rate: 1, zzz: 2}\n";
    r = hs_conf_load_string(text, strlen(text), "a.yaml", &err);
    assert_int_equal(hs_map_check_keys(memory_of(r), allowed, &err), -1);
    assert_string_equal(err.msg, "a.yaml:1:19: error: unknown key 'zzz'; valid keys: bandwidth, rate");
    assert_int_equal(hs_map_check_keys(hs_node_at_path(r, "memory.rate"), allowed, &err), -1);
    assert_string_equal(err.msg, "a.yaml:1:16: error: expected a mapping, found a scalar");
    hs_node_free(r);
}

static void test_nearest(void **state)
{
    (void)state;
    static const char *const hw[] = {"snapdragon-8gen3", "snapdragon-8gen2", "dimensity-9300", "generic-3pu", NULL};
    static const char *const keys[] = {"bandwidth", "latency", "slots", "speed", "kind", "name", NULL};
    static const char *const one[] = {"y", "ab", NULL};
    assert_string_equal(hs_nearest("snapdragn-8gen3", hw), "snapdragon-8gen3");
    assert_string_equal(hs_nearest("snapdragon-8gen2", hw), "snapdragon-8gen2");
    assert_string_equal(hs_nearest("dimensty-9300", hw), "dimensity-9300");
    assert_string_equal(hs_nearest("bandwdith", keys), "bandwidth");  /* transposition: 1 edit */
    assert_string_equal(hs_nearest("Latency", keys), "latency");       /* case */
    assert_string_equal(hs_nearest("slot", keys), "slots");
    assert_string_equal(hs_nearest("sped", keys), "speed");
    assert_string_equal(hs_nearest("snapdragon", hw), "snapdragon-8gen3");  /* a prefix; first wins */
    assert_null(hs_nearest("banana", keys));
    assert_null(hs_nearest("zzzzzz", hw));
    assert_null(hs_nearest("x", one));  /* one letter for one letter is no hint */
    assert_null(hs_nearest("a", one));
    assert_string_equal(hs_nearest("abc", one), "ab");
    assert_null(hs_nearest("", keys));
    assert_null(hs_nearest(NULL, keys));
    assert_null(hs_nearest("name", NULL));
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_null(hs_nearest(big, keys));
}

/* ---- Built-in files. -------------------------------------------------- */

static char tmpdir[256], dir1[300], dir2[300];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void touch(const char *root, const char *rel)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("name: x\n", f);
    fclose(f);
}

static void make_dir(const char *root, const char *rel)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    assert_int_equal(mkdir(path, 0700), 0);
}

/* dir1/conf-test/hw: b, a, snapdragon-8gen3 (+ things that are not
 * built-ins); dir2/conf-test/hw: a (hidden by dir1's) and c.  The folder
 * "conf-test/hw" exists in neither the source tree nor the install. */
static int builtin_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/hs_conf_get_XXXXXX", base);
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(dir1, sizeof dir1, "%s/one", tmpdir);
    snprintf(dir2, sizeof dir2, "%s/two", tmpdir);
    const char *roots[] = {dir1, dir2};
    for (int i = 0; i < 2; i++) {
        if (mkdir(roots[i], 0700))
            return -1;
        make_dir(roots[i], "conf-test");
        make_dir(roots[i], "conf-test/hw");
    }
    touch(dir1, "conf-test/hw/b.yaml");
    touch(dir1, "conf-test/hw/a.yaml");
    touch(dir1, "conf-test/hw/snapdragon-8gen3.yaml");
    touch(dir1, "conf-test/hw/.hidden.yaml");
    touch(dir1, "conf-test/hw/notes.txt");
    touch(dir1, "conf-test/hw/.yaml");
    make_dir(dir1, "conf-test/hw/folder.yaml");
    touch(dir2, "conf-test/hw/a.yaml");
    touch(dir2, "conf-test/hw/c.yaml");
    char env[700];
    snprintf(env, sizeof env, "%s::%s", dir1, dir2);  /* an empty entry is skipped */
    return setenv("HETSOC_DATA_PATH", env, 1);
}

static int builtin_teardown(void **state)
{
    (void)state;
    unsetenv("HETSOC_DATA_PATH");
    return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

typedef struct listing {
    char text[2048];
} listing;

static void collect(const char *name, const char *path, void *ctx)
{
    listing *l = ctx;
    size_t o = strlen(l->text);
    snprintf(l->text + o, sizeof l->text - o, "%s=%s\n", name, path);
}

static void test_list_builtin(void **state)
{
    (void)state;
    listing l = {{0}};
    assert_int_equal(hs_conf_list_builtin("conf-test/hw", collect, &l), 4);
    char want[2048];
    snprintf(want, sizeof want,
             "a=%s/conf-test/hw/a.yaml\nb=%s/conf-test/hw/b.yaml\nc=%s/conf-test/hw/c.yaml\n"
             "snapdragon-8gen3=%s/conf-test/hw/snapdragon-8gen3.yaml\n",
             dir1, dir1, dir2, dir1);
    assert_string_equal(l.text, want);
    assert_int_equal(hs_conf_list_builtin("conf-test/hw", NULL, NULL), 4);
    assert_int_equal(hs_conf_list_builtin("conf-test/none", collect, &l), 0);
}

static void test_resolve(void **state)
{
    (void)state;
    char buf[512], want[512];
    hs_err err = {{0}};
    assert_int_equal(hs_conf_resolve("conf-test/hw", "a", buf, sizeof buf, &err), 0);
    snprintf(want, sizeof want, "%s/conf-test/hw/a.yaml", dir1);
    assert_string_equal(buf, want);
    assert_int_equal(hs_conf_resolve("conf-test/hw", "c", buf, sizeof buf, &err), 0);
    snprintf(want, sizeof want, "%s/conf-test/hw/c.yaml", dir2);
    assert_string_equal(buf, want);
    /* Paths are taken as they are, existing or not. */
    assert_int_equal(hs_conf_resolve("conf-test/hw", "my/profile", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "my/profile");
    assert_int_equal(hs_conf_resolve("conf-test/hw", "local.yaml", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "local.yaml");
    assert_int_equal(hs_conf_resolve("conf-test/hw", "local.yml", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "local.yml");

    assert_int_equal(hs_conf_resolve("conf-test/hw", "snapdragn-8gen3", buf, sizeof buf, &err), -1);
    assert_string_equal(err.msg, "error: unknown hw 'snapdragn-8gen3' (did you mean 'snapdragon-8gen3'?); "
                                 "built-in: a, b, c, snapdragon-8gen3");
    assert_int_equal(hs_conf_resolve("conf-test/hw", "qqqqqq", buf, sizeof buf, &err), -1);
    assert_string_equal(err.msg, "error: unknown hw 'qqqqqq'; built-in: a, b, c, snapdragon-8gen3");
    /* A directory named like a built-in is not one. */
    assert_int_equal(hs_conf_resolve("conf-test/hw", "folder", buf, sizeof buf, &err), -1);
    assert_int_equal(hs_conf_resolve("conf-test/workloads", "x", buf, sizeof buf, &err), -1);
    snprintf(want, sizeof want, "error: unknown workload 'x': no built-in workload files found (looked in %s/conf-test/workloads, ", dir1);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_int_equal(hs_conf_resolve("conf-test/hw", "a", buf, 10, &err), -1);
    assert_string_equal(err.msg + strlen(err.msg) - strlen(": error: path too long"), ": error: path too long");
    assert_int_equal(hs_conf_resolve("conf-test/hw", "", buf, sizeof buf, &err), -1);
    assert_string_equal(err.msg, "error: no hw name given");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f64_values),
        cmocka_unit_test(test_f64_errors),
        cmocka_unit_test(test_i64),
        cmocka_unit_test(test_node_getters),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_str_and_missing),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_check_keys),
        cmocka_unit_test(test_nearest),
        cmocka_unit_test_setup_teardown(test_list_builtin, builtin_setup, builtin_teardown),
        cmocka_unit_test_setup_teardown(test_resolve, builtin_setup, builtin_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
