/* hetsoc real/: from a work item to OpenCL commands.
 *
 * An item's kernel (hs_kernel: op and shape) is what runs, at that shape,
 * on real buffers:
 *   gemm            CLBlast SGEMM (m > 1) or SGEMV (m = 1), row major,
 *                   C[m,n] = A[m,k] W[k,n]; batch > 1: strided batched
 *   attention       scores (QK^T / sqrt(d), causal for decoders), row
 *                   softmax, weighted sum over V; GQA by kv_batch
 *   rmsnorm, silu_mul, softmax, embedding     real/exec/kernels/elementwise.cl
 *   vector_search   inner products against a generated corpus + top-k
 *   generic         the GELU of a non-gated FFN (slot act); a layer, head or
 *                   stage item runs the op sequence it stands for (lowered
 *                   again at op granularity: hs_lower_llm / hs_lower_encode),
 *                   unpadded, wherever hw/ lets the fused group run; any
 *                   other generic item streams its bytes and performs its
 *                   FLOPs (hs_generic)
 *   cost: / work:   a busy kernel calibrated to last the item's time
 * Everything is fp32, whatever the item's dtypes (PoCL's CPU device has no
 * fp16; GPUs run the same code).
 *
 * Data: activations come from the PU's input buffer x (random, never
 * overwritten, so values stay bounded), results go to y (and z for
 * scores); weights are per model, layer and slot in a shared arena; the KV
 * cache, token ids and the corpus are shared random buffers.  The
 * computations are real, their values meaningless: only the work matters.
 *
 * A PU with NPU shape rules (static_shapes, tile) runs each kernel at the
 * shape hs_hw_predict pads it to, and refuses ops listed unsupported. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <clblast_c.h>

#include "real/exec/exec_real.h"

const char *const rl_kernel_names[RK_COUNT] = {
    "hs_rmsnorm", "hs_silu_mul", "hs_gelu", "hs_softmax", "hs_embedding", "hs_attn_scores",
    "hs_attn_pv", "hs_vs_scores", "hs_topk", "hs_generic", "hs_spin", "hs_noop",
};

/* ---- Buffers ---------------------------------------------------------------- */

