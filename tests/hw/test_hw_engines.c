/* Tests of the engine presets (hw/engines/, hw.h "Engine presets"): the
 * built-in presets load and their stored efficiencies are their fits; a
 * preset changes exactly the named PUs' efficiencies; `profile` changes
 * nothing; a policy's `engine` parameter applies the preset (and checks its
 * name); bad preset files give positioned errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/hw.h"
#include "tests/yaml_test.h"
#include "policies/registry.h"
#include "sim/engine/engine.h"
#include "workloads/workloads.h"

static hs_hw *load(const char *name)
{
    hs_err err;
    hs_hw *hw = hs_hw_load(name, &err);
    if (!hw)
        fail_msg("%s: %s", name, err.msg);
    return hw;
}

/* ---- Every built-in preset loads and is its own fit. -------------------- */

static void refit_one(const char *name, const char *path, void *ctx)
{
    if (!path)
        return; /* "profile" */
    hs_err err;
    hs_engine *e = hs_engine_load(path, &err);
    if (!e)
        fail_msg("preset %s does not load: %s", name, err.msg);
    assert_string_equal(e->name, name);
    for (size_t i = 0; i < e->nfigs; i++) {
        const hs_engine_fig *f = &e->figs[i];
        double fitted, at;
        if (hs_engine_fit(f, &fitted, &at, &err) < 0)
            fail_msg("%s: %s", name, err.msg);
        /* Stored as the fit rounded to 3 decimals (`hetsoc hw engines`). */
        if (fabs(f->value - fitted) > 0.0005 + 1e-9)
            fail_msg("%s %s %s: stored %g, fit %g", name, f->profile, f->pu, f->value, fitted);
        /* With the stored value the model gives the figure within the
         * rounding (0.0005 / 0.2 = 0.25%), unless the fit is capped at 1. */
        if (fitted < 1)
            assert_true(fabs(at / f->rate - 1) < 0.005);
        else
            assert_true(at <= f->rate);
    }
    hs_engine_free(e);
    ++*(int *)ctx;
}

static void test_builtins_are_their_fits(void **state)
{
    (void)state;
    int n = 0;
    size_t names = hs_engine_names(refit_one, &n);
    assert_int_equal(names, (size_t)n + 1);
    static const char *const contract[] = {"profile", "llama.cpp", "powerserve", "openvino", "mlc",
                                           "mnn", "llm.npu", "powerinfer-2", "vllm"};
    for (size_t i = 0; i < sizeof contract / sizeof contract[0]; i++) {
        hs_err err;
        if (hs_engine_check_name(contract[i], &err) != 0)
            fail_msg("%s: %s", contract[i], err.msg);
    }
}

/* ---- Application. -------------------------------------------------------- */

/* The PUs of a and b agree in every field but the efficiencies of pu. */
static void assert_only_efficiencies_differ(const hs_hw *a, const hs_hw *b, int pu)
{
    assert_int_equal(a->npus, b->npus);
    for (size_t i = 0; i < a->npus; i++) {
        hs_pu x = a->pus[i], y = b->pus[i];
        if ((int)i == pu) {
            y.compute_eff = x.compute_eff;
            y.size_eff_max = x.size_eff_max;
            y.mem_eff = x.mem_eff;
        }
        /* Pointers and names are the two profiles' own copies. */
        y.name = x.name, y.model = x.model, y.static_m = x.static_m, y.graph_build = x.graph_build;
        assert_memory_equal(&x, &y, sizeof x);
    }
}

