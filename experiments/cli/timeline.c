/* hetsoc: Chrome trace-event JSON timelines (see timeline.h).
 * Format: {"traceEvents": [...]} with "M" metadata events naming the
 * processes and tracks, "X" complete events (ts and dur in microseconds),
 * "i" instant events and "C" counter events. */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "experiments/cli/timeline.h"

enum { PID_MACHINE = 1, PID_REQUESTS = 2 };

/* A counter track of one or more series: the values of the current
 * instant are held back until time moves on, so that only the last of an
 * instant's changes is written.  v, last and before hold nvals each. */
typedef struct counter {
    char name[96];
    const char **keys;     /* the series' names */
    int nvals;
    double t;
    bool pending;
    double *v, *last;      /* last: the values last accepted (written or held as `before`) */
    double *before;        /* the values when the window opens */
    bool has_before;
} counter;

struct hs_timeline {
    FILE *f;
    char *path, *tmp;      /* tmp NULL: written in place */
    const hs_hw *hw;
    double from_s, to_s;
    bool first;
    counter *ctr;          /* DRAM domains (a series per PU, and the rest), then PU load */
    size_t nctr;
    int *series;           /* per PU: its series in its domain's counter */
    const char **keys;     /* every counter's series names */
    double *vals;          /* every counter's v, last and before */
    double *mem_total;     /* per domain: GB/s in use */
};

/* ---- Output ------------------------------------------------------------------- */

static void sep(hs_timeline *tl)
{
    fputs(tl->first ? "\n" : ",\n", tl->f);
    tl->first = false;
}

/* Seconds as microseconds with at most 3 decimals, trailing zeros cut. */
static void put_us(FILE *f, double s)
{
    char buf[48];
    int n = snprintf(buf, sizeof buf, "%.3f", s * 1e6);
    while (n > 1 && buf[n - 1] == '0')
        n--;
    if (buf[n - 1] == '.')
        n--;
    fwrite(buf, 1, (size_t)n, f);
}

/* A number, or null when not finite (JSON has no inf or NaN). */
static void put_num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.6g", x);
    else
        fputs("null", f);
}

static void put_track_name(hs_timeline *tl, int pid, long long tid, const char *what, const char *name)
{
    sep(tl);
    if (tid < 0)
        fprintf(tl->f, "{\"ph\":\"M\",\"pid\":%d,\"name\":\"%s\",\"args\":{\"name\":", pid, what);
    else
        fprintf(tl->f, "{\"ph\":\"M\",\"pid\":%d,\"tid\":%lld,\"name\":\"%s\",\"args\":{\"name\":", pid, tid,
                what);
    hs_json_string(tl->f, name);
    fputs("}}", tl->f);
}

static bool in_window(const hs_timeline *tl, double from, double to)
{
    return to >= tl->from_s && from <= tl->to_s;
}

/* ---- Opening: in place, or through a temporary file ----------------------------- */

static ssize_t gz_write(void *gz, const char *buf, size_t n)
{
    int w = n ? gzwrite(gz, buf, (unsigned)n) : 0;
    return w > 0 || n == 0 ? w : -1;
}

static int gz_close(void *gz) { return gzclose(gz) == Z_OK ? 0 : -1; }

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A stream on fd: gzip when the target's name ends in ".gz". */
static FILE *stream_on(int fd, const char *path)
{
    if (!ends_with(path, ".gz"))
        return fdopen(fd, "w");
    gzFile gz = gzdopen(fd, "wb");
    if (!gz)
        return NULL;
    FILE *f = fopencookie(gz, "w", (cookie_io_functions_t){.write = gz_write, .close = gz_close});
    if (!f)
        gzclose(gz);
    return f;
}

