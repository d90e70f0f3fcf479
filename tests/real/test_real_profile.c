/* `hetsoc profile`'s writer round trip: a quick calibration of this machine
 * writes a profile that hw/ loads like any other (PUs bound as documented,
 * the NPU's shape rules, tables with measured points, labelled figures),
 * and whose tables the model then uses for the workload's kernels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/real/real_test.h"

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
    if (hs_real_profile(&o, f, &err) != 0)
        fail_msg("%s", err.msg);
    fclose(f);
    hs_hw *hw = hs_hw_load_file(path, &err);
    if (!hw)
        fail_msg("%s", err.msg);
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
