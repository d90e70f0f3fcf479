/* `hetsoc profile`'s writer round trip: a quick calibration of this machine
 * writes a profile that hw/ loads like any other (PUs bound as documented,
 * the NPU's shape rules, tables with measured points, labelled figures),
 * the same profile, number for number, as the tree it was written from,
 * and whose tables the model then uses for the workload's kernels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/real/real_test.h"

/* Bit for bit, NaN equal to NaN. */
static void same(double a, double b, const char *what, size_t i)
{
    if (memcmp(&a, &b, sizeof a) != 0)
        fail_msg("%s of #%zu: %.17g written, %.17g read back", what, i, a, b);
}

static void same_curve(const hs_curve *a, const hs_curve *b, size_t i)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->n, b->n);
    for (size_t j = 0; j < a->n; j++) {
        same(a->x[j], b->x[j], "table x", i);
        same(a->y[j], b->y[j], "table seconds", i);
    }
    same(a->lo, b->lo, "table lo", i);
    same(a->hi, b->hi, "table hi", i);
}

static void same_pu(const hs_pu *a, const hs_pu *b, size_t i)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->model, b->model);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->mem, b->mem);
    assert_int_equal(a->slots, b->slots);
    for (int dt = 0; dt < HS_DT_COUNT; dt++)
        same(a->peak[dt], b->peak[dt], "peak", i);
    for (int op = 0; op < HS_OP_COUNT; op++) {
        same(a->op_eff[op], b->op_eff[op], "op_efficiency", i);
        assert_int_equal(a->unsupported[op], b->unsupported[op]);
    }
    const double *x[] = {&a->speed, &a->compute_eff, &a->bandwidth_bps, &a->mem_eff, &a->launch_s,
                         &a->queue_launch_s, &a->sync_naive_s, &a->sync_fast_s, &a->preempt_s,
                         &a->power_active_w, &a->power_idle_w};
    const double *y[] = {&b->speed, &b->compute_eff, &b->bandwidth_bps, &b->mem_eff, &b->launch_s,
                         &b->queue_launch_s, &b->sync_naive_s, &b->sync_fast_s, &b->preempt_s,
                         &b->power_active_w, &b->power_idle_w};
    for (size_t k = 0; k < sizeof x / sizeof *x; k++)
        same(*x[k], *y[k], "a PU figure", i);
    assert_int_equal(a->tile, b->tile);
    assert_int_equal(a->nstatic, b->nstatic);
    for (size_t k = 0; k < a->nstatic; k++)
        assert_int_equal(a->static_m[k], b->static_m[k]);
    assert_int_equal(a->shape_policy, b->shape_policy);
}

/* Every number of the profile built from the tree and of the one loaded
 * from the written text. */
static void same_hw(const hs_hw *a, const hs_hw *b)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->description, b->description);
    assert_int_equal(a->nmem, b->nmem);
    for (size_t i = 0; i < a->nmem; i++) {
        assert_string_equal(a->mems[i].name, b->mems[i].name);
        same(a->mems[i].peak_bps, b->mems[i].peak_bps, "memory bandwidth", i);
        same(a->mems[i].achievable_bps, b->mems[i].achievable_bps, "achievable bandwidth", i);
        same(a->mems[i].energy_j_per_byte, b->mems[i].energy_j_per_byte, "memory energy", i);
    }
    assert_int_equal(a->npus, b->npus);
    for (size_t i = 0; i < a->npus; i++)
        same_pu(&a->pus[i], &b->pus[i], i);
    assert_int_equal(a->ntables, b->ntables);
    for (size_t i = 0; i < a->ntables; i++) {
        const hs_table *s = &a->tables[i], *t = &b->tables[i];
        assert_int_equal(s->op, t->op);
        assert_int_equal(s->pu, t->pu);
        assert_int_equal(s->vary, t->vary);
        assert_memory_equal(s->fixed, t->fixed, sizeof s->fixed);
        same_curve(&s->curve, &t->curve, i);
    }
}

