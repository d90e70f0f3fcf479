/* The paper check: predicted single-request prefill / decode rates vs the
 * published figures (the table of workloads/README.md).  The rows inside
 * +-25% must stay inside; the rows documented as misses must stay as
 * documented (so the README stays true either way), and no row may drift
 * beyond a factor the lowering itself would explain. */
#include "wl_test.h"

/* Row order of workloads/check.c and verdicts of workloads/README.md. */
static const struct {
    const char *what;
    bool pass;
} expected[] = {
    {"PowerServe NPU prefill, Llama-3.2-1B", false},   /* +33%: NPU efficiency on small GEMMs */
    {"PowerServe NPU decode, Llama-3.2-1B", true},
    {"PowerServe NPU prefill, Llama-3.1-8B", false},   /* -25.0%: the converse */
    {"PowerServe NPU decode, Llama-3.1-8B", false},    /* -31%: needs 48 GB/s from one PU */
    {"PowerServe NPU prefill, Qwen2.5-3B", true},
    {"PowerServe NPU decode, Qwen2.5-3B", true},
    {"HeteroInfer GPU+NPU decode, Llama-8B", true},
    {"HeteroInfer GPU+NPU decode, Llama-3B", true},
    {"HeteroInfer GPU+NPU decode, InternLM-1.8B", true},
    {"HeteroInfer GPU+NPU prefill, Llama-8B", true},
    {"HeteroInfer GPU+NPU prefill, InternLM-1.8B", false},   /* -27%: small GEMMs again */
    {"GPU-only decode, Llama-8B", true},
    {"AI Hub (Genie) NPU decode, Llama-3.2-3B", true},
    {"AI Hub (Genie) NPU prefill, Llama-3.2-3B", true},
    {"llama.cpp OpenCL GPU prefill, Qwen 1.5B", true},
    {"llama.cpp OpenCL GPU decode, Qwen 1.5B", false},  /* -26%: 128 us a kernel launch */
};

static void test_check_table(void **state)
{
    (void)state;
    hs_check_row *rows;
    size_t n;
    hs_err err;
    int failed = hs_workload_check(&rows, &n, &err);
    if (failed < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n, sizeof expected / sizeof expected[0]);
    int want_failed = 0;
    for (size_t i = 0; i < n; i++) {
        const hs_check_row *r = &rows[i];
        assert_contains(r->what, expected[i].what);
        assert_string_equal(r->unit, "tok/s");
        assert_true(r->predicted > 0 && r->published > 0);
        if (r->pass != expected[i].pass)
            fail_msg("%s on %s: predicted %.1f, published %.1f (%+.0f%%): the README says %s",
                     r->what, r->hw, r->predicted, r->published,
                     100 * (r->predicted / r->published - 1),
                     expected[i].pass ? "within 25%" : "outside 25%");
        /* Even a documented miss stays within a factor 1.5. */
        assert_true(r->predicted > r->published / 1.5 && r->predicted < r->published * 1.5);
        want_failed += r->asserted && !r->pass;
    }
    assert_int_equal(failed, want_failed);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