static unsigned long long next_rand(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rl_buf_release(rl_buf *b)
{
    if (b->mem)
        clReleaseMemObject(b->mem);
    b->mem = NULL;
    b->bytes = 0;
}

int rl_ensure(rl_exec *e, rl_ctx *c, rl_buf *b, size_t bytes, int fill, hs_err *err)
{
    if (bytes == 0)
        bytes = 4;
    if (b->mem && b->bytes >= bytes)
        return 0;
    size_t want = bytes;
    if (b->bytes && want < b->bytes + b->bytes / 2)
        want = b->bytes + b->bytes / 2;   /* grow geometrically */
    want = (want + 4095) / 4096 * 4096;
    if (want > c->max_alloc && bytes <= c->max_alloc)
        want = bytes;
    if (want > c->max_alloc)
        return hs_errf(err, "out of device memory: a buffer of %.1f MiB exceeds the device's largest "
                            "allocation (%.1f MiB)",
                       (double)bytes / 1048576.0, (double)c->max_alloc / 1048576.0);
    cl_int rc;
    cl_mem m = rl_create_buffer(c->ctx, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, want, &rc);
    if (!m)
        return rl_cl_fail(err, rc, "cannot allocate a buffer of %.1f MiB", (double)want / 1048576.0);
    void *p = clEnqueueMapBuffer(c->fillq, m, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION, 0, want, 0, NULL,
                                 NULL, &rc);
    if (!p) {
        clReleaseMemObject(m);
        return rl_cl_fail(err, rc, "cannot map a buffer of %.1f MiB", (double)want / 1048576.0);
    }
    if (fill == RL_FILL_ZERO) {
        memset(p, 0, want);
    } else if (fill == RL_FILL_IDS) {
        int32_t *v = p;
        for (size_t i = 0; i < want / 4; i++)
            v[i] = (int32_t)(next_rand(&e->rng) >> 33);
    } else {
        float *v = p;
        for (size_t i = 0; i < want / 4; i++)
            v[i] = (float)((double)(next_rand(&e->rng) >> 11) * 0x1.0p-52 - 1.0);
    }
    rc = clEnqueueUnmapMemObject(c->fillq, m, p, 0, NULL, NULL);
    if (rc == CL_SUCCESS)
        rc = clFinish(c->fillq);
    if (rc != CL_SUCCESS) {
        clReleaseMemObject(m);
        return rl_cl_fail(err, rc, "cannot initialise a buffer of %.1f MiB", (double)want / 1048576.0);
    }
    rl_buf_release(b);
    b->mem = m;
    b->bytes = want;
    return 0;
}

static size_t rup(int64_t v, int64_t tile)
{
    if (v < 1)
        v = 1;
    return (size_t)(tile > 1 ? (v + tile - 1) / tile * tile : v);
}

rl_model_w *rl_model_weights(rl_exec *e, rl_ctx *c, const hs_model *m, hs_err *err)
{
    for (size_t i = 0; i < c->nmodels; i++)
        if (c->models[i].model == m)
            return &c->models[i];
    rl_model_w *g = realloc(c->models, (c->nmodels + 1) * sizeof *g);
    if (!g) {
        hs_errf(err, "out of memory");
        return NULL;
    }
    c->models = g;
    rl_model_w *w = &c->models[c->nmodels];
    memset(w, 0, sizeof *w);
    w->model = m;
    const int64_t t = c->tile;
    size_t h = rup(m->hidden, t), qd = rup((int64_t)m->heads * m->head_dim, t);
    size_t qkv = rup((int64_t)m->heads * m->head_dim + 2 * (int64_t)m->kv_heads * m->head_dim, t);
    size_t f = rup(m->ffn, t), gu = rup((m->gated_ffn ? 2 : 1) * (int64_t)m->ffn, t);
    size_t v = rup(m->vocab > 0 ? m->vocab : 1, t);
    size_t o = 0;
#define REGION(slot, count) (w->off[slot] = o, w->size[slot] = (count), o += (count))
    REGION(HS_SLOT_ATTN_NORM, h);
    REGION(HS_SLOT_QKV, h * qkv);
    REGION(HS_SLOT_O, qd * h);
    REGION(HS_SLOT_FFN_NORM, h);
    REGION(HS_SLOT_GATE_UP, h * gu);
    REGION(HS_SLOT_DOWN, f * h);
    w->layer_floats = o;
    w->globals = (size_t)(m->layers > 0 ? m->layers : 1) * w->layer_floats;
    o = 0;
    REGION(HS_SLOT_EMBED, v * h);
    REGION(HS_SLOT_FINAL_NORM, h);
    REGION(HS_SLOT_LM_HEAD, h * v);
#undef REGION
    size_t total = w->globals + o;
    if (rl_ensure(e, c, &w->buf, total * sizeof(float), RL_FILL_RANDOM, err) != 0) {
        char msg[HS_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        hs_errf(err, "weights of model %s (%.1f MiB in fp32): %s", m->name, total * 4.0 / 1048576.0,
                strncmp(msg, "error: ", 7) == 0 ? msg + 7 : msg);
        return NULL;
    }
    c->nmodels++;
    return w;
}

/* The weight region of a GEMM or a norm: (buffer, offset in floats). */
static int weights_for(rl_exec *e, rl_ctx *c, const hs_item *it, size_t floats, cl_mem *mem, size_t *off,
                       hs_err *err)
{
    if (it->model) {
        rl_model_w *w = rl_model_weights(e, c, it->model, err);
        if (!w)
            return -1;
        hs_slot s = it->slot;
        bool global = s == HS_SLOT_EMBED || s == HS_SLOT_FINAL_NORM || s == HS_SLOT_LM_HEAD;
        bool layered = s == HS_SLOT_ATTN_NORM || s == HS_SLOT_QKV || s == HS_SLOT_O ||
                       s == HS_SLOT_FFN_NORM || s == HS_SLOT_GATE_UP || s == HS_SLOT_DOWN;
        if ((global || layered) && floats <= w->size[s]) {
            size_t layer = it->layer >= 0 && it->layer < it->model->layers ? (size_t)it->layer : 0;
            *mem = w->buf.mem;
            *off = (global ? w->globals : layer * w->layer_floats) + w->off[s];
            return 0;
        }
    }
    if (rl_ensure(e, c, &c->wscratch, floats * sizeof(float), RL_FILL_RANDOM, err) != 0)
        return -1;
    *mem = c->wscratch.mem;
    *off = 0;
    return 0;
}

/* ---- Commands ------------------------------------------------------------------- */

typedef struct emit {
    rl_exec *e;
    int pu;
    rl_pu *p;
    rl_ctx *c;
    cl_event last;
    uint64_t *commands;
    hs_err *err;
} emit;

static void took(emit *em, cl_event ev)
{
    if (em->last)
        clReleaseEvent(em->last);
    em->last = ev;
    (*em->commands)++;
}

/* Enqueues kernel k over total work-items.  Only the last command of an
 * item needs an event (an in-order queue completes it last): `more` says
 * another command of the same op follows. */
static int launch_ev(emit *em, int k, size_t total, bool more)
{
    size_t l = em->p->local;
    size_t g = ((total ? total : 1) + l - 1) / l * l;
    cl_event ev = NULL;
    cl_int rc = clEnqueueNDRangeKernel(em->p->q, em->p->kern[k], 1, NULL, &g, &l, 0, NULL, more ? NULL : &ev);
    if (rc != CL_SUCCESS)
        return rl_cl_fail(em->err, rc, "enqueueing %s on PU %s", rl_kernel_names[k],
                          em->e->hw->pus[em->pu].name);
    if (more)
        (*em->commands)++;
    else
        took(em, ev);
    return 0;
}

static int launch(emit *em, int k, size_t total) { return launch_ev(em, k, total, false); }

#define ARG(kern, i, v) clSetKernelArg(kern, i, sizeof(v), &(v))

static int args_failed(emit *em, int k, cl_int rc)
{
    return rl_cl_fail(em->err, rc, "setting the arguments of %s", rl_kernel_names[k]);
}

static bool too_big(emit *em, double count)
{
    if (count < 2147483647.0)
        return false;
    hs_errf(em->err, "a shape of %.3g elements is too large for the real backend", count);
    return true;
}

static int ensure_x(emit *em, size_t floats)
{
    return rl_ensure(em->e, em->c, &em->p->x, floats * 4, RL_FILL_RANDOM, em->err);
}
static int ensure_y(emit *em, size_t floats)
{
    return rl_ensure(em->e, em->c, &em->p->y, floats * 4, RL_FILL_ZERO, em->err);
}
static int ensure_z(emit *em, size_t floats)
{
    return rl_ensure(em->e, em->c, &em->p->z, floats * 4, RL_FILL_ZERO, em->err);
}

static int clblast_fail(emit *em, const char *what, int status, int64_t m, int64_t n, int64_t k)
{
    return hs_errf(em->err, "CLBlast %s [m %lld, n %lld, k %lld] on PU %s failed with status %d (%s)", what,
                   (long long)m, (long long)n, (long long)k, em->e->hw->pus[em->pu].name, status,
                   status < 0 && status > -100 ? rl_cl_strerror(status) : "a CLBlast error");
}

static int op_gemm(emit *em, const hs_item *it, int64_t m, int64_t n, int64_t k, int64_t batch)
{
    if (too_big(em, (double)batch * m * k) || too_big(em, (double)batch * m * n) || too_big(em, (double)k * n))
        return -1;
    cl_mem w;
    size_t woff;
    if (ensure_x(em, (size_t)(batch * m * k)) || ensure_y(em, (size_t)(batch * m * n)) ||
        weights_for(em->e, em->c, it, (size_t)(k * n), &w, &woff, em->err))
        return -1;
    cl_event ev = NULL;
    CLBlastStatusCode st;
    const char *what;
    if (batch > 1) {
        what = "sgemm (strided batched)";
        st = CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo,
                                        (size_t)m, (size_t)n, (size_t)k, 1.0f, em->p->x.mem, 0, (size_t)k,
                                        (size_t)(m * k), w, woff, (size_t)n, 0, 0.0f, em->p->y.mem, 0,
                                        (size_t)n, (size_t)(m * n), (size_t)batch, &em->p->q, &ev);
    } else if (m == 1) {
        what = "sgemv";
        st = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes, (size_t)k, (size_t)n, 1.0f, w, woff,
                          (size_t)n, em->p->x.mem, 0, 1, 0.0f, em->p->y.mem, 0, 1, &em->p->q, &ev);
    } else {
        what = "sgemm";
        st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, (size_t)m, (size_t)n,
                          (size_t)k, 1.0f, em->p->x.mem, 0, (size_t)k, w, woff, (size_t)n, 0.0f, em->p->y.mem,
                          0, (size_t)n, &em->p->q, &ev);
    }
    if (st != CLBlastSuccess || !ev) {
        if (ev)
            clReleaseEvent(ev);
        return clblast_fail(em, what, st, m, n, k);
    }
    took(em, ev);
    return 0;
}

