/* Tests of hw/ profiles: the built-in files load, PU lookup by name and
 * kind, inline profiles, and bad profiles give positioned errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "hw/hw.h"

static void count_one(const char *name, const char *path, void *ctx)
{
    hs_err err;
    hs_hw *hw = hs_hw_load_file(path, &err);
    if (!hw)
        fail_msg("built-in profile %s does not load: %s", name, err.msg);
    assert_string_equal(hw->name, name);
    assert_true(hw->npus >= 1);
    assert_true(hw->mems[0].achievable_bps > 0);
    for (size_t i = 0; i < hw->npus; i++)
        assert_true(hw->pus[i].slots >= 1);
    hs_hw_free(hw);
    ++*(int *)ctx;
}

static void test_every_builtin_loads(void **state)
{
    (void)state;
    int n = 0;
    hs_conf_list_builtin("hw", count_one, &n);
    assert_true(n >= 10);
    static const char *const required[] = {"snapdragon-8gen3", "snapdragon-8elite", "core-ultra-125h",
                                           "core-ultra-258v", "apple-m4", "server-epyc-h100",
                                           "generic-1pu", "generic-2pu", "generic-3pu", "generic-soc"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        hs_err err;
        hs_hw *hw = hs_hw_load(required[i], &err);
        if (!hw)
            fail_msg("%s: %s", required[i], err.msg);
        hs_hw_free(hw);
    }
}

static void test_sources_disagree_choice(void **state)
{
    (void)state;
    hs_err err;
    hs_hw *hw = hs_hw_load("snapdragon-8gen3", &err);
    assert_non_null(hw);
    /* 68 GB/s (HeteroInfer) chosen over 76.8 (HeRo); achievable 61.9. */
    assert_float_equal(hw->mems[0].peak_bps, 68e9, 1);
    assert_float_equal(hw->mems[0].achievable_bps, 61.9e9, 1);
    int npu = hs_hw_pu_find(hw, "npu");
    assert_int_equal(hw->pus[npu].tile, 32);
    assert_float_equal(hw->pus[npu].peak[HS_DT_INT8], 34e12, 1);
    /* Attention runs on the Hexagon (PowerServe); vector search does not. */
    assert_false(hw->pus[npu].unsupported[HS_OP_ATTENTION]);
    assert_true(hw->pus[npu].unsupported[HS_OP_VECTOR_SEARCH]);
    hs_hw_free(hw);
}

static void test_server_has_separate_memories(void **state)
{
    (void)state;
    hs_err err;
    hs_hw *hw = hs_hw_load("server-epyc-h100", &err);
    assert_non_null(hw);
    assert_int_equal(hw->nmem, 2);
    assert_int_equal(hw->nlinks, 1);
    int gpu = hs_hw_pu_find(hw, "gpu"), hbm = hs_hw_mem_find(hw, "hbm");
    assert_true(hbm > 0);
    assert_int_equal(hw->pus[gpu].mem, hbm);
    assert_int_equal(hw->links[0].from, 0);
    assert_int_equal(hw->links[0].to, hbm);
    assert_float_equal(hw->links[0].bandwidth_bps, 64e9, 1);
    hs_hw_free(hw);
}

/* ---- Inline profiles and lookup. ---------------------------------------- */

static hs_hw *from_text(const char *text, hs_err *err)
{
    hs_node *root = hs_conf_load_string(text, strlen(text), "bad.yaml", err);
    if (!root)
        return NULL;
    hs_hw *hw = hs_hw_from_node(root, err);
    hs_node_free(root);
    return hw;
}

static const char *const TWO_GPUS =
    "name: two\n"
    "description: two gpus and a pu named like itself\n"
    "memory: {bandwidth_gbps: 50}\n"
    "pus:\n"
    "  - {name: big, kind: gpu, peak_tflops: {fp16: 2}}\n"
    "  - {name: gpu, kind: gpu, slots: unlimited}\n"
    "  - {name: n1, kind: npu, slots: 4}\n"
    "  - {name: P1, kind: generic, speed: 2.5}\n";