static void test_preset_sets_named_pus_only(void **state)
{
    (void)state;
    hs_hw *ref = load("snapdragon-8gen3"), *hw = load("snapdragon-8gen3");
    hs_err err;
    hs_engine_status st;
    /* mlc has one figure: the GPU's memory efficiency. */
    assert_int_equal(hs_engine_apply_named(hw, "mlc", &st, &err), 0);
    assert_int_equal(st, HS_ENGINE_FITTED);
    int gpu = hs_hw_pu_find(hw, "gpu");
    assert_float_equal(hw->pus[gpu].mem_eff, 0.860, 1e-12);
    assert_float_equal(hw->pus[gpu].compute_eff, ref->pus[gpu].compute_eff, 0);
    assert_only_efficiencies_differ(ref, hw, gpu);
    /* On an NPU with a size law a compute efficiency is the law's asymptote. */
    int npu = hs_hw_pu_find(hw, "npu");
    assert_int_equal(hs_engine_apply_named(hw, "llm.npu", &st, &err), 0);
    assert_float_equal(hw->pus[npu].size_eff_max, 0.208, 1e-12);
    assert_float_equal(hw->pus[npu].size_eff_half, ref->pus[npu].size_eff_half, 0);
    assert_float_equal(hw->pus[npu].compute_eff, ref->pus[npu].compute_eff, 0);
    hs_hw_free(ref);
    hs_hw_free(hw);
}