static void test_profile_round_trip(void **state)
{
    (void)state;
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/hetsoc-profile-test-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    hs_real_profile_opts o = {.quick = true, .name = "test-measured"};
    hs_err err;
    /* What hs_real_profile writes: the tree, emitted. */
    hs_node *tree = hs_real_profile_tree(&o, &err);
    if (!tree)
        fail_msg("%s", err.msg);
    char *yaml = hs_node_to_yaml(tree);
    assert_non_null(yaml);
    fputs(yaml, f);
    free(yaml);
    fclose(f);
    hs_hw *hw = hs_hw_load_file(path, &err);
    if (!hw)
        fail_msg("%s", err.msg);
    hs_hw *built = hs_hw_from_node(tree, &err);
    if (!built)
        fail_msg("%s", err.msg);
    same_hw(built, hw);
    hs_hw_free(built);
    hs_node_free(tree);
    assert_string_equal(hw->name, "test-measured");
    /* CPU only: two sub-devices, the second an emulated NPU; with GPUs,
     * each its own PU first. */
    int cpu = hs_hw_pu_find(hw, "cpu"), npu = hs_hw_pu_find(hw, "npu");
    assert_true(cpu >= 0 && npu >= 0);
    assert_int_equal(hw->pus[npu].kind, HS_PU_NPU);
    assert_true(hw->pus[npu].nstatic > 0 && hw->pus[npu].tile > 1);
    assert_true(hw->pus[npu].unsupported[HS_OP_ATTENTION]);
    assert_true(hw->pus[cpu].launch_s > 0 && hw->pus[cpu].peak[HS_DT_FP32] > 0);
    assert_true(hw->mems[0].achievable_bps > 0 && hw->mems[0].achievable_bps <= hw->mems[0].peak_bps);
    assert_true(hw->ntables > 5);
    /* A GEMV of tiny-llm's LM head is in a table, on the CPU PU. */
    hs_kernel k = hs_kernel_make(HS_OP_GEMM, 1, 1024, 128);
    k.dtype = k.weight_dtype = HS_DT_FP32;
    hs_pred pr;
    assert_int_equal(hs_hw_predict(hw, cpu, &k, 0, &pr, &err), 0);
    assert_true(pr.from_table);
    assert_true(pr.latency_s > 0 && pr.latency_s < 1);
    /* tiny-embed's GELU is a generic op: its FLOPs come from the workload,
     * not the shape, and its table points keep them (scaled to each point's
     * rows), so its efficiency is measured rather than the fit's floor of
     * 1e-4.  A batched GELU off the tables (120 rows, as flashrag-like's
     * batched rerank runs: 8 * 120 * 256 FLOPs, as many bytes) then costs
     * about what the tabled rows cost per row, well under 20 ms; at the
     * floor it cost 0.2 s on a ~10 GFLOPS sub-device. */
    for (int pu = 0; pu < (int)hw->npus; pu++)
        assert_true(hw->pus[pu].op_eff[HS_OP_GENERIC] > 1e-3);
    hs_kernel gelu = hs_kernel_make(HS_OP_GENERIC, 120, 256, 1);
    gelu.dtype = gelu.weight_dtype = HS_DT_FP32;
    gelu.flops = gelu.bytes = 8.0 * 120 * 256;
    assert_int_equal(hs_hw_predict(hw, cpu, &gelu, 0, &pr, &err), 0);
    assert_false(pr.from_table);
    assert_true(pr.latency_s > 0 && pr.latency_s < 0.02);
    /* The header says when, where and how it was measured. */
    FILE *r = fopen(path, "r");
    char head[4096] = "";
    size_t n = fread(head, 1, sizeof head - 1, r);
    head[n] = '\0';
    fclose(r);
    assert_non_null(strstr(head, "measured on"));
    assert_non_null(strstr(head, "OpenCL devices:"));
    assert_non_null(strstr(head, "spread = IQR / median"));
    assert_non_null(strstr(head, "# measured:"));
    hs_hw_free(hw);
    unlink(path);
}

static void test_builtin_profile(void **state)
{
    (void)state;
    /* The committed profile of this kind of machine loads and covers the
     * workload's kernels on both PUs. */
    hs_err err;
    hs_hw *hw = hs_hw_load("pocl-cpu-2pu", &err);
    if (!hw)
        fail_msg("%s", err.msg);
    assert_int_equal(hw->npus, 2);
    assert_true(hw->ntables > 10);
    /* Its generic efficiencies were re-derived from its own tables (the
     * header says how); at the old floor a batched GELU took 0.2 s. */
    for (int pu = 0; pu < (int)hw->npus; pu++)
        assert_true(hw->pus[pu].op_eff[HS_OP_GENERIC] > 1e-3);
    hs_hw_free(hw);
}

int main(void)
{
    rt_skip_without_device();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_round_trip),
        cmocka_unit_test(test_builtin_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
