/* hetsoc: run records and their byte encoding (see run_record.h).
 *
 * Encoding (native byte order: a record travels between processes of one
 * sweep on one machine, or between MPI ranks of one job, and lives in the
 * journal beside its output file):
 *     u32 magic 'HSR1', i64 run, 16 bytes key, u8 ok, str message,
 *     metrics (2 x i64, 10 x f64), u32 nstrs, str...,
 *     u64 npus, pu..., u64 nreqs, req..., u64 nkernels, kernel...
 * where str is u32 length + bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results/run_record.h"

#define REC_MAGIC 0x31525348u /* "HSR1" */
/* Encoded sizes of the rows. */
enum { PU_BYTES = 4 + 3 * 8, REQ_BYTES = 8 + 4 + 1 + 4 * 8, KERNEL_BYTES = 2 * 8 + 3 * 4 + 8 + 1 + 5 * 8 };

uint64_t hs_fnv1a64(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void hs_record_init(hs_run_record *r)
{
    memset(r, 0, sizeof *r);
    r->run = -1;
    double nan = NAN;
    r->m = (hs_rec_metrics){
        .mean_latency_s = nan, .p50_latency_s = nan, .p90_latency_s = nan, .p99_latency_s = nan,
        .mean_ttft_s = nan, .slo_attainment = nan, .makespan_s = nan, .throughput_rps = nan,
        .energy_j = nan, .wall_s = nan,
    };
}

void hs_record_drop_rows(hs_run_record *r)
{
    for (size_t i = 0; i < r->nstrs; i++)
        free(r->strs[i]);
    free(r->strs);
    free(r->strhash);
    free(r->pus);
    free(r->reqs);
    free(r->kernels);
    free(r->config);
    r->strs = NULL;
    r->strhash = NULL;
    r->pus = NULL;
    r->reqs = NULL;
    r->kernels = NULL;
    r->config = NULL;
    r->nstrs = r->capstrs = r->hashcap = 0;
    r->npus = r->nreqs = r->capreqs = r->nkernels = r->capkernels = 0;
}

void hs_record_clear(hs_run_record *r)
{
    hs_record_drop_rows(r);
    free(r->policy);
    free(r->hw);
    free(r->workload);
    free(r->backend);
    free(r->message);
    for (size_t i = 0; i < r->nvalues; i++)
        free(r->values[i].text);
    free(r->values);
    hs_record_init(r);
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

int hs_record_set_identity(hs_run_record *r, const char *policy, const char *hw, const char *workload,
                           const char *backend, int64_t seed)
{
    free(r->policy);
    free(r->hw);
    free(r->workload);
    free(r->backend);
    r->policy = dup_or_empty(policy);
    r->hw = dup_or_empty(hw);
    r->workload = dup_or_empty(workload);
    r->backend = dup_or_empty(backend);
    r->seed = seed;
    return r->policy && r->hw && r->workload && r->backend ? 0 : -1;
}

void hs_record_fail(hs_run_record *r, const char *msg)
{
    /* Metrics of a failed run are NaN; its rows are dropped. */
    char *config = r->config;
    r->config = NULL;
    hs_record_drop_rows(r);
    r->config = config;
    hs_run_record blank;
    hs_record_init(&blank);
    r->m = blank.m;
    r->ok = false;
    free(r->message);
    r->message = dup_or_empty(msg);
}

/* ---- Interned strings ----------------------------------------------------- */
static uint32_t str_hash(const char *s)
{
    return (uint32_t)hs_fnv1a64(s, strlen(s), HS_FNV1A64_INIT);
}

static int rehash(hs_run_record *r, size_t cap)
{
    uint32_t *h = malloc(cap * sizeof *h);
    if (!h)
        return -1;
    for (size_t i = 0; i < cap; i++)
        h[i] = UINT32_MAX;
    for (size_t i = 0; i < r->nstrs; i++) {
        size_t j = str_hash(r->strs[i]) & (cap - 1);
        while (h[j] != UINT32_MAX)
            j = (j + 1) & (cap - 1);
        h[j] = (uint32_t)i;
    }
    free(r->strhash);
    r->strhash = h;
    r->hashcap = cap;
    return 0;
}

uint32_t hs_record_str(hs_run_record *r, const char *s)
{
    if (!s)
        s = "";
    if (r->hashcap == 0 && rehash(r, 16) != 0)
        return UINT32_MAX;
    size_t j = str_hash(s) & (r->hashcap - 1);
    while (r->strhash[j] != UINT32_MAX) {
        if (strcmp(r->strs[r->strhash[j]], s) == 0)
            return r->strhash[j];
        j = (j + 1) & (r->hashcap - 1);
    }
    if (r->nstrs >= UINT32_MAX - 1)
        return UINT32_MAX;
    if (r->nstrs == r->capstrs) {
        size_t cap = r->capstrs ? 2 * r->capstrs : 8;
        char **n = realloc(r->strs, cap * sizeof *n);
        if (!n)
            return UINT32_MAX;
        r->strs = n;
        r->capstrs = cap;
    }
    char *copy = strdup(s);
    if (!copy)
        return UINT32_MAX;
    uint32_t idx = (uint32_t)r->nstrs;
    r->strs[r->nstrs++] = copy;
    r->strhash[j] = idx;
    if (2 * r->nstrs > r->hashcap && rehash(r, 2 * r->hashcap) != 0)
        return UINT32_MAX;
    return idx;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *n = realloc(*p, c * elem);
    if (!n)
        return -1;
    *p = n;
    *cap = c;
    return 0;
}

int hs_record_add_req(hs_run_record *r, const hs_rec_req *q)
{
    if (grow((void **)&r->reqs, &r->capreqs, r->nreqs + 1, sizeof *r->reqs) != 0)
        return -1;
    r->reqs[r->nreqs++] = *q;
    return 0;
}

int hs_record_add_kernel(hs_run_record *r, const hs_rec_kernel *k)
{
    if (grow((void **)&r->kernels, &r->capkernels, r->nkernels + 1, sizeof *r->kernels) != 0)
        return -1;
    r->kernels[r->nkernels++] = *k;
    return 0;
}

int hs_record_add_pu(hs_run_record *r, const char *name, double busy_s, double utilization,
                     double energy_j)
{
    uint32_t n = hs_record_str(r, name);
    if (n == UINT32_MAX)
        return -1;
    hs_rec_pu *p = realloc(r->pus, (r->npus + 1) * sizeof *p);
    if (!p)
        return -1;
    r->pus = p;
    p[r->npus++] = (hs_rec_pu){.name = n, .busy_s = busy_s, .utilization = utilization, .energy_j = energy_j};
    return 0;
}

/* ---- Encoding ------------------------------------------------------------- */
typedef struct wbuf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} wbuf;

static void put(wbuf *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->len + n)
            c *= 2;
        uint8_t *q = realloc(b->p, c);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = c;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

#define PUT(b, v) put((b), &(v), sizeof(v))

static void put_str(wbuf *b, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    uint32_t n32 = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    PUT(b, n32);
    put(b, s, n32);
}

int hs_record_encode(const hs_run_record *r, uint8_t **buf, size_t *len)
{
    wbuf b = {0};
    uint32_t magic = REC_MAGIC;
    PUT(&b, magic);
    PUT(&b, r->run);
    put(&b, r->key, HS_REC_KEY_LEN);
    uint8_t ok = r->ok;
    PUT(&b, ok);
    put_str(&b, r->message);
    PUT(&b, r->m);
    uint32_t nstrs = (uint32_t)r->nstrs;
    PUT(&b, nstrs);
    for (size_t i = 0; i < r->nstrs; i++)
        put_str(&b, r->strs[i]);
    uint64_t n = r->npus;
    PUT(&b, n);
    for (size_t i = 0; i < r->npus; i++) {
        const hs_rec_pu *p = &r->pus[i];
        PUT(&b, p->name);
        PUT(&b, p->busy_s);
        PUT(&b, p->utilization);
        PUT(&b, p->energy_j);
    }
    n = r->nreqs;
    PUT(&b, n);
    for (size_t i = 0; i < r->nreqs; i++) {
        const hs_rec_req *q = &r->reqs[i];
        uint8_t warm = q->warmup;
        PUT(&b, q->request);
        PUT(&b, q->cls);
        PUT(&b, warm);
        PUT(&b, q->arrival_s);
        PUT(&b, q->first_token_s);
        PUT(&b, q->finish_s);
        PUT(&b, q->latency_s);
    }
    n = r->nkernels;
    PUT(&b, n);
    for (size_t i = 0; i < r->nkernels; i++) {
        const hs_rec_kernel *k = &r->kernels[i];
        uint8_t part = k->part;
        PUT(&b, k->work);
        PUT(&b, k->request);
        PUT(&b, k->stage);
        PUT(&b, k->slot);
        PUT(&b, k->pu);
        PUT(&b, k->batch);
        PUT(&b, part);
        PUT(&b, k->ready_s);
        PUT(&b, k->start_s);
        PUT(&b, k->end_s);
        PUT(&b, k->flops);
        PUT(&b, k->bytes);
    }
    if (b.oom) {
        free(b.p);
        return -1;
    }
    *buf = b.p;
    *len = b.len;
    return 0;
}

typedef struct rbuf {
    const uint8_t *p;
    size_t len, pos;
    bool bad;
} rbuf;

static void get(rbuf *b, void *out, size_t n)
{
    if (b->bad || n > b->len - b->pos) {
        b->bad = true;
        memset(out, 0, n);
        return;
    }
    memcpy(out, b->p + b->pos, n);
    b->pos += n;
}

#define GET(b, v) get((b), &(v), sizeof(v))

static char *get_str(rbuf *b)
{
    uint32_t n = 0;
    GET(b, n);
    if (b->bad || n > b->len - b->pos) {
        b->bad = true;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        b->bad = true;
        return NULL;
    }
    memcpy(s, b->p + b->pos, n);
    s[n] = 0;
    b->pos += n;
    return s;
}

/* Reads a count of elements of size elem, refusing counts larger than the
 * bytes left could hold. */
static size_t get_count(rbuf *b, size_t elem)
{
    uint64_t n = 0;
    GET(b, n);
    if (b->bad || (elem && n > (b->len - b->pos) / elem)) {
        b->bad = true;
        return 0;
    }
    return (size_t)n;
}

int hs_record_decode(const uint8_t *buf, size_t len, hs_run_record *r, hs_err *err)
{
    rbuf b = {.p = buf, .len = len};
    uint32_t magic = 0;
    GET(&b, magic);
    if (magic != REC_MAGIC)
        return hs_errf(err, "malformed run record (bad magic)");
    GET(&b, r->run);
    get(&b, r->key, HS_REC_KEY_LEN);
    r->key[HS_REC_KEY_LEN] = 0;
    uint8_t ok = 0;
    GET(&b, ok);
    r->ok = ok != 0;
    free(r->message);
    r->message = get_str(&b);
    GET(&b, r->m);
    uint32_t nstrs = 0;
    GET(&b, nstrs);
    for (uint32_t i = 0; i < nstrs && !b.bad; i++) {
        char *s = get_str(&b);
        if (!s)
            break;
        uint32_t idx = hs_record_str(r, s);
        free(s);
        if (idx != i)   /* duplicates or OOM: the indices would not match */
            b.bad = true;
    }
    size_t n = get_count(&b, PU_BYTES);
    if (!b.bad && n) {
        if (!(r->pus = calloc(n, sizeof *r->pus)))
            b.bad = true;
        for (size_t i = 0; i < n && !b.bad; i++) {
            hs_rec_pu *p = &r->pus[i];
            GET(&b, p->name);
            GET(&b, p->busy_s);
            GET(&b, p->utilization);
            GET(&b, p->energy_j);
            if (p->name >= r->nstrs)
                b.bad = true;
            r->npus = i + 1;
        }
    }
    n = get_count(&b, REQ_BYTES);
    if (!b.bad && n) {
        if (!(r->reqs = calloc(n, sizeof *r->reqs)))
            b.bad = true;
        r->capreqs = n;
        for (size_t i = 0; i < n && !b.bad; i++) {
            hs_rec_req *q = &r->reqs[i];
            uint8_t warm = 0;
            GET(&b, q->request);
            GET(&b, q->cls);
            GET(&b, warm);
            GET(&b, q->arrival_s);
            GET(&b, q->first_token_s);
            GET(&b, q->finish_s);
            GET(&b, q->latency_s);
            q->warmup = warm != 0;
            if (q->cls >= r->nstrs)
                b.bad = true;
            r->nreqs = i + 1;
        }
    }
    n = get_count(&b, KERNEL_BYTES);
    if (!b.bad && n) {
        if (!(r->kernels = calloc(n, sizeof *r->kernels)))
            b.bad = true;
        r->capkernels = n;
        for (size_t i = 0; i < n && !b.bad; i++) {
            hs_rec_kernel *k = &r->kernels[i];
            uint8_t part = 0;
            GET(&b, k->work);
            GET(&b, k->request);
            GET(&b, k->stage);
            GET(&b, k->slot);
            GET(&b, k->pu);
            GET(&b, k->batch);
            GET(&b, part);
            GET(&b, k->ready_s);
            GET(&b, k->start_s);
            GET(&b, k->end_s);
            GET(&b, k->flops);
            GET(&b, k->bytes);
            k->part = part != 0;
            if (k->stage >= r->nstrs || k->slot >= r->nstrs || k->pu >= r->nstrs)
                b.bad = true;
            r->nkernels = i + 1;
        }
    }
    if (b.bad || b.pos != b.len || !r->message) {
        hs_record_clear(r);
        return hs_errf(err, "malformed run record");
    }
    return 0;
}