static void test_profile_and_no_figures_change_nothing(void **state)
{
    (void)state;
    hs_err err;
    hs_engine_status st;
    static const struct {
        const char *hw, *engine;
        hs_engine_status st;
    } cases[] = {
        {"snapdragon-8gen3", "profile", HS_ENGINE_PROFILE},
        {"core-ultra-125h", "openvino", HS_ENGINE_NO_FIGURES},
        {"core-ultra-125h", "llama.cpp", HS_ENGINE_NO_FIGURES},
        {"server-epyc-h100", "vllm", HS_ENGINE_PROFILE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hs_hw *ref = load(cases[i].hw), *hw = load(cases[i].hw);
        assert_int_equal(hs_engine_apply_named(hw, cases[i].engine, &st, &err), 0);
        assert_int_equal(st, cases[i].st);
        assert_only_efficiencies_differ(ref, hw, -1);
        hs_hw_free(ref);
        hs_hw_free(hw);
    }
}

/* A run of heterollm with `engine: llama.cpp` on snapdragon-8gen3 runs on
 * the profile with llama.cpp's CPU memory efficiency, 0.529: a Llama-3.1-8B
 * W4A16 decode step on the CPU alone (op granularity: 259 kernels with
 * standalone 5 us launches, all memory-bound) is then, by hand,
 *     bytes / (u_m x 40 GB/s) + kernels x 5 us
 *   = 3.796 GB / 21.16 GB/s + 259 x 5 us = 0.17940 s + 0.00130 s = 0.18069 s,
 * 1 / 0.18069 s = 5.534 tok/s: the figure it was fitted to within the
 * rounding of 0.529 (HeteroInfer's 14.01 tok/s over its 2.53x against
 * llama.cpp, 5.54); the profile's own 0.8 gives 8.34 tok/s.  (3.796 GB: the
 * weights at 0.5 + 2/128 bytes, the LM head and the 256-token KV cache, as
 * hs_llm_rate lowers them.) */
static void test_policy_engine_parameter(void **state)
{
    (void)state;
    hs_err err;
    const hs_policy_ops *p = hs_policy_lookup("heterollm", &err);
    assert_non_null(p);
    hs_node *params = hs_conf_load_string("{engine: llama.cpp}", 19, "<test>", &err);
    assert_non_null(params);
    hs_hw *hw = load("snapdragon-8gen3");
    char name[64];
    hs_engine_status st;
    assert_int_equal(hs_policy_engine_apply(p, params, hw, name, sizeof name, &st, &err), 0);
    assert_string_equal(name, "llama.cpp");
    assert_int_equal(st, HS_ENGINE_FITTED);
    hs_rate_spec decode = {.pus = "cpu", .model = "llama-3.1-8b", .quant = "w4a16", .gran = HS_GRAN_OP,
                           .prompt = 256, .phase = HS_PHASE_DECODE};
    double rate;
    assert_int_equal(hs_llm_rate(hw, &decode, &rate, &err), 0);
    assert_float_equal(rate, 5.54, 5.54 * 0.005);
    hs_hw_free(hw);
    hs_node_free(params);

    /* The default is the profile's own calibration. */
    hw = load("snapdragon-8gen3");
    assert_int_equal(hs_policy_engine_apply(p, NULL, hw, name, sizeof name, &st, &err), 0);
    assert_string_equal(name, "profile");
    assert_int_equal(st, HS_ENGINE_PROFILE);
    hs_hw_free(hw);

    /* A policy without the parameter is left alone. */
    hw = load("snapdragon-8gen3");
    assert_int_equal(hs_policy_engine_apply(hs_policy_lookup("fifo", &err), NULL, hw, name, sizeof name, &st, &err),
                     0);
    assert_string_equal(name, "");
    assert_int_equal(st, HS_ENGINE_NONE);
    hs_hw_free(hw);
}

static void test_unknown_engine_at_the_value(void **state)
{
    (void)state;
    hs_err err;
    const hs_policy_ops *p = hs_policy_lookup("hero", &err);
    const char *text = "alpha: 1\nengine: mcl\n";
    hs_node *params = hs_conf_load_string(text, strlen(text), "<test>", &err);
    assert_int_equal(hs_policy_params_check(p, params, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "<test>:2:9: error: unknown engine 'mcl' (did you mean 'mlc'?); engines: "
                                    "profile, llama.cpp, llm.npu, mlc, mnn, openvino, powerinfer-2, powerserve, vllm"));
    hs_node_free(params);
}

/* ---- Bad preset files. -------------------------------------------------- */

static void expect_load_error(const char *body, const char *want)
{
    char path[512];
    yaml_file("hs_engine", body, path, sizeof path);
    hs_err err;
    hs_engine *e = hs_engine_load(path, &err);
    unlink(path);
    if (e || !strstr(err.msg, want))
        fail_msg("want '%s', got '%s'", want, e ? "(loaded)" : err.msg);
}

#define HEAD "name: bad\ndescription: a bad preset\nfigures:\n"
#define FIT "    fit: {rate: 9, model: llama-3.1-8b, quant: w4a16, granularity: op, prompt: 256}\n"

static void test_bad_presets(void **state)
{
    (void)state;
    expect_load_error(HEAD "  - {profile: snapdragon-9, pu: gpu, memory_efficiency: 0.5, source: s}\n",
                      ":4:15: error: unknown hw 'snapdragon-9'");
    expect_load_error(HEAD "  - profile: snapdragon-8gen3\n    pu: tpu\n    memory_efficiency: 0.5\n" FIT
                           "    source: s\n",
                      ":5:9: error: unknown PU 'tpu'");
    expect_load_error(HEAD "  - profile: snapdragon-8gen3\n    pu: gpu\n    memory_efficiency: 1.5\n" FIT
                           "    source: s\n",
                      ":6:24: error: 'memory_efficiency' must be > 0 and <= 1, found 1.5");
    expect_load_error(HEAD "  - profile: snapdragon-8gen3\n    pu: gpu\n    memory_efficiency: 0.5\n" FIT,
                      ":4:5: error: missing key 'source'");
    expect_load_error(HEAD "  - profile: snapdragon-8gen3\n    pu: gpu\n    memory_efficiency: 0.5\n    source: s\n",
                      ":4:5: error: missing key 'fit'");
    expect_load_error(HEAD "  - profile: snapdragon-8gen3\n    pu: gpu\n    source: s\n" FIT,
                      ":4:5: error: a figure sets exactly one of");
    expect_load_error("name: bad\ndescription: d\nfigurs: []\n", ":3:1: error: unknown key 'figurs'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins_are_their_fits),
        cmocka_unit_test(test_preset_sets_named_pus_only),
        cmocka_unit_test(test_profile_and_no_figures_change_nothing),
        cmocka_unit_test(test_policy_engine_parameter),
        cmocka_unit_test(test_unknown_engine_at_the_value),
        cmocka_unit_test(test_bad_presets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