static int op_rmsnorm(emit *em, const hs_item *it, int64_t m, int64_t n)
{
    if (too_big(em, (double)m * n))
        return -1;
    cl_mem w;
    size_t woff;
    if (ensure_x(em, (size_t)(m * n)) || ensure_y(em, (size_t)(m * n)) ||
        weights_for(em->e, em->c, it, (size_t)n, &w, &woff, em->err))
        return -1;
    if (too_big(em, (double)woff))
        return -1;
    cl_kernel kk = em->p->kern[RK_RMSNORM];
    cl_int off = (cl_int)woff, rows = (cl_int)m, cols = (cl_int)n;
    cl_float eps = 1e-6f;
    cl_int rc = ARG(kk, 0, em->p->x.mem) | ARG(kk, 1, w) | ARG(kk, 2, off) | ARG(kk, 3, em->p->y.mem) |
                ARG(kk, 4, rows) | ARG(kk, 5, cols) | ARG(kk, 6, eps);
    return rc != CL_SUCCESS ? args_failed(em, RK_RMSNORM, rc) : launch(em, RK_RMSNORM, (size_t)m);
}

static int op_silu(emit *em, int64_t m, int64_t n)
{
    if (too_big(em, 2.0 * m * n) || ensure_x(em, (size_t)(2 * m * n)) || ensure_y(em, (size_t)(m * n)))
        return -1;
    cl_kernel kk = em->p->kern[RK_SILU];
    cl_int rows = (cl_int)m, cols = (cl_int)n;
    cl_int rc = ARG(kk, 0, em->p->x.mem) | ARG(kk, 1, em->p->y.mem) | ARG(kk, 2, rows) | ARG(kk, 3, cols);
    return rc != CL_SUCCESS ? args_failed(em, RK_SILU, rc) : launch(em, RK_SILU, (size_t)(m * n));
}

