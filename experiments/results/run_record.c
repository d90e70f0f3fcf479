/* hetsoc: run records and their byte encoding (see run_record.h).
 *
 * Encoding (native byte order: a record travels between processes of one
 * sweep on one machine, or between MPI ranks of one job, and lives in the
 * journal beside its output file):
 *     u32 magic 'HSR4', i64 run, 16 bytes key, u8 ok, str message,
 *     metrics, u32 nstrs, str..., u64 npus, pu..., u64 nreqs, req...,
 *     u64 nkernels, kernel..., u64 nclasses, class..., u64 ndram, dram...
 * where str is u32 length + bytes and the metrics and each row are their
 * table's columns in order: i64 (INT, U32), f64 (REAL), u8 (FLAG) or u32
 * string index (TEXT, PU, NAME). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results/run_record.h"

#define REC_MAGIC 0x34525348u /* "HSR4" (HSR3: no memory domain rows) */
#define REC_MAGIC_EARLIER 0x33525348u /* "HSR3" */

/* ---- Tables ---------------------------------------------------------------- */
/* A column of the record's struct rtype, read from the engine's etype found
 * at byte ebase of the engine's record. */
#define REC_COL_AT(rtype, etype, ebase, field, column, kind, unit, doc) \
    {column, HS_COL_##kind, offsetof(rtype, field), (ebase) + offsetof(etype, field)},
#define REC_COL(rtype, etype, ...) REC_COL_AT(rtype, etype, 0, __VA_ARGS__)
#define LATENCY_COL(...) REC_COL_AT(hs_rec_metrics, hs_latency_stats, offsetof(hs_run_metrics, all), __VA_ARGS__)
#define RUN_COL(...) REC_COL(hs_rec_metrics, hs_run_metrics, __VA_ARGS__)
#define PU_COL(...) REC_COL(hs_rec_pu, hs_pu_metrics, __VA_ARGS__)
#define REQUEST_COL(...) REC_COL(hs_rec_req, hs_request_row, __VA_ARGS__)
#define KERNEL_COL(...) REC_COL(hs_rec_kernel, hs_kernel_row, __VA_ARGS__)
#define DRAM_COL(...) REC_COL(hs_rec_dram, hs_dram_metrics, __VA_ARGS__)

static const hs_rec_col metrics_cols[] = {HS_LATENCY_COLUMNS(LATENCY_COL) HS_RUN_COLUMNS(RUN_COL)};
static const hs_rec_col pu_cols[] = {HS_PU_COLUMNS(PU_COL)};
static const hs_rec_col request_cols[] = {HS_REQUEST_COLUMNS(REQUEST_COL)};
static const hs_rec_col kernel_cols[] = {HS_KERNEL_COLUMNS(KERNEL_COL)};
static const hs_rec_col dram_cols[] = {HS_DRAM_COLUMNS(DRAM_COL)};
#define CLASS_COL(...) REC_COL_AT(hs_rec_class, hs_latency_stats, offsetof(hs_class_metrics, s), __VA_ARGS__)
static const hs_rec_col class_cols[] = {
    {"class", HS_COL_NAME, offsetof(hs_rec_class, name), offsetof(hs_class_metrics, name)},
    HS_LATENCY_COLUMNS(CLASS_COL)};

#define TABLE(a) {a, sizeof a / sizeof a[0]}
static const hs_rec_table tables[HS_REC_NTABLES] = {
    [HS_REC_METRICS] = TABLE(metrics_cols), [HS_REC_PUS] = TABLE(pu_cols),
    [HS_REC_REQUESTS] = TABLE(request_cols), [HS_REC_KERNELS] = TABLE(kernel_cols),
    [HS_REC_CLASSES] = TABLE(class_cols), [HS_REC_DRAM] = TABLE(dram_cols),
};

const hs_rec_table *hs_rec_table_of(hs_rec_table_id id)
{
    return &tables[id];
}

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
    const hs_rec_table *t = &tables[HS_REC_METRICS];
    for (size_t i = 0; i < t->n; i++)
        if (t->cols[i].kind == HS_COL_REAL)
            *(double *)((char *)&r->m + t->cols[i].rec_off) = NAN;
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
    free(r->classes);
    free(r->dram);
    free(r->config);
    r->classes = NULL;
    r->nclasses = 0;
    r->dram = NULL;
    r->ndram = 0;
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
    free(r->policy_name);
    hs_record_values_free(r->values, r->nvalues);
    hs_record_values_free(r->params, r->nparams);
    hs_record_init(r);
}

void hs_record_values_free(hs_rec_value *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].text);
    free(v);
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

const char *hs_record_status(const hs_run_record *r)
{
    if (!r->ok)
        return "error";
    bool cut = r->m.truncated < r->nstrs && r->strs[r->m.truncated][0];
    return cut ? "truncated" : "ok";
}