/* Whether path is the file standard output writes to (/dev/stdout). */
static bool is_stdout(const char *path)
{
    struct stat a, b;
    return stat(path, &a) == 0 && fstat(STDOUT_FILENO, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* A descriptor to write the target in place: standard output's own (so
 * that what the command prints after follows the timeline), or the target
 * opened (and emptied, when it is a file behind a symbolic link). */
static int open_in_place(const char *path)
{
    return is_stdout(path) ? dup(STDOUT_FILENO) : open(path, O_WRONLY | O_TRUNC);
}

/* Opens the file to write: the target itself when it exists and is not a
 * regular file (a pipe, a device, a symbolic link: never replaced), else a
 * new temporary file beside it (tl->tmp). */
static int open_target(hs_timeline *tl, hs_err *err)
{
    struct stat st;
    bool in_place = lstat(tl->path, &st) == 0 && !S_ISREG(st.st_mode);
    if (!in_place && asprintf(&tl->tmp, "%s.partial.%ld", tl->path, (long)getpid()) < 0) {
        tl->tmp = NULL;
        return hs_errf(err, "out of memory");
    }
    int fd = in_place ? open_in_place(tl->path) : open(tl->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return hs_errf(err, "%s: cannot write: %s", tl->path, strerror(errno));
    if (!(tl->f = stream_on(fd, tl->path))) {
        int e = errno;
        close(fd);
        return hs_errf(err, "%s: cannot write: %s", tl->path, strerror(e));
    }
    setvbuf(tl->f, NULL, _IOFBF, 1 << 16);
    return 0;
}

/* ---- Counters ------------------------------------------------------------------- */

static const char *const load_keys[] = {"queued", "running"};

/* Counter i's layout: a domain's counter has a series per PU on it and
 * "other" (transfers over links); a PU's load counter has two. */
static void describe_counter(hs_timeline *tl, size_t i, size_t *nkeys)
{
    const hs_hw *hw = tl->hw;
    counter *c = &tl->ctr[i];
    c->keys = tl->keys + *nkeys;
    c->nvals = 0;
    if (i < hw->nmem) {
        snprintf(c->name, sizeof c->name, "DRAM %s GB/s", hw->mems[i].name);
        for (size_t p = 0; p < hw->npus; p++)
            if (hw->pus[p].mem == (int)i) {
                tl->series[p] = c->nvals;
                c->keys[c->nvals++] = hw->pus[p].name;
            }
        c->keys[c->nvals++] = "other";
    } else {
        snprintf(c->name, sizeof c->name, "%s load", hw->pus[i - hw->nmem].name);
        c->keys[c->nvals++] = load_keys[0];
        c->keys[c->nvals++] = load_keys[1];
    }
    *nkeys += (size_t)c->nvals;
}

static int make_counters(hs_timeline *tl)
{
    const hs_hw *hw = tl->hw;
    tl->nctr = hw->nmem + hw->npus;
    size_t maxkeys = hw->nmem + 3 * hw->npus;   /* each PU a series, each domain "other", 2 per load */
    tl->ctr = calloc(tl->nctr, sizeof *tl->ctr);
    tl->series = calloc(hw->npus, sizeof *tl->series);
    tl->keys = calloc(maxkeys, sizeof *tl->keys);
    tl->vals = calloc(3 * maxkeys, sizeof *tl->vals);
    tl->mem_total = calloc(hw->nmem, sizeof *tl->mem_total);
    if (!tl->ctr || !tl->series || !tl->keys || !tl->vals || !tl->mem_total)
        return -1;
    size_t nkeys = 0;
    for (size_t i = 0; i < tl->nctr; i++) {
        counter *c = &tl->ctr[i];
        size_t first = nkeys;
        describe_counter(tl, i, &nkeys);
        c->v = tl->vals + 3 * first;
        c->last = c->v + c->nvals;
        c->before = c->last + c->nvals;
        for (int k = 0; k < c->nvals; k++)
            c->last[k] = NAN;
    }
    return 0;
}

static void put_counter(hs_timeline *tl, const counter *c, double t, const double *v)
{
    sep(tl);
    fprintf(tl->f, "{\"ph\":\"C\",\"pid\":%d,\"name\":", PID_MACHINE);
    hs_json_string(tl->f, c->name);
    fputs(",\"ts\":", tl->f);
    put_us(tl->f, t);
    fputs(",\"args\":{", tl->f);
    for (int k = 0; k < c->nvals; k++) {
        if (k)
            fputc(',', tl->f);
        hs_json_string(tl->f, c->keys[k]);
        fputc(':', tl->f);
        put_num(tl->f, v[k]);
    }
    fputs("}}", tl->f);
}

/* Writes the values the counter held when the window opened, once. */
static void put_before(hs_timeline *tl, counter *c)
{
    if (c->has_before)
        put_counter(tl, c, tl->from_s, c->before);
    c->has_before = false;
}

/* Writes the held values of an instant that is over (if they changed). */
static void flush(hs_timeline *tl, counter *c)
{
    c->pending = false;
    const size_t size = (size_t)c->nvals * sizeof *c->v;
    if (memcmp(c->v, c->last, size) == 0)
        return;
    memcpy(c->last, c->v, size);
    if (c->t < tl->from_s) {
        memcpy(c->before, c->v, size);
        c->has_before = true;
        return;
    }
    put_before(tl, c);
    if (c->t <= tl->to_s)
        put_counter(tl, c, c->t, c->v);
}

/* Sets series k of counter i to v at time t. */
static void update(hs_timeline *tl, size_t i, int k, double t, double v)
{
    counter *c = &tl->ctr[i];
    if (c->pending && t != c->t)
        flush(tl, c);
    if (!c->pending)
        for (int j = 0; j < c->nvals; j++)
            c->v[j] = isnan(c->last[j]) ? 0 : c->last[j];
    c->t = t;
    c->v[k] = v;
    c->pending = true;
}

/* ---- The run's callbacks ------------------------------------------------------------ */

static void on_kernel(void *ctx, const hs_kernel_row *row)
{
    hs_timeline *tl = ctx;
    if (!in_window(tl, row->start_s, row->end_s))
        return;
    char name[160];
    if (row->request == UINT64_MAX)
        snprintf(name, sizeof name, "batch x%u %s", row->batch, row->stage);
    else
        snprintf(name, sizeof name, "r%llu %s", (unsigned long long)row->request, row->stage);
    sep(tl);
    fprintf(tl->f, "{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":", PID_MACHINE, row->pu + 1);
    put_us(tl->f, row->start_s);
    fputs(",\"dur\":", tl->f);
    put_us(tl->f, row->end_s - row->start_s);
    fputs(",\"name\":", tl->f);
    hs_json_string(tl->f, name);
    fputs(",\"cat\":", tl->f);
    hs_json_string(tl->f, row->slot);
    fprintf(tl->f, ",\"args\":{\"work\":%llu,\"flops\":", (unsigned long long)row->work);
    put_num(tl->f, row->flops);
    fputs(",\"bytes\":", tl->f);
    put_num(tl->f, row->bytes);
    /* What is usually so is left out: no wait, one member, a whole item. */
    if (row->ready_s < row->start_s) {
        fputs(",\"ready_us\":", tl->f);
        put_us(tl->f, row->ready_s);
    }
    if (row->batch > 1)
        fprintf(tl->f, ",\"batch\":%u", row->batch);
    if (row->part)
        fputs(",\"part\":true", tl->f);
    fputs("}}", tl->f);
}

static void put_instant(hs_timeline *tl, long long tid, double t, const char *name)
{
    if (!in_window(tl, t, t))
        return;
    sep(tl);
    fprintf(tl->f, "{\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%lld,\"ts\":", PID_REQUESTS, tid);
    put_us(tl->f, t);
    fprintf(tl->f, ",\"name\":\"%s\"}", name);
}

/* A finished request: its own track with its span and markers. */
static void on_request(void *ctx, const hs_request_row *row)
{
    hs_timeline *tl = ctx;
    if (!in_window(tl, row->arrival_s, row->finish_s))
        return;
    const long long tid = (long long)row->request + 1;
    char name[160];
    snprintf(name, sizeof name, "r%llu %s", (unsigned long long)row->request, row->cls ? row->cls : "");
    put_track_name(tl, PID_REQUESTS, tid, "thread_name", name);
    sep(tl);
    fprintf(tl->f, "{\"ph\":\"X\",\"pid\":%d,\"tid\":%lld,\"ts\":", PID_REQUESTS, tid);
    put_us(tl->f, row->arrival_s);
    fputs(",\"dur\":", tl->f);
    put_us(tl->f, row->finish_s - row->arrival_s);
    fputs(",\"name\":", tl->f);
    hs_json_string(tl->f, name);
    fputs(",\"args\":{\"latency_s\":", tl->f);
    put_num(tl->f, row->latency_s);
    fputs(",\"energy_j\":", tl->f);
    put_num(tl->f, row->energy_j);
    fprintf(tl->f, ",\"warmup\":%s}}", row->warmup ? "true" : "false");
    put_instant(tl, tid, row->arrival_s, "arrival");
    if (isfinite(row->first_token_s))
        put_instant(tl, tid, row->first_token_s, "first token");
    put_instant(tl, tid, row->finish_s, "finish");
}

static void on_pu_load(void *ctx, double t, int pu, int queued, int running)
{
    hs_timeline *tl = ctx;
    update(tl, tl->hw->nmem + (size_t)pu, 0, t, queued);
    update(tl, tl->hw->nmem + (size_t)pu, 1, t, running);
}

/* A domain's "other" series: its total less its PUs' series (rounding
 * noise of the subtraction reads as 0). */
static void set_other(hs_timeline *tl, int mem, double t)
{
    counter *c = &tl->ctr[mem];
    const int other = c->nvals - 1;
    update(tl, (size_t)mem, other, t, 0);
    double rest = tl->mem_total[mem];
    for (int k = 0; k < other; k++)
        rest -= c->v[k];
    c->v[other] = rest > 1e-9 * fmax(1.0, tl->mem_total[mem]) ? rest : 0;
}

/* A domain's total: what its PUs' series do not hold goes to "other". */
static void on_mem_bw(void *ctx, double t, int mem, double bps)
{
    hs_timeline *tl = ctx;
    tl->mem_total[mem] = bps / 1e9;
    set_other(tl, mem, t);
}

static void on_pu_bw(void *ctx, double t, int pu, double bps)
{
    hs_timeline *tl = ctx;
    const int mem = tl->hw->pus[pu].mem;
    update(tl, (size_t)mem, tl->series[pu], t, bps / 1e9);
    set_other(tl, mem, t);
}

/* ---- Lifecycle -------------------------------------------------------------------- */

static void put_header(hs_timeline *tl)
{
    fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", tl->f);
    char title[256];
    snprintf(title, sizeof title, "hetsoc %s", tl->hw->name);
    put_track_name(tl, PID_MACHINE, -1, "process_name", title);
    for (size_t p = 0; p < tl->hw->npus; p++)
        put_track_name(tl, PID_MACHINE, (long long)p + 1, "thread_name", tl->hw->pus[p].name);
    put_track_name(tl, PID_REQUESTS, -1, "process_name", "requests");
}

static void timeline_free(hs_timeline *tl)
{
    free(tl->ctr);
    free(tl->series);
    free(tl->keys);
    free(tl->vals);
    free(tl->mem_total);
    free(tl->tmp);
    free(tl->path);
    free(tl);
}

hs_timeline *hs_timeline_open(const char *path, const hs_hw *hw, double from_s, double to_s, hs_err *err)
{
    hs_timeline *tl = calloc(1, sizeof *tl);
    if (!tl || !(tl->path = strdup(path)) || (tl->hw = hw, make_counters(tl) != 0)) {
        if (tl)
            timeline_free(tl);
        hs_errf(err, "out of memory");
        return NULL;
    }
    tl->from_s = from_s;
    tl->to_s = to_s;
    tl->first = true;
    if (open_target(tl, err) != 0) {
        if (tl->tmp)
            unlink(tl->tmp);
        timeline_free(tl);
        return NULL;
    }
    put_header(tl);
    return tl;
}

void hs_timeline_attach(hs_timeline *tl, hs_run_cfg *cfg)
{
    cfg->bw_observer = on_mem_bw;
    cfg->pu_bw_observer = on_pu_bw;
    cfg->bw_observer_ctx = tl;
    cfg->sink = (hs_run_sink){.ctx = tl, .request = on_request, .kernel = on_kernel, .pu_load = on_pu_load};
}

int hs_timeline_close(hs_timeline *tl, bool ok, hs_err *err)
{
    for (size_t i = 0; i < tl->nctr; i++) {
        if (tl->ctr[i].pending)
            flush(tl, &tl->ctr[i]);
        put_before(tl, &tl->ctr[i]);
    }
    fputs("\n]}\n", tl->f);
    int rc = 0;
    bool failed = ferror(tl->f) != 0;
    if ((fclose(tl->f) != 0 || failed) && ok)
        rc = hs_errf(err, "%s: write failed: %s", tl->path, errno ? strerror(errno) : "I/O error");
    if (tl->tmp && ok && rc == 0 && rename(tl->tmp, tl->path) != 0)
        rc = hs_errf(err, "%s: cannot rename: %s", tl->path, strerror(errno));
    if (tl->tmp && (!ok || rc != 0))
        unlink(tl->tmp);
    timeline_free(tl);
    return rc;
}

int hs_timeline_parse_window(const char *text, double *from_s, double *to_s)
{
    const char *colon = strchr(text, ':');
    if (!colon || strchr(colon + 1, ':'))
        return -1;
    double v[2] = {0, INFINITY};
    const char *part[2] = {text, colon + 1};
    const char *end[2] = {colon, text + strlen(text)};
    for (int k = 0; k < 2; k++) {
        if (part[k] == end[k])
            continue;   /* empty: from the start, to the end */
        char *stop;
        errno = 0;
        v[k] = strtod(part[k], &stop);
        if (stop != end[k] || errno || !isfinite(v[k]) || v[k] < 0)
            return -1;
    }
    if (!(v[0] < v[1]))
        return -1;
    *from_s = v[0];
    *to_s = v[1];
    return 0;
}