static int op_gelu(emit *em, int64_t m, int64_t n)
{
    if (too_big(em, (double)m * n) || ensure_x(em, (size_t)(m * n)) || ensure_y(em, (size_t)(m * n)))
        return -1;
    cl_kernel kk = em->p->kern[RK_GELU];
    cl_int count = (cl_int)(m * n);
    cl_int rc = ARG(kk, 0, em->p->x.mem) | ARG(kk, 1, em->p->y.mem) | ARG(kk, 2, count);
    return rc != CL_SUCCESS ? args_failed(em, RK_GELU, rc) : launch(em, RK_GELU, (size_t)count);
}

static int softmax_rows(emit *em, int64_t rows, int64_t n, bool more)
{
    cl_kernel kk = em->p->kern[RK_SOFTMAX];
    cl_int r = (cl_int)rows, c = (cl_int)n;
    cl_int rc = ARG(kk, 0, em->p->z.mem) | ARG(kk, 1, r) | ARG(kk, 2, c);
    return rc != CL_SUCCESS ? args_failed(em, RK_SOFTMAX, rc) : launch_ev(em, RK_SOFTMAX, (size_t)rows, more);
}

static int op_softmax(emit *em, int64_t m, int64_t n)
{
    if (too_big(em, (double)m * n) || ensure_z(em, (size_t)(m * n)))
        return -1;
    return softmax_rows(em, m, n, false);
}