static void test_lookup_by_name_and_kind(void **state)
{
    (void)state;
    hs_err err;
    hs_hw *hw = from_text(TWO_GPUS, &err);
    if (!hw)
        fail_msg("%s", err.msg);
    assert_int_equal(hs_hw_pu_find(hw, "big"), 0);
    assert_int_equal(hs_hw_pu_find(hw, "npu"), 2);     /* kind: first NPU */
    assert_int_equal(hs_hw_pu_find(hw, "gpu"), 1);     /* a name wins over a kind */
    assert_int_equal(hs_hw_pu_find(hw, "generic"), 3);
    assert_int_equal(hs_hw_pu_find(hw, "cpu"), -1);
    assert_int_equal(hs_hw_pu_lookup(hw, "bgi", &err), -1);
    assert_non_null(strstr(err.msg, "did you mean 'big'"));
    assert_int_equal(hw->pus[1].slots, HS_SLOTS_UNLIMITED);
    assert_int_equal(hw->pus[2].slots, 4);
    assert_int_equal(hw->pus[0].slots, 1);
    /* Defaults: the cap is the memory's achievable bandwidth. */
    assert_float_equal(hw->pus[0].bandwidth_bps, 50e9, 1);
    assert_float_equal(hs_hw_work_s(hw, 3, 10), 4.0, 1e-12);
    hs_hw_free(hw);
}

static void test_builtin_by_scalar_node(void **state)
{
    (void)state;
    hs_err err;
    hs_hw *hw = from_text("generic-3pu\n", &err);
    if (!hw)
        fail_msg("%s", err.msg);
    assert_int_equal(hw->npus, 3);
    assert_int_equal(hs_hw_pu_find(hw, "P3"), 2);
    assert_float_equal(hs_hw_work_s(hw, 0, 14), 14.0, 0);
    hs_hw_free(hw);
    assert_null(from_text("generic-3pux\n", &err));
    assert_non_null(strstr(err.msg, "bad.yaml:1:1: error:"));
}

/* `hw: sub/x.yaml` in a file is found beside that file, whatever the cwd. */
static void test_relative_path_beside_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/hs_hw_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[512], prof[512], top[512];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(prof, sizeof prof, "%s/sub/x.yaml", dir);
    snprintf(top, sizeof top, "%s/exp.yaml", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    FILE *f = fopen(prof, "w");
    assert_non_null(f);
    fputs(TWO_GPUS, f);
    fclose(f);
    f = fopen(top, "w");
    assert_non_null(f);
    fputs("hw: sub/x.yaml\n", f);
    fclose(f);
    hs_err err;
    hs_node *root = hs_conf_load_file(top, &err);
    assert_non_null(root);
    hs_hw *hw = hs_hw_from_node(hs_map_get(root, "hw"), &err);
    if (!hw)
        fail_msg("%s", err.msg);
    assert_string_equal(hw->name, "two");
    assert_string_equal(hw->path, prof);
    hs_hw_free(hw);
    hs_node_free(root);
    remove(prof);
    remove(top);
    rmdir(sub);
    rmdir(dir);
}

/* ---- Errors. ------------------------------------------------------------ */

static void expect_error(const char *text, const char *where, const char *what)
{
    hs_err err;
    hs_hw *hw = from_text(text, &err);
    if (hw) {
        hs_hw_free(hw);
        fail_msg("expected an error at %s", where);
    }
    if (!strstr(err.msg, where) || !strstr(err.msg, what))
        fail_msg("expected '%s' ... '%s', got: %s", where, what, err.msg);
}

static void test_unknown_key_did_you_mean(void **state)
{
    (void)state;
    expect_error("name: x\ndescription: d\nmemory: {bandwidth_gbps: 10}\n"
                 "pus:\n  - name: g\n    kind: gpu\n    bandwdith_gbps: 5\n",
                 "bad.yaml:7:5: error:", "did you mean 'bandwidth_gbps'");
    expect_error("name: x\ndescription: d\nmemroy: {bandwidth_gbps: 10}\npus: []\n", "bad.yaml:3:1: error:",
                 "did you mean 'memory'");
}

