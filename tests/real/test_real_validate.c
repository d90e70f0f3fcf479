/* Validation's statistics on the real backend: repetitions give the error
 * and the noise floor with their intervals, the kernel breakdown accounts
 * for every paired kernel, and the machine check tells a profile of this
 * machine from one of another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "tests/real/real_test.h"
#include "tests/yaml_test.h"

static const char wl_yaml[] =
    "name: tiny-test\n"
    "description: a few tiny LLM requests\n"
    "granularity: op\n"
    "requests: 4\n"
    "classes:\n"
    "  - {name: ask, workflow: llm, params: {model: tiny-llm, quant: fp32, prompt: 8, output: 3},\n"
    "     arrival: {process: poisson, rate: 20}}\n";

static hs_workload *load_wl(void)
{
    hs_err err;
    hs_node *n = hs_conf_load_string(wl_yaml, strlen(wl_yaml), "<test workload>", &err);
    hs_workload *wl = NULL;
    if (!n || hs_workload_from_node(n, &wl, &err) != 0)
        fail_msg("%s", err.msg);
    hs_node_free(n);
    return wl;
}

static size_t class_kernels(const hs_real_kernel_class *c, size_t n)
{
    size_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += c[i].kernels;
    return sum;
}

static void assert_by_impact(const hs_real_kernel_class *c, size_t n)
{
    for (size_t i = 1; i < n; i++)
        assert_true(fabs(c[i - 1].impact_s) >= fabs(c[i].impact_s));
}

static void test_repeat(void **state)
{
    (void)state;
    hs_err err;
    hs_hw *hw = hs_hw_load("pocl-cpu-2pu", &err);
    hs_workload *wl = load_wl();
    assert_non_null(hw);
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = hs_policy_lookup("eft", &err), .seed = 1, .end_time = INFINITY};
    hs_real_validation v;
    if (hs_real_validate(&cfg, &(hs_real_opts){.repeat = 3}, &v, NULL, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(v.repeat, 3);
    assert_int_equal(v.runs, 1);
    assert_int_equal(v.requests, 4);
    assert_true(isfinite(v.noise_floor_request_latency) && v.noise_floor_request_latency >= 0);
    assert_true(isfinite(v.noise_floor_request_latency_ci) && v.noise_floor_request_latency_ci >= 0);
    assert_true(isfinite(v.noise_floor_kernel_error) && v.noise_floor_kernel_error >= 0);
    assert_true(isfinite(v.noise_floor_kernel_error_ci) && v.noise_floor_kernel_error_ci >= 0);
    assert_true(isfinite(v.mape_request_latency_ci) && v.mape_request_latency_ci >= 0);
    /* The MAPE is the mean of the repetitions'; the median lies among them. */
    double sum = 0, lo = INFINITY, hi = 0;
    for (int i = 0; i < 3; i++) {
        sum += v.mape_request_latency_reps[i];
        lo = fmin(lo, v.mape_request_latency_reps[i]);
        hi = fmax(hi, v.mape_request_latency_reps[i]);
    }
    assert_float_equal(v.mape_request_latency, sum / 3, 1e-12);
    assert_true(v.mape_request_latency_median >= lo && v.mape_request_latency_median <= hi);
    /* Every paired kernel of every repetition is in one class and one shape. */
    assert_true(v.nclasses > 0 && v.nshapes >= v.nclasses);
    assert_int_equal(class_kernels(v.classes, v.nclasses), 3 * v.kernels);
    assert_int_equal(class_kernels(v.shapes, v.nshapes), 3 * v.kernels);
    assert_by_impact(v.classes, v.nclasses);
    assert_by_impact(v.shapes, v.nshapes);
    for (size_t i = 0; i < v.nclasses; i++) {
        assert_true(v.classes[i].median_abs_error >= fabs(v.classes[i].median_error) - 1e-12 ||
                    v.classes[i].kernels % 2 == 0);
        assert_true(v.classes[i].flops == 0 && v.classes[i].bytes == 0);
    }
    assert_true(v.median_kernel_error >= 0 && isfinite(v.median_kernel_error));
    hs_real_validation_free(&v);
    assert_null(v.classes);
    assert_true(hs_real_validate(&cfg, &(hs_real_opts){.repeat = HS_REAL_MAX_REPEAT + 1}, &v, NULL, NULL, &err)
                != 0);
    assert_non_null(strstr(err.msg, "at most"));
    hs_workload_free(wl);
    hs_hw_free(hw);
}

/* A profile file whose notes end with `machine` (none: no notes). */
static hs_hw *profile_on(const char *machine, char *path)
{
    char text[2048];
    int n = snprintf(text, sizeof text, "name: somewhere\ndescription: x\nmemory: {bandwidth_gbps: 10}\n"
                                        "pus: [{name: cpu, kind: cpu, peak_tflops: {fp32: 0.1}}]\n");
    if (machine)
        snprintf(text + n, sizeof text - (size_t)n, "notes: \"Calibrated on a host.  Machine: %s\"\n", machine);
    yaml_file("hs_machine", text, path, 256);
    hs_err err;
    hs_hw *hw = hs_hw_load_file(path, &err);
    if (!hw)
        fail_msg("%s", err.msg);
    return hw;
}

static void test_machine(void **state)
{
    (void)state;
    char here[1024], path[256], why[4096];
    hs_err err;
    assert_int_equal(hs_real_machine(here, sizeof here, &err), 0);
    assert_non_null(strstr(here, "CUs); CPU: "));
    hs_hw *hw = profile_on(here, path);
    assert_int_equal(hs_real_machine_check(hw, why, sizeof why), 1);
    hs_hw_free(hw);
    remove(path);
    hw = profile_on("Imaginary Device (64 CUs); CPU: Imaginary CPU", path);
    assert_int_equal(hs_real_machine_check(hw, why, sizeof why), 0);
    assert_non_null(strstr(why, "Imaginary CPU"));
    assert_non_null(strstr(why, "hetsoc profile"));
    hs_hw_free(hw);
    remove(path);
    hw = profile_on(NULL, path);
    assert_int_equal(hs_real_machine_check(hw, why, sizeof why), -1);
    assert_non_null(strstr(why, "does not record"));
    hs_hw_free(hw);
    remove(path);
}

int main(void)
{
    rt_skip_without_device();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeat),
        cmocka_unit_test(test_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
