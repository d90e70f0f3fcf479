/* Shared helpers of the real backend's tests: a two-PU profile (a plain
 * CPU sub-device and an NPU-like one), a small model, reading buffers back.
 * Tests exit 77 (skipped) when the machine has no OpenCL device. */
#ifndef HS_TESTS_REAL_TEST_H
#define HS_TESTS_REAL_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "real/real_internal.h"

static const char rt_hw_yaml[] =
    "name: test-2pu\n"
    "description: two CPU sub-devices, the second with NPU shape rules\n"
    "memory: {bandwidth_gbps: 10}\n"
    "pus:\n"
    "  - {name: cpu, kind: cpu, peak_tflops: {fp32: 0.002, fp16: 0.002}, launch_us: 30}\n"
    "  - {name: npu, kind: npu, peak_tflops: {fp32: 0.002, fp16: 0.002}, launch_us: 30,\n"
    "     static_shapes: [8, 16, 32, 64], tile: 8, unsupported: [attention, vector_search]}\n";

static inline void rt_skip_without_device(void)
{
    char why[512];
    if (!hs_real_available(why, sizeof why)) {
        fprintf(stderr, "skipped: %s\n", why);
        exit(77);
    }
}

static inline hs_hw *rt_hw(const char *yaml)
{
    hs_err err;
    hs_node *n = hs_conf_load_string(yaml, strlen(yaml), "<test hw>", &err);
    hs_hw *hw = n ? hs_hw_from_node(n, &err) : NULL;
    hs_node_free(n);
    if (!hw) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    return hw;
}

/* A small decoder (odd sizes: nothing is a multiple of a tile). */
static inline hs_model rt_model(hs_arch arch)
{
    hs_model m = {.arch = arch, .layers = 2, .hidden = 40, .heads = 4, .kv_heads = 2, .head_dim = 10,
                  .ffn = 52, .vocab = 97, .gated_ffn = true, .lm_head = true, .quant = HS_QUANT_FP32,
                  .max_context = 512};
    snprintf(m.name, sizeof m.name, "%s", arch == HS_ARCH_DECODER ? "test-dec" : "test-enc");
    return m;
}

static inline hs_item rt_item(const hs_model *m, hs_slot slot, int layer, hs_op op, int64_t mm, int64_t n,
                              int64_t k)
{
    hs_item it = {.kind = HS_ITEM_KERNEL, .phase = HS_PHASE_PREFILL, .slot = slot, .model = m,
                  .quant = HS_QUANT_FP32, .layer = layer, .tokens = mm, .units = 1, .steps = 1};
    it.k = hs_kernel_make(op, mm, n, k);
    it.k.dtype = it.k.weight_dtype = HS_DT_FP32;
    hs_kernel_derive(&it.k, NULL);
    return it;
}

static inline float *rt_read(rl_exec *e, cl_mem m, size_t off_floats, size_t n)
{
    float *v = malloc(n * sizeof *v);
    cl_int rc = clEnqueueReadBuffer(e->ctxs[0].fillq, m, CL_TRUE, off_floats * 4, n * 4, v, 0, NULL, NULL);
    if (rc != CL_SUCCESS) {
        fprintf(stderr, "read back failed: %s\n", rl_cl_strerror(rc));
        exit(1);
    }
    return v;
}

static inline void rt_write(rl_exec *e, cl_mem m, size_t off_floats, const float *v, size_t n)
{
    cl_int rc = clEnqueueWriteBuffer(e->ctxs[0].fillq, m, CL_TRUE, off_floats * 4, n * 4, v, 0, NULL, NULL);
    if (rc != CL_SUCCESS) {
        fprintf(stderr, "write failed: %s\n", rl_cl_strerror(rc));
        exit(1);
    }
}

/* |a - b| within a relative tolerance (absolute near 0). */
static inline int rt_close(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

#endif