static void test_negative_bandwidth(void **state)
{
    (void)state;
    expect_error("name: x\ndescription: d\nmemory: {bandwidth_gbps: -3}\npus: [{name: a, kind: cpu}]\n",
                 "bad.yaml:3:26: error:", "'bandwidth_gbps' must be > 0, found -3");
    expect_error("name: x\ndescription: d\nmemory:\n  bandwidth_gbps: 0\npus: [{name: a, kind: cpu}]\n",
                 "bad.yaml:4:19: error:", "must be > 0");
}

static void test_string_for_number(void **state)
{
    (void)state;
    expect_error("name: x\ndescription: d\nmemory:\n  bandwidth_gbps: fast\npus: [{name: a, kind: cpu}]\n",
                 "bad.yaml:4:19: error:", "fast");
}

static void test_missing_pus(void **state)
{
    (void)state;
    expect_error("name: x\ndescription: d\nmemory: {bandwidth_gbps: 10}\n", "bad.yaml:1:1: error:",
                 "missing key 'pus'");
    expect_error("name: x\ndescription: d\nmemory: {bandwidth_gbps: 10}\npus: []\n", "bad.yaml:4:",
                 "at least one PU");
}

/* The kinds are one list: each loads under its name, `--pu KIND` finds
 * it, and an unknown kind lists them all, in the list's order. */
static void test_pu_kinds_from_one_list(void **state)
{
    (void)state;
    char valid[256] = "valid: ";
    for (int k = 0; k < HS_PU_KIND_COUNT; k++) {
        char text[256];
        snprintf(text, sizeof text, "name: x\ndescription: d\nmemory: {bandwidth_gbps: 10}\n"
                                    "pus: [{name: p, kind: %s}]\n", hs_pu_kind_names[k]);
        hs_err err;
        hs_hw *hw = from_text(text, &err);
        if (!hw)
            fail_msg("%s", err.msg);
        assert_int_equal(hw->pus[0].kind, k);
        assert_string_equal(hs_pu_kind_name(hw->pus[0].kind), hs_pu_kind_names[k]);
        assert_int_equal(hs_hw_pu_find(hw, hs_pu_kind_names[k]), 0);
        hs_hw_free(hw);
        snprintf(valid + strlen(valid), sizeof valid - strlen(valid), "%s%s", k ? ", " : "", hs_pu_kind_names[k]);
    }
    assert_null(hs_pu_kind_names[HS_PU_KIND_COUNT]);
    assert_string_equal(hs_pu_kind_name(HS_PU_KIND_COUNT), "?");
    expect_error("name: x\ndescription: d\nmemory: {bandwidth_gbps: 10}\npus: [{name: a, kind: tpu}]\n",
                 "bad.yaml:4:", valid);
}

static void test_other_errors(void **state)
{
    (void)state;
    const char *head = "name: x\ndescription: d\nmemory: {bandwidth_gbps: 10}\npus:\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%s  - {name: npu, kind: gpu}\n", head);
    expect_error(buf, "bad.yaml:5:", "is a kind name");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: gpu}\n  - {name: a, kind: npu}\n", head);
    expect_error(buf, "bad.yaml:6:", "duplicate PU name 'a'");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: tpu}\n", head);
    expect_error(buf, "bad.yaml:5:", "tpu");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, static_shapes: [1, 64, 32]}\n", head);
    expect_error(buf, "bad.yaml:5:", "strictly increasing");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, memory: hmb}\n", head);
    expect_error(buf, "bad.yaml:5:", "unknown memory 'hmb'");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, unsupported: [atention]}\n", head);
    expect_error(buf, "bad.yaml:5:", "attention");
    snprintf(buf, sizeof buf,
             "%s  - {name: a, kind: npu}\ntables:\n  - {op: gemm, pu: b, vary: m, points: [[1, 1e-3]]}\n", head);
    expect_error(buf, "bad.yaml:7:", "unknown PU 'b'");
    snprintf(buf, sizeof buf,
             "%s  - {name: a, kind: npu}\ntables:\n  - {op: gemm, pu: a, vary: m, points: [[2, 1e-3], [1, 2e-3]]}\n",
             head);
    expect_error(buf, "bad.yaml:7:", "strictly increasing");
    expect_error("name: x\ndescription: d\nmemory: {bandwidth_gbps: 10, achievable_gbps: 20}\n"
                 "pus: [{name: a, kind: cpu}]\n",
                 "bad.yaml:3:", "exceeds");
}