static int op_embedding(emit *em, const hs_item *it, int64_t m, int64_t n)
{
    if (too_big(em, (double)m * n))
        return -1;
    int64_t vocab = it->model && it->model->vocab > 0 ? it->model->vocab : 1;
    cl_mem w;
    size_t woff;
    if (ensure_y(em, (size_t)(m * n)) ||
        rl_ensure(em->e, em->c, &em->c->ids, (size_t)m * 4, RL_FILL_IDS, em->err) ||
        weights_for(em->e, em->c, it, (size_t)(vocab * n), &w, &woff, em->err))
        return -1;
    if (too_big(em, (double)woff))
        return -1;
    cl_kernel kk = em->p->kern[RK_EMBED];
    cl_int off = (cl_int)woff, rows = (cl_int)m, cols = (cl_int)n, v = (cl_int)vocab;
    cl_int rc = ARG(kk, 0, w) | ARG(kk, 1, off) | ARG(kk, 2, em->c->ids.mem) | ARG(kk, 3, em->p->y.mem) |
                ARG(kk, 4, rows) | ARG(kk, 5, cols) | ARG(kk, 6, v);
    return rc != CL_SUCCESS ? args_failed(em, RK_EMBED, rc) : launch(em, RK_EMBED, (size_t)(m * n));
}

static int op_attention(emit *em, const hs_item *it, int64_t m, int64_t n, int64_t d, int64_t heads,
                        int64_t kv_heads)
{
    if (heads < 1)
        heads = 1;
    if (kv_heads < 1 || kv_heads > heads || heads % kv_heads != 0)
        kv_heads = heads;   /* no valid grouping: one KV head per query head */
    if (too_big(em, (double)heads * m * n) || too_big(em, 2.0 * kv_heads * n * d) ||
        too_big(em, (double)heads * m * d))
        return -1;
    if (ensure_x(em, (size_t)(heads * m * d)) || ensure_y(em, (size_t)(heads * m * d)) ||
        ensure_z(em, (size_t)(heads * m * n)) ||
        rl_ensure(em->e, em->c, &em->c->kv, (size_t)(2 * kv_heads * n * d) * 4, RL_FILL_RANDOM, em->err))
        return -1;
    cl_int H = (cl_int)heads, KVH = (cl_int)kv_heads, M = (cl_int)m, N = (cl_int)n, D = (cl_int)d;
    cl_int causal = it->model && it->model->arch == HS_ARCH_DECODER && n >= m;
    cl_float scale = (cl_float)(1.0 / sqrt((double)d));
    cl_kernel ks = em->p->kern[RK_SCORES];
    cl_int rc = ARG(ks, 0, em->p->x.mem) | ARG(ks, 1, em->c->kv.mem) | ARG(ks, 2, em->p->z.mem) | ARG(ks, 3, H) |
                ARG(ks, 4, KVH) | ARG(ks, 5, M) | ARG(ks, 6, N) | ARG(ks, 7, D) | ARG(ks, 8, scale) |
                ARG(ks, 9, causal);
    if (rc != CL_SUCCESS)
        return args_failed(em, RK_SCORES, rc);
    if (launch_ev(em, RK_SCORES, (size_t)(heads * m * n), true) || softmax_rows(em, heads * m, n, true))
        return -1;
    cl_kernel kp = em->p->kern[RK_PV];
    cl_int voff = (cl_int)(kv_heads * n * d);
    rc = ARG(kp, 0, em->p->z.mem) | ARG(kp, 1, em->c->kv.mem) | ARG(kp, 2, voff) | ARG(kp, 3, em->p->y.mem) |
         ARG(kp, 4, H) | ARG(kp, 5, KVH) | ARG(kp, 6, M) | ARG(kp, 7, N) | ARG(kp, 8, D);
    if (rc != CL_SUCCESS)
        return args_failed(em, RK_PV, rc);
    return launch(em, RK_PV, (size_t)(heads * m * d));
}

