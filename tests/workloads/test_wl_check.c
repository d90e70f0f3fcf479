/* The paper check: predicted single-request prefill / decode rates vs the
 * published figures (the table of workloads/README.md).  Every row is
 * inside +-25% and must stay there: the verdicts are pinned here (held-out
 * rows too: a miss there is a finding to report, never a reason to tune), and the
 * margins (the README's error column) may drift by a few percent at most
 * before the README must be updated. */
#include "wl_test.h"

#include <math.h>

/* Row order of workloads/check.c, the README's error column (percent), and
 * the figure's tag (hw/published/figures.yaml): fit rows are asserted,
 * held-out rows are predictions (pinned here all the same). */
static const struct {
    const char *what;
    double err_pct;
    const char *tag;
} expected[] = {
    {"PowerServe NPU prefill, Llama-3.2-1B", +12, "fit"},
    {"PowerServe NPU decode, Llama-3.2-1B", -11, "fit"},
    {"PowerServe NPU prefill, Llama-3.1-8B", -14, "fit"},
    {"PowerServe NPU decode, Llama-3.1-8B", -23, "fit"},
    {"PowerServe NPU prefill, Qwen2.5-3B", -17, "fit"},
    {"PowerServe NPU decode, Qwen2.5-3B", +1, "fit"},
    {"HeteroInfer GPU+NPU decode, Llama-8B", -12, "fit"},
    {"HeteroInfer GPU+NPU decode, Llama-3B", -13, "fit"},
    {"HeteroInfer GPU+NPU decode, InternLM-1.8B", -15, "fit"},
    {"HeteroInfer GPU+NPU prefill, Llama-8B", -0, "held-out"},
    {"HeteroInfer GPU+NPU prefill, InternLM-1.8B", -8, "held-out"},
    {"HeteroInfer GPU+NPU over GPU-alone decode gain, Llama-8B", -5, "held-out"},
    {"AI Hub (Genie) NPU decode, Llama-3.2-3B", -7, "held-out"},
    {"AI Hub (Genie) NPU prefill, Llama-3.2-3B", -18, "held-out"},
    {"llama.cpp OpenCL GPU prefill, Qwen 1.5B", +14, "fit"},
    {"llama.cpp OpenCL GPU decode, Qwen 1.5B", -4, "fit"},
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
    for (size_t i = 0; i < n; i++) {
        const hs_check_row *r = &rows[i];
        assert_contains(r->what, expected[i].what);
        assert_string_equal(r->unit, strstr(r->what, "gain") ? "x" : "tok/s");
        assert_true(r->predicted > 0 && r->published > 0);
        assert_string_equal(r->tag, expected[i].tag);
        assert_int_equal(r->asserted, strcmp(expected[i].tag, "fit") == 0);
        double e = 100 * (r->predicted / r->published - 1);
        if (!r->pass)
            fail_msg("%s on %s: predicted %.1f, published %.1f (%+.0f%%): the README says within 25%%",
                     r->what, r->hw, r->predicted, r->published, e);
        /* The README's error column stays true to within 3 points. */
        if (fabs(e - expected[i].err_pct) > 3)
            fail_msg("%s: error %+.1f%%, the README says %+.0f%%: update workloads/README.md", r->what, e,
                     expected[i].err_pct);
    }
    assert_int_equal(failed, 0);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