/* The size law, the queued launch and the shape reference. */
static void test_new_model_keys(void **state)
{
    (void)state;
    const char *head = "name: x\ndescription: d\nmemory: {bandwidth_gbps: 10}\npus:\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, launch_us: 100, queue_launch_us: 150}\n", head);
    expect_error(buf, "bad.yaml:5:", "queue_launch_us (150) cannot exceed launch_us (100)");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, queue_launch_us: 5}\n", head);
    expect_error(buf, "bad.yaml:5:", "cannot exceed launch_us (0)");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, size_efficiency: {max: 0.5}}\n", head);
    expect_error(buf, "bad.yaml:5:", "missing key 'half'");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, size_efficiency: {max: 1.5, half: 10}}\n", head);
    expect_error(buf, "bad.yaml:5:", "max");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, size_efficiency: {max: 0.5, half: 0}}\n", head);
    expect_error(buf, "bad.yaml:5:", "must be > 0");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, size_efficiency: {max: 0.5, halve: 8}}\n", head);
    expect_error(buf, "bad.yaml:5:", "did you mean 'half'");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, size_efficiency: 0.5}\n", head);
    expect_error(buf, "bad.yaml:5:", "size_efficiency");
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, shape_penalty_ref: 0}\n", head);
    expect_error(buf, "bad.yaml:5:", "shape_penalty_ref");
    /* Valid: the defaults disable all three. */
    hs_err err;
    snprintf(buf, sizeof buf, "%s  - {name: a, kind: npu, launch_us: 100}\n", head);
    hs_hw *hw = from_text(buf, &err);
    assert_non_null(hw);
    assert_float_equal(hw->pus[0].queue_launch_s, 100e-6, 1e-18);
    assert_float_equal(hw->pus[0].size_eff_half, 0, 0);
    assert_int_equal(hw->pus[0].shape_penalty_ref, 0);
    hs_hw_free(hw);
    snprintf(buf, sizeof buf,
             "%s  - {name: a, kind: npu, launch_us: 100, queue_launch_us: 100, shape_penalty_ref: 4096,\n"
             "     size_efficiency: {max: 0.51, half: 2100}}\n",
             head);
    hw = from_text(buf, &err);
    if (!hw)
        fail_msg("%s", err.msg);
    assert_float_equal(hw->pus[0].size_eff_max, 0.51, 1e-15);
    assert_float_equal(hw->pus[0].size_eff_half, 2100, 0);
    assert_int_equal(hw->pus[0].shape_penalty_ref, 4096);
    hs_hw_free(hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_builtin_loads),
        cmocka_unit_test(test_pu_kinds_from_one_list),
        cmocka_unit_test(test_sources_disagree_choice),
        cmocka_unit_test(test_server_has_separate_memories),
        cmocka_unit_test(test_lookup_by_name_and_kind),
        cmocka_unit_test(test_builtin_by_scalar_node),
        cmocka_unit_test(test_relative_path_beside_file),
        cmocka_unit_test(test_unknown_key_did_you_mean),
        cmocka_unit_test(test_negative_bandwidth),
        cmocka_unit_test(test_string_for_number),
        cmocka_unit_test(test_missing_pus),
        cmocka_unit_test(test_other_errors),
        cmocka_unit_test(test_new_model_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