static int op_search(emit *em, int64_t m, int64_t n, int64_t dim)
{
    if (too_big(em, (double)m * n) || too_big(em, (double)n * dim))
        return -1;
    int64_t k = n < RL_TOPK ? n : RL_TOPK;
    if (ensure_x(em, (size_t)(m * dim)) || ensure_z(em, (size_t)(m * n)) || ensure_y(em, (size_t)(m * k)) ||
        rl_ensure(em->e, em->c, &em->p->ti, (size_t)(m * k) * 4, RL_FILL_ZERO, em->err) ||
        rl_ensure(em->e, em->c, &em->c->corpus, (size_t)(n * dim) * 4, RL_FILL_RANDOM, em->err))
        return -1;
    cl_int M = (cl_int)m, N = (cl_int)n, D = (cl_int)dim, K = (cl_int)k;
    cl_kernel kv = em->p->kern[RK_VS];
    cl_int rc = ARG(kv, 0, em->p->x.mem) | ARG(kv, 1, em->c->corpus.mem) | ARG(kv, 2, em->p->z.mem) | ARG(kv, 3, M) |
                ARG(kv, 4, N) | ARG(kv, 5, D);
    if (rc != CL_SUCCESS)
        return args_failed(em, RK_VS, rc);
    if (launch_ev(em, RK_VS, (size_t)(m * n), true))
        return -1;
    cl_kernel kt = em->p->kern[RK_TOPK];
    rc = ARG(kt, 0, em->p->z.mem) | ARG(kt, 1, em->p->y.mem) | ARG(kt, 2, em->p->ti.mem) | ARG(kt, 3, M) |
         ARG(kt, 4, N) | ARG(kt, 5, K);
    if (rc != CL_SUCCESS)
        return args_failed(em, RK_TOPK, rc);
    return launch(em, RK_TOPK, (size_t)m);
}

enum { GENERIC_PER = 256, GENERIC_MAX_FLOATS = 1 << 24 };

static int op_generic(emit *em, double flops, double bytes)
{
    double elems = fmin(fmax(bytes / 4.0, 1.0), (double)GENERIC_MAX_FLOATS);
    size_t len = (size_t)elems;
    size_t items = (len + GENERIC_PER - 1) / GENERIC_PER;
    double fma = fmax(flops / 2.0, 0.0);
    double iters = fma / ((double)items * GENERIC_PER);
    if (iters > 1e6)
        iters = 1e6;
    if (ensure_x(em, len) || ensure_y(em, items))
        return -1;
    cl_kernel kk = em->p->kern[RK_GENERIC];
    cl_int I = (cl_int)items, P = GENERIC_PER, L = (cl_int)len, T = (cl_int)fmax(1.0, round(iters));
    cl_int rc = ARG(kk, 0, em->p->x.mem) | ARG(kk, 1, em->p->y.mem) | ARG(kk, 2, I) | ARG(kk, 3, P) |
                ARG(kk, 4, L) | ARG(kk, 5, T);
    return rc != CL_SUCCESS ? args_failed(em, RK_GENERIC, rc) : launch(em, RK_GENERIC, items);
}