bool hs_record_status_ok(const char *status)
{
    return strcmp(status, "ok") == 0 || strcmp(status, "truncated") == 0;
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

/* Appends one row of size bytes to the array *rows of *n rows (the small
 * tables: a run has a few PUs, classes and memory domains). */
static int push_row(void *rows, size_t *n, const void *row, size_t size)
{
    char *g = realloc(*(void **)rows, (*n + 1) * size);
    if (!g)
        return -1;
    memcpy(g + *n * size, row, size);
    *(void **)rows = g;
    (*n)++;
    return 0;
}

int hs_record_add_class(hs_run_record *r, const hs_rec_class *c)
{
    return push_row(&r->classes, &r->nclasses, c, sizeof *c);
}

int hs_record_add_pu(hs_run_record *r, const hs_rec_pu *p)
{
    return push_row(&r->pus, &r->npus, p, sizeof *p);
}

int hs_record_add_dram(hs_run_record *r, const hs_rec_dram *d)
{
    return push_row(&r->dram, &r->ndram, d, sizeof *d);
}

/* ---- From the engine's rows ---------------------------------------------------- */

/* Converts the engine's row src into the record's row dst by table id;
 * hw names the PUs of a PU column (NULL where the table has none).
 * Returns -1 on OOM. */
static int from_engine(hs_run_record *r, hs_rec_table_id id, void *dst, const void *src, const hs_hw *hw)
{
    const hs_rec_table *t = &tables[id];
    for (size_t i = 0; i < t->n; i++) {
        const hs_rec_col *c = &t->cols[i];
        const char *in = (const char *)src + c->engine_off;
        char *out = (char *)dst + c->rec_off;
        const char *name = NULL;
        switch (c->kind) {
        case HS_COL_INT: {
            uint64_t v = *(const uint64_t *)in;
            *(int64_t *)out = v == UINT64_MAX ? -1 : (int64_t)v;
            continue;
        }
        case HS_COL_U32: *(int64_t *)out = *(const uint32_t *)in; continue;
        case HS_COL_REAL: *(double *)out = *(const double *)in; continue;
        case HS_COL_FLAG: *(bool *)out = *(const bool *)in; continue;
        case HS_COL_TEXT: name = *(const char *const *)in ? *(const char *const *)in : ""; break;
        case HS_COL_NAME: name = in; break;
        case HS_COL_PU: {
            int pu = *(const int *)in;
            name = hw && pu >= 0 && (size_t)pu < hw->npus ? hw->pus[pu].name : "?";
            break;
        }
        }
        if ((*(uint32_t *)out = hs_record_str(r, name)) == UINT32_MAX)
            return -1;
    }
    return 0;
}

int hs_record_add_request_row(hs_run_record *r, const hs_request_row *row)
{
    hs_rec_req q;
    return from_engine(r, HS_REC_REQUESTS, &q, row, NULL) == 0 ? hs_record_add_req(r, &q) : -1;
}

int hs_record_add_kernel_row(hs_run_record *r, const hs_kernel_row *row, const hs_hw *hw)
{
    hs_rec_kernel k;
    return from_engine(r, HS_REC_KERNELS, &k, row, hw) == 0 ? hs_record_add_kernel(r, &k) : -1;
}

int hs_record_set_metrics(hs_run_record *r, const hs_run_metrics *m)
{
    if (from_engine(r, HS_REC_METRICS, &r->m, m, NULL) != 0)
        return -1;
    for (size_t i = 0; i < m->npus; i++) {
        hs_rec_pu p;
        if (from_engine(r, HS_REC_PUS, &p, &m->pus[i], NULL) != 0 || hs_record_add_pu(r, &p) != 0)
            return -1;
    }
    for (size_t i = 0; i < m->nclasses; i++) {
        hs_rec_class c;
        if (from_engine(r, HS_REC_CLASSES, &c, &m->classes[i], NULL) != 0 || hs_record_add_class(r, &c) != 0)
            return -1;
    }
    for (size_t i = 0; i < m->ndram; i++) {
        hs_rec_dram d;
        if (from_engine(r, HS_REC_DRAM, &d, &m->dram[i], NULL) != 0 || hs_record_add_dram(r, &d) != 0)
            return -1;
    }
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

/* Bytes of a column in the encoding. */
static size_t col_bytes(hs_col_kind kind)
{
    switch (kind) {
    case HS_COL_REAL:
    case HS_COL_INT:
    case HS_COL_U32: return 8;
    case HS_COL_FLAG: return 1;
    default: return 4;
    }
}

static size_t row_bytes(hs_rec_table_id id)
{
    size_t n = 0;
    for (size_t i = 0; i < tables[id].n; i++)
        n += col_bytes(tables[id].cols[i].kind);
    return n;
}

static void put_row(wbuf *b, hs_rec_table_id id, const void *row)
{
    const hs_rec_table *t = &tables[id];
    for (size_t i = 0; i < t->n; i++) {
        const char *p = (const char *)row + t->cols[i].rec_off;
        if (t->cols[i].kind == HS_COL_FLAG) {
            uint8_t v = *(const bool *)p;
            PUT(b, v);
        } else {
            put(b, p, col_bytes(t->cols[i].kind));
        }
    }
}

static void put_rows(wbuf *b, hs_rec_table_id id, const void *rows, size_t n, size_t size)
{
    uint64_t n64 = n;
    PUT(b, n64);
    for (size_t i = 0; i < n; i++)
        put_row(b, id, (const char *)rows + i * size);
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
    put_row(&b, HS_REC_METRICS, &r->m);
    uint32_t nstrs = (uint32_t)r->nstrs;
    PUT(&b, nstrs);
    for (size_t i = 0; i < r->nstrs; i++)
        put_str(&b, r->strs[i]);
    put_rows(&b, HS_REC_PUS, r->pus, r->npus, sizeof *r->pus);
    put_rows(&b, HS_REC_REQUESTS, r->reqs, r->nreqs, sizeof *r->reqs);
    put_rows(&b, HS_REC_KERNELS, r->kernels, r->nkernels, sizeof *r->kernels);
    put_rows(&b, HS_REC_CLASSES, r->classes, r->nclasses, sizeof *r->classes);
    put_rows(&b, HS_REC_DRAM, r->dram, r->ndram, sizeof *r->dram);
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

/* Whether every string index of a row of table id names one of r's strings. */
static bool row_strs_ok(hs_rec_table_id id, const void *row, const hs_run_record *r)
{
    const hs_rec_table *t = &tables[id];
    for (size_t i = 0; i < t->n; i++)
        if (col_bytes(t->cols[i].kind) == 4 && *(const uint32_t *)((const char *)row + t->cols[i].rec_off) >= r->nstrs)
            return false;
    return true;
}

/* Reads one row of table id; with r, a string index must name one of the
 * record's strings (the metrics row precedes them: checked afterwards). */
static void get_row(rbuf *b, hs_rec_table_id id, void *row, const hs_run_record *r)
{
    const hs_rec_table *t = &tables[id];
    for (size_t i = 0; i < t->n && !b->bad; i++) {
        char *p = (char *)row + t->cols[i].rec_off;
        hs_col_kind kind = t->cols[i].kind;
        if (kind == HS_COL_FLAG) {
            uint8_t v = 0;
            GET(b, v);
            *(bool *)p = v != 0;
        } else {
            get(b, p, col_bytes(kind));
        }
    }
    if (r && !b->bad && !row_strs_ok(id, row, r))
        b->bad = true;
}

/* Reads a count and that many rows into a calloc'd array. */
static void *get_rows(rbuf *b, hs_rec_table_id id, size_t size, const hs_run_record *r, size_t *n)
{
    *n = 0;
    size_t count = get_count(b, row_bytes(id));
    if (b->bad || count == 0)
        return NULL;
    char *rows = calloc(count, size);
    if (!rows) {
        b->bad = true;
        return NULL;
    }
    for (size_t i = 0; i < count && !b->bad; i++)
        get_row(b, id, rows + i * size, r);
    *n = count;
    return rows;
}

int hs_record_decode(const uint8_t *buf, size_t len, hs_run_record *r, hs_err *err)
{
    rbuf b = {.p = buf, .len = len};
    uint32_t magic = 0;
    GET(&b, magic);
    if (magic == REC_MAGIC_EARLIER)
        return hs_errf(err, "a run record of an earlier hetsoc (HSR3, without memory domain rows)");
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
    get_row(&b, HS_REC_METRICS, &r->m, NULL);
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
    /* A failed run's metrics hold index 0 with no strings (readers map an
     * unknown index to "": h5io's rstr). */
    if (!b.bad && r->nstrs > 0 && !row_strs_ok(HS_REC_METRICS, &r->m, r))
        b.bad = true;
    r->pus = get_rows(&b, HS_REC_PUS, sizeof *r->pus, r, &r->npus);
    r->reqs = get_rows(&b, HS_REC_REQUESTS, sizeof *r->reqs, r, &r->nreqs);
    r->capreqs = r->nreqs;
    r->kernels = get_rows(&b, HS_REC_KERNELS, sizeof *r->kernels, r, &r->nkernels);
    r->capkernels = r->nkernels;
    r->classes = get_rows(&b, HS_REC_CLASSES, sizeof *r->classes, r, &r->nclasses);
    r->dram = get_rows(&b, HS_REC_DRAM, sizeof *r->dram, r, &r->ndram);
    if (b.bad || b.pos != b.len || !r->message) {
        hs_record_clear(r);
        return hs_errf(err, "malformed run record");
    }
    return 0;
}
