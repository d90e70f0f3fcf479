/* The simulated executor's predict_now: a kernel's time if it started now,
 * answered by the machine's own trial solve, worked out by hand on the
 * generic SoC (CPU, GPU, NPU; each PU may draw 60 GB/s, the DRAM gives
 * 100 GB/s to all of them together). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hw/hw.h"
#include "sim/exec/exec_sim.h"

typedef struct fixture {
    hs_hw *hw;
    hs_exec *x;
    int cpu, gpu, npu;
} fixture;

static int setup(void **state)
{
    static fixture f;
    hs_err err;
    f.hw = hs_hw_load("generic-soc", &err);
    assert_non_null(f.hw);
    f.x = hs_exec_sim_create(f.hw, NULL, NULL, &err);
    assert_non_null(f.x);
    f.cpu = hs_hw_pu_find(f.hw, "cpu");
    f.gpu = hs_hw_pu_find(f.hw, "gpu");
    f.npu = hs_hw_pu_find(f.hw, "npu");
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    f->x->ops->destroy(f->x);
    hs_hw_free(f->hw);
    return 0;
}

static void on_done(void *engine, void *token)
{
    (void)engine;
    (void)token;
}

/* A GEMV (m = 1, fp16 4096 x 4096: 32 MiB of weights) is memory-bound on
 * every PU here.  Its standalone cost on pu, as the engine would hand it
 * to the executor; checks that it draws exactly the PU's 60 GB/s alone. */
static hs_item gemv_on(const fixture *f, int pu, hs_cost *c)
{
    hs_item it = {.kind = HS_ITEM_KERNEL, .k = hs_kernel_make(HS_OP_GEMM, 1, 4096, 4096)};
    hs_pred p;
    hs_err err;
    assert_int_equal(hs_hw_predict(f->hw, pu, &it.k, 0, &p, &err), 0);
    assert_true(p.memory_bound);
    assert_true(p.penalty == 1);
    assert_true(fabs(p.bound_bps - 60e9) <= 1e-6 * 60e9);
    *c = (hs_cost){.latency_s = p.latency_s, .body_s = p.body_s, .launch_s = p.launch_s,
                   .queue_launch_s = p.queue_launch_s, .bytes = p.bytes, .bound_bps = p.bound_bps,
                   .m = p.m};
    return it;
}

/* Alone, the prediction is the launch plus the roofline body. */
static void test_alone_is_standalone(void **state)
{
    fixture *f = *state;
    hs_cost c;
    hs_item it = gemv_on(f, f->gpu, &c);
    double t = f->x->ops->predict_now(f->x, f->gpu, &it, &c);
    assert_true(fabs(t - c.latency_s) <= 1e-12 * c.latency_s);
}

/* Two memory-bound GEMVs start on the GPU and the NPU (still in their
 * 10 us launch: they count as running, since a kernel started now runs
 * only after its own launch).  A third on the CPU makes three flows, each
 * bounded by its PU's 60 GB/s, on 100 GB/s of DRAM: 3 x 60 > 100, so
 * max-min gives each 100/3 GB/s.  The CPU's launch is 0, so its time is
 *     Q / (100e9 / 3) = 3 Q / 1e11,
 * 1.8x its standalone Q / 60e9; the executor answers that and starts
 * nothing. */
static void test_three_share_dram(void **state)
{
    fixture *f = *state;
    hs_err err;
    hs_cost cg, cn, cc;
    hs_item g = gemv_on(f, f->gpu, &cg), n = gemv_on(f, f->npu, &cn), c = gemv_on(f, f->cpu, &cc);
    f->x->ops->bind(f->x, on_done, NULL);
    assert_int_equal(f->x->ops->start_cost(f->x, f->gpu, &g, &cg, 0, NULL, &err), 0);
    assert_int_equal(f->x->ops->start_cost(f->x, f->npu, &n, &cn, 0, NULL, &err), 0);
    assert_true(cc.launch_s == 0);
    double want = 3 * cc.bytes / 1e11;
    double t = f->x->ops->predict_now(f->x, f->cpu, &c, &cc);
    assert_true(fabs(t - want) <= 1e-12 * want);
    assert_true(fabs(t / cc.latency_s - 1.8) <= 1e-9);
    /* Asking twice gives the same bits: the trial left the machine as it was. */
    assert_true(f->x->ops->predict_now(f->x, f->cpu, &c, &cc) == t);
    f->x->ops->run(f->x, INFINITY, 0);
}

/* The same two GEMVs on the GPU and the NPU; a third asked for on the GPU,
 * a one-slot PU that is busy: started now, it would wait in the GPU's
 * queue and run once the GPU's GEMV is done, beside the NPU's.  Then two
 * flows, each bounded by 60 GB/s, share 100 GB/s: 50 GB/s each, so
 *     t = launch_gpu + Q / 50e9,
 * 1.2x the standalone body Q / 60e9 -- not the 2x (or more) of a probe
 * sharing the GPU with the kernel it would queue behind. */
static void test_busy_one_slot_pu_waits(void **state)
{
    fixture *f = *state;
    hs_err err;
    hs_cost cg, cn, c2;
    hs_item g = gemv_on(f, f->gpu, &cg), n = gemv_on(f, f->npu, &cn), g2 = gemv_on(f, f->gpu, &c2);
    assert_int_equal(f->hw->pus[f->gpu].slots, 1);
    f->x->ops->bind(f->x, on_done, NULL);
    assert_int_equal(f->x->ops->start_cost(f->x, f->gpu, &g, &cg, 0, NULL, &err), 0);
    assert_int_equal(f->x->ops->start_cost(f->x, f->npu, &n, &cn, 0, NULL, &err), 0);
    double want = c2.launch_s + c2.bytes / 50e9;
    double t = f->x->ops->predict_now(f->x, f->gpu, &g2, &c2);
    assert_true(fabs(t - want) <= 1e-12 * want);
    assert_true(fabs((t - c2.launch_s) / c2.body_s - 1.2) <= 1e-9);
    f->x->ops->run(f->x, INFINITY, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alone_is_standalone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_share_dram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_one_slot_pu_waits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