static int op_spin(emit *em, double seconds)
{
    if (ensure_y(em, 16))
        return -1;
    double iters = fmax(seconds, 0.0) * em->p->spin_rate;
    cl_kernel kk = em->p->kern[RK_SPIN];
    do {
        double chunk = fmin(iters, 1073741824.0);
        cl_int n = (cl_int)round(chunk);
        cl_int rc = ARG(kk, 0, em->p->y.mem) | ARG(kk, 1, n);
        if (rc != CL_SUCCESS)
            return args_failed(em, RK_SPIN, rc);
        iters -= chunk;
        if (launch_ev(em, RK_SPIN, 1, iters >= 1.0))
            return -1;
    } while (iters >= 1.0);
    return 0;
}

static int op_noop(emit *em)
{
    if (ensure_y(em, 16))
        return -1;
    cl_kernel kk = em->p->kern[RK_NOOP];
    cl_int rc = ARG(kk, 0, em->p->y.mem);
    return rc != CL_SUCCESS ? args_failed(em, RK_NOOP, rc) : launch(em, RK_NOOP, 1);
}

static bool aggregate(const hs_item *it)
{
    return it->model && (it->slot == HS_SLOT_LAYER || it->slot == HS_SLOT_HEAD || it->slot == HS_SLOT_STAGE);
}

/* One op-level item.  inner: an op of a layer or stage item, which hw/
 * costs as one fused generic group (runnable wherever generic is, never
 * padded): its ops run as they are. */
static int enqueue_op(emit *em, const hs_item *it, bool inner)
{
    const hs_hw *hw = em->e->hw;
    const hs_pu *pu = &hw->pus[em->pu];
    hs_kernel k = it->k;
    if (pu->unsupported[k.op] && !inner)
        return hs_errf(em->err, "PU %s cannot run %s (listed under 'unsupported')", pu->name, hs_op_name(k.op));
    int64_t m = k.m, n = k.n, kk = k.k;
    if (em->p->shape_rules && k.op != HS_OP_GENERIC && !inner) {
        hs_pred pr;
        hs_err perr;
        int rc = hs_hw_predict(hw, em->pu, &k, 0, &pr, &perr);
        if (rc == HS_PRED_CANNOT_RUN)
            return hs_errf(em->err, "PU %s cannot run this %s kernel: %s", pu->name, hs_op_name(k.op), pr.why);
        if (rc < 0)
            return hs_errf(em->err, "PU %s: %s", pu->name, perr.msg);
        m = pr.m, n = pr.n, kk = pr.k;   /* the static graph's shape, tile-rounded */
    }
    int64_t batch = k.batch > 0 ? k.batch : 1;
    em->e->last_shape[0] = m, em->e->last_shape[1] = n, em->e->last_shape[2] = kk;
    switch (k.op) {
    case HS_OP_GEMM: return op_gemm(em, it, m, n, kk, batch);
    case HS_OP_ATTENTION: return op_attention(em, it, m, n, kk, batch, k.kv_batch ? k.kv_batch : batch);
    case HS_OP_RMSNORM: return op_rmsnorm(em, it, batch * m, n);
    case HS_OP_SILU_MUL: return op_silu(em, batch * m, n);
    case HS_OP_SOFTMAX: return op_softmax(em, batch * m, n);
    case HS_OP_EMBEDDING: return op_embedding(em, it, batch * m, n);
    case HS_OP_VECTOR_SEARCH: return op_search(em, batch * m, n, kk);
    case HS_OP_GENERIC:
        if (it->slot == HS_SLOT_ACT && m >= 1 && n >= 1)
            return op_gelu(em, batch * m, n);
        return op_generic(em, k.flops, k.bytes);
    default: return hs_errf(em->err, "the real backend cannot run op %d", (int)k.op);
    }
}

/* ---- Layer, head and stage items: the ops they stand for ------------------ */

typedef struct expand {
    emit *em;
    const hs_item *parent;
    double frac;     /* a row split's share of the output features (1: whole) */
} expand;

