/* hetsoc hw: kernel names and the flops/bytes of each op at a shape.
 * The formulas are documented next to hs_op in hw.h; the workload layer
 * relies on them when it lowers LLM stages to kernels. */
#include "hw/hw.h"

#include <string.h>

const char *const hs_op_names[HS_OP_COUNT + 1] = {
    "gemm", "attention", "rmsnorm", "silu_mul", "softmax", "embedding", "vector_search", "generic",
    NULL,
};
const char *const hs_dtype_names[HS_DT_COUNT + 1] = {"fp32", "fp16", "int8", "int4", NULL};

const char *hs_op_name(hs_op op)
{
    return (unsigned)op < HS_OP_COUNT ? hs_op_names[op] : "?";
}

const char *hs_dtype_name(hs_dtype dt)
{
    return (unsigned)dt < HS_DT_COUNT ? hs_dtype_names[dt] : "?";
}

int hs_op_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < HS_OP_COUNT; i++)
        if (strcmp(name, hs_op_names[i]) == 0)
            return i;
    /* Aliases the issue text uses. */
    if (strcmp(name, "gemv") == 0)
        return HS_OP_GEMM;
    if (strcmp(name, "embedding_lookup") == 0)
        return HS_OP_EMBEDDING;
    return -1;
}

int hs_dtype_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < HS_DT_COUNT; i++)
        if (strcmp(name, hs_dtype_names[i]) == 0)
            return i;
    return -1;
}

double hs_dtype_bytes(hs_dtype dt)
{
    static const double size[HS_DT_COUNT] = {4.0, 2.0, 1.0, 0.5};
    return (unsigned)dt < HS_DT_COUNT ? size[dt] : 0.0;
}

hs_kernel hs_kernel_make(hs_op op, int64_t m, int64_t n, int64_t k)
{
    return (hs_kernel){.op = op, .dtype = HS_DT_FP16, .weight_dtype = HS_DT_FP16,
                       .m = m, .n = n, .k = k, .batch = 1};
}

/* Bytes of `count` stored elements, with one FP16 scale per group for
 * quantised dtypes (the scales are what make W4A16 cost a little more
 * than half a byte per weight). */
static double stored_bytes(const hs_kernel *k, double count)
{
    double b = count * hs_dtype_bytes(k->weight_dtype);
    if (k->group > 0 && (k->weight_dtype == HS_DT_INT8 || k->weight_dtype == HS_DT_INT4))
        b += 2.0 * count / (double)k->group;
    return b;
}

/* Whether the op reads dimension k. */
static bool uses_k(hs_op op)
{
    return op == HS_OP_GEMM || op == HS_OP_ATTENTION || op == HS_OP_VECTOR_SEARCH;
}

int hs_kernel_shape_cost(const hs_kernel *k, double *flops, double *bytes)
{
    if ((unsigned)k->op >= HS_OP_COUNT || (unsigned)k->dtype >= HS_DT_COUNT ||
        (unsigned)k->weight_dtype >= HS_DT_COUNT)
        return -1;
    if (k->op == HS_OP_GENERIC) {
        *flops = 0;
        *bytes = 0;
        return 0;
    }
    if (k->m < 1 || k->n < 1 || (uses_k(k->op) && k->k < 1) || k->batch < 0 || k->kv_batch < 0)
        return -1;
    double m = (double)k->m, n = (double)k->n, kk = (double)k->k;
    double b = k->batch > 0 ? (double)k->batch : 1.0;
    double act = hs_dtype_bytes(k->dtype);
    double f = 0, q = 0;
    switch (k->op) {
    case HS_OP_GEMM:
        f = 2 * m * n * kk;
        q = act * (m * kk + m * n) + stored_bytes(k, kk * n);
        break;
    case HS_OP_ATTENTION: {
        /* GQA: K and V are read once per KV head, Q and O per query head. */
        double kvb = k->kv_batch > 0 ? (double)k->kv_batch : b;
        *flops = b * (4 * m * n * kk + 5 * m * n);
        *bytes = b * act * 2 * m * kk + kvb * stored_bytes(k, 2 * n * kk);
        return 0;
    }
    case HS_OP_RMSNORM:
        f = 4 * m * n;
        q = act * 2 * m * n + stored_bytes(k, n);
        break;
    case HS_OP_SILU_MUL:
        f = 5 * m * n;
        q = act * 3 * m * n;
        break;
    case HS_OP_SOFTMAX:
        f = 5 * m * n;
        q = act * 2 * m * n;
        break;
    case HS_OP_EMBEDDING:
        f = m * n;
        q = stored_bytes(k, m * n) + act * m * n + 8 * m;
        break;
    case HS_OP_VECTOR_SEARCH:
        f = 2 * m * n * kk;
        q = stored_bytes(k, n * kk) + act * m * kk + 8 * m;
        break;
    default:
        return -1;
    }
    *flops = b * f;
    *bytes = b * q;
    return 0;
}

int hs_kernel_derive(hs_kernel *k, hs_err *err)
{
    if ((unsigned)k->op >= HS_OP_COUNT)
        return hs_errf(err, "kernel: bad op %d", (int)k->op);
    if ((unsigned)k->dtype >= HS_DT_COUNT || (unsigned)k->weight_dtype >= HS_DT_COUNT)
        return hs_errf(err, "kernel: bad dtype");
    if (k->flops < 0 || k->bytes < 0 || k->batch < 0 || k->kv_batch < 0 || k->group < 0)
        return hs_errf(err, "%s kernel: negative flops, bytes, batch or group", hs_op_name(k->op));
    if (k->op == HS_OP_GENERIC) {
        if (k->flops == 0 && k->bytes == 0)
            return hs_errf(err, "generic kernel: give flops or bytes");
        return 0;
    }
    double f, q;
    if (hs_kernel_shape_cost(k, &f, &q) < 0)
        return hs_errf(err, "%s kernel: shape m=%lld n=%lld k=%lld needs m, n%s >= 1",
                       hs_op_name(k->op), (long long)k->m, (long long)k->n, (long long)k->k,
                       uses_k(k->op) ? ", k" : "");
    if (k->flops == 0)
        k->flops = f;
    if (k->bytes == 0)
        k->bytes = q;
    return 0;
}