static int expand_cb(const hs_item *op, void *ctx)
{
    expand *x = ctx;
    const hs_item *p = x->parent;
    if (p->slot == HS_SLOT_LAYER && !(op->layer == p->layer || (p->layer == 0 && op->slot == HS_SLOT_EMBED)))
        return 0;
    bool head = op->slot == HS_SLOT_FINAL_NORM || op->slot == HS_SLOT_LM_HEAD;
    if (p->slot == HS_SLOT_HEAD && !head)
        return 0;
    if (head && p->head_rows <= 0)
        return 0;
    hs_item o = *op;
    if (x->frac < 1) {
        if (o.k.op == HS_OP_GEMM) {
            o.k.n = (int64_t)fmax(1.0, ceil((double)o.k.n * x->frac));
        } else if (o.k.op == HS_OP_ATTENTION) {
            o.k.batch = (int64_t)fmax(1.0, ceil((double)o.k.batch * x->frac));
            o.k.kv_batch = (int64_t)fmax(1.0, ceil((double)o.k.kv_batch * x->frac));
        }
    }
    return enqueue_op(x->em, &o, true) != 0 ? -1 : 0;
}

static int enqueue_aggregate(emit *em, const hs_item *it)
{
    const hs_model *m = it->model;
    expand x = {.em = em, .parent = it, .frac = 1};
    if (it->k.n > 0 && it->k.n < m->hidden)
        x.frac = (double)it->k.n / (double)m->hidden;
    int64_t units = it->units > 0 ? it->units : 1;
    int64_t tokens = it->tokens > 0 ? it->tokens : 1;
    if (it->phase == HS_PHASE_ENCODE) {
        if (hs_lower_encode(m, it->quant, units, tokens, it->head_rows > 0, HS_GRAN_OP, expand_cb, &x) != 0)
            return em->err && em->err->msg[0] ? -1 : hs_errf(em->err, "cannot lower a %s item", hs_slot_name(it->slot));
        return 0;
    }
    /* Decoder passes: a decode step is a one-token pass over its context;
     * a whole decode (stage granularity) is `steps` of them.  A batch of
     * sequences (units > 1) runs its sequences one after the other. */
    int64_t steps = it->phase == HS_PHASE_DECODE && it->steps > 1 ? it->steps : 1;
    for (int64_t u = 0; u < units; u++)
        for (int64_t s = 0; s < steps; s++)
            if (hs_lower_llm(m, it->quant, it->context + s, tokens, 1, HS_GRAN_OP, expand_cb, &x) != 0)
                return -1;
    return 0;
}

int rl_enqueue_item(rl_exec *e, int pu, const hs_item *item, cl_event *last, uint64_t *commands, hs_err *err)
{
    rl_pu *p = &e->pus[pu];
    emit em = {.e = e, .pu = pu, .p = p, .c = &e->ctxs[p->ctx], .commands = commands, .err = err};
    if (err)
        err->msg[0] = '\0';
    int rc;
    double fixed;
    if (e->opts.noop)
        rc = op_noop(&em);
    else if (item->kind != HS_ITEM_KERNEL)
        rc = hs_errf(err, "a delay item reached the executor");
    else if (hs_item_is_fixed(item))
        rc = (fixed = hs_item_fixed_s(e->hw, item, pu)) < 0
                 ? hs_errf(err, "PU %s has no cost for this item", e->hw->pus[pu].name)
                 : op_spin(&em, fixed);
    else if (aggregate(item))
        rc = enqueue_aggregate(&em, item);
    else
        rc = enqueue_op(&em, item, false);
    if (rc == 0 && !em.last)
        rc = op_noop(&em);   /* an aggregate that lowered to nothing */
    if (rc != 0) {
        if (em.last)
            clReleaseEvent(em.last);
        if (err && !err->msg[0])
            hs_errf(err, "cannot run a %s item on PU %s", hs_slot_name(item->slot), e->hw->pus[pu].name);
        return -1;
    }
    *last = em.last;
    return 0;
}
