/* hetsoc workloads: arrival processes and the run's arrival iterator.
 *
 *   {process: poisson, rate: R}              exponential gaps (rate per s;
 *                                            `rate_per_min` also works)
 *   {process: deterministic, rate: R}        gaps 1/R (or `interval`)
 *   {process: gamma, rate: R, cv: C}         gamma gaps with that CV
 *   {process: mmpp, rate_on, rate_off, mean_on, mean_off}
 *                                            on/off bursts: a two-state
 *                                            Markov-modulated Poisson process
 *                                            with exponential sojourns (s)
 *   {process: closed, users: N, think: DIST} N users, each issuing its next
 *                                            request a think time after its
 *                                            previous one finished
 *   {process: trace, path, format, time_unit, time_scale, start, limit}
 *
 * Open processes start at time 0 and their first request arrives one gap
 * later; an mmpp starts in its stationary state.  Closed-loop users issue
 * their first request after one think time.  Each class draws from its
 * own stream ("arrival/CLASS"), each closed-loop user from its own
 * ("arrival/CLASS", user), so arrivals do not depend on other classes and
 * a user's think times do not depend on the order requests finish in. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

static const char *const process_names[WA_COUNT + 1] = {
    "poisson", "deterministic", "gamma", "mmpp", "closed", "trace", NULL,
};

/* ---- Parsing. ----------------------------------------------------------- */

static int parse_rate(const hs_node *n, wl_arrival *a, bool interval_ok, hs_err *err)
{
    const hs_node *r = hs_map_get(n, "rate"), *rm = hs_map_get(n, "rate_per_min"),
                  *iv = interval_ok ? hs_map_get(n, "interval") : NULL;
    if (!!r + !!rm + !!iv != 1)
        return hs_node_err(n, err, "give one of 'rate' (per s), 'rate_per_min'%s",
                           interval_ok ? " or 'interval' (s)" : "");
    double v;
    if (r)
        return hs_node_f64(r, 1e-12, 1e12, &a->rate, err);
    if (rm) {
        if (hs_node_f64(rm, 1e-12, 1e12, &v, err) < 0)
            return -1;
        a->rate = v / 60.0;
        return 0;
    }
    if (hs_node_f64(iv, 1e-12, 1e12, &v, err) < 0)
        return -1;
    a->rate = 1 / v;
    return 0;
}

static int time_unit(const hs_node *n, double *out, hs_err *err)
{
    static const char *const names[] = {"s", "ms", "us", "ns", "min", "h", NULL};
    static const double mult[] = {1, 1e-3, 1e-6, 1e-9, 60, 3600};
    int u = 0;
    if (hs_get_enum(n, "time_unit", false, names, &u, err) < 0)
        return -1;
    *out = mult[u];
    return 0;
}

/* A trace path: beside the file that names it first, then as given. */
static int trace_path(const hs_node *n, const char *path, char **out, hs_err *err)
{
    const char *file = n->file;
    if (path[0] != '/' && file && strchr(file, '/')) {
        size_t dl = (size_t)(strrchr(file, '/') - file);
        char *p = malloc(dl + strlen(path) + 2);
        if (!p)
            return hs_errf(err, "out of memory");
        sprintf(p, "%.*s/%s", (int)dl, file, path);
        FILE *f = fopen(p, "rb");
        if (f) {
            fclose(f);
            *out = p;
            return 0;
        }
        free(p);
    }
    *out = wl_strdup(path);
    return *out ? 0 : hs_errf(err, "out of memory");
}

static int parse_trace(const hs_node *n, wl_arrival *a, hs_err *err)
{
    wl_trace_spec *t = &a->trace;
    const char *path, *fmt;
    t->time_scale = 1;
    if (hs_get_str(n, "path", true, &path, err) < 0 || hs_get_str(n, "format", true, &fmt, err) < 0)
        return -1;
    t->format = wl_trace_format_find(fmt);
    if (!t->format) {
        char names[256];
        return hs_node_err(hs_map_get(n, "format"), err, "unknown trace format '%s' (%s)", fmt,
                           wl_trace_format_list(names, sizeof names));
    }
    if (time_unit(n, &t->time_unit, err) < 0 ||
        hs_get_f64(n, "time_scale", false, 1e-9, 1e9, &t->time_scale, err) < 0 ||
        hs_get_f64(n, "start", false, 0, 1e12, &t->start, err) < 0 ||
        hs_get_i64(n, "limit", false, 0, INT64_C(1) << 50, &t->limit, err) < 0 ||
        trace_path(hs_map_get(n, "path"), path, &t->path, err) < 0)
        return -1;
    const hs_node *where = hs_map_get(n, "path");
    FILE *f = fopen(t->path, "rb");
    if (!f)
        return hs_node_err(where, err, "cannot open trace '%s': %s", t->path, strerror(errno));
    fclose(f);
    /* Read it once now, so a bad line is reported before the run starts. */
    if (wl_trace_validate(t, err) < 0)
        return -1;
    if (t->records == 0)
        return hs_node_err(where, err, "trace '%s' has no records%s", t->path,
                           t->start > 0 || t->limit > 0 ? " after `start`" : "");
    return 0;
}

static const char *const *process_keys(wl_process p)
{
    static const char *const rate[] = {"process", "rate", "rate_per_min", NULL};
    static const char *const det[] = {"process", "rate", "rate_per_min", "interval", NULL};
    static const char *const gam[] = {"process", "rate", "rate_per_min", "cv", NULL};
    static const char *const mmpp[] = {"process", "rate_on", "rate_off", "mean_on", "mean_off",
                                       NULL};
    static const char *const closed[] = {"process", "users", "think", NULL};
    static const char *const trace[] = {"process", "path", "format", "time_unit", "time_scale",
                                        "start", "limit", NULL};
    switch (p) {
    case WA_DETERMINISTIC: return det;
    case WA_GAMMA: return gam;
    case WA_MMPP: return mmpp;
    case WA_CLOSED: return closed;
    case WA_TRACE: return trace;
    default: return rate;
    }
}

static int parse_process(const hs_node *n, wl_arrival *a, hs_err *err)
{
    switch (a->process) {
    case WA_POISSON: return parse_rate(n, a, false, err);
    case WA_DETERMINISTIC: return parse_rate(n, a, true, err);
    case WA_GAMMA:
        return parse_rate(n, a, false, err) < 0 ? -1
                                                : hs_get_f64(n, "cv", true, 1e-3, 100, &a->cv, err);
    case WA_MMPP:
        if (hs_get_f64(n, "rate_on", true, 0, 1e12, &a->rate_on, err) < 0 ||
            hs_get_f64(n, "rate_off", false, 0, 1e12, &a->rate_off, err) < 0 ||
            hs_get_f64(n, "mean_on", true, 1e-9, 1e12, &a->mean_on, err) < 0 ||
            hs_get_f64(n, "mean_off", true, 1e-9, 1e12, &a->mean_off, err) < 0)
            return -1;
        if (a->rate_on <= 0 && a->rate_off <= 0)
            return hs_node_err(n, err, "mmpp: rate_on or rate_off must be positive");
        return 0;
    case WA_CLOSED: {
        const hs_node *th = hs_map_get(n, "think");
        a->users = 1;
        if (hs_get_i64(n, "users", false, 1, 1000000, &a->users, err) < 0)
            return -1;
        if (!th) {
            a->think = (wl_dist){.kind = WD_CONST, .lo = -INFINITY, .hi = INFINITY};
            return 0;
        }
        return wl_dist_parse(th, &a->think, err);
    }
    default: return parse_trace(n, a, err);
    }
}

int wl_arrival_parse(const hs_node *n, wl_arrival *a, hs_err *err)
{
    memset(a, 0, sizeof *a);
    a->where = n;
    a->think.hi = INFINITY;
    a->think.lo = -INFINITY;
    if (hs_node_expect(n, HS_NODE_MAP, err) < 0)
        return -1;
    int p;
    if (hs_get_enum(n, "process", true, process_names, &p, err) < 0)
        return -1;
    a->process = (wl_process)p;
    if (hs_map_check_keys(n, process_keys(a->process), err) < 0)
        return -1;
    return parse_process(n, a, err);
}

void wl_arrival_free(wl_arrival *a)
{
    wl_dist_free(&a->think);
    free(a->trace.path);
    a->trace.path = NULL;
}

bool wl_arrival_finite(const wl_arrival *a)
{
    return a->process == WA_TRACE;
}

/* ---- The iterator. ------------------------------------------------------ */

typedef struct user_ev {
    double t;
    uint32_t user;
} user_ev;

typedef struct src {
    const wl_class *cls;
    uint32_t idx;
    hs_rng rng;
    bool has_rng;
    double t;                /* open: time of the last arrival drawn */
    bool has_next, done;
    double next;
    int64_t next_in, next_out;
    int64_t emitted;
    bool on;                 /* mmpp */
    double state_end;
    wl_trace_rd rd;          /* trace */
    bool rd_open;
    hs_rng *users;           /* closed: one stream per user */
    user_ev *heap;
    size_t nheap;
    int64_t busy;
} src;

struct hs_gen {
    const hs_workload *wl;
    uint64_t seed;
    size_t n;
    src *srcs;
    uint64_t next_id;
};

static void heap_push(src *s, user_ev ev)
{
    size_t i = s->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        bool before = s->heap[p].t < ev.t || (s->heap[p].t == ev.t && s->heap[p].user < ev.user);
        if (before)
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = ev;
}

static user_ev heap_pop(src *s)
{
    user_ev top = s->heap[0], last = s->heap[--s->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->nheap)
            break;
        if (c + 1 < s->nheap && (s->heap[c + 1].t < s->heap[c].t ||
                                 (s->heap[c + 1].t == s->heap[c].t &&
                                  s->heap[c + 1].user < s->heap[c].user)))
            c++;
        if (last.t < s->heap[c].t || (last.t == s->heap[c].t && last.user < s->heap[c].user))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    s->heap[i] = last;
    return top;
}

static void stream_name(char *buf, size_t size, const wl_class *c)
{
    snprintf(buf, size, "arrival/%s", c->name);
}

static int open_closed(hs_gen *g, src *s, hs_err *err)
{
    const wl_arrival *a = &s->cls->arr;
    char dom[128];
    stream_name(dom, sizeof dom, s->cls);
    s->users = calloc((size_t)a->users, sizeof *s->users);
    s->heap = calloc((size_t)a->users, sizeof *s->heap);
    if (!s->users || !s->heap)
        return hs_errf(err, "out of memory");
    for (int64_t u = 0; u < a->users; u++) {
        if (hs_rng_init(&s->users[u], g->seed, dom, (uint64_t)u) < 0)
            return hs_errf(err, "out of memory");
        double th = wl_dist_sample(&a->think, s->users[u].g);
        heap_push(s, (user_ev){th > 0 ? th : 0, (uint32_t)u});
    }
    return 0;
}

static int open_src(hs_gen *g, src *s, hs_err *err)
{
    const wl_arrival *a = &s->cls->arr;
    char dom[128];
    stream_name(dom, sizeof dom, s->cls);
    if (a->process == WA_CLOSED)
        return open_closed(g, s, err);
    if (a->process == WA_TRACE) {
        if (wl_trace_open(&a->trace, &s->rd, err) < 0)
            return -1;
        s->rd_open = true;
        return 0;
    }
    if (hs_rng_init(&s->rng, g->seed, dom, 0) < 0)
        return hs_errf(err, "out of memory");
    s->has_rng = true;
    if (a->process == WA_MMPP) {
        double p_on = a->mean_on / (a->mean_on + a->mean_off);
        s->on = gsl_rng_uniform(s->rng.g) < p_on;
        s->state_end = gsl_ran_exponential(s->rng.g, s->on ? a->mean_on : a->mean_off);
    }
    return 0;
}

/* Next arrival time of an mmpp after s->t. */
static double mmpp_next(src *s)
{
    const wl_arrival *a = &s->cls->arr;
    for (;;) {
        double rate = s->on ? a->rate_on : a->rate_off;
        if (rate > 0) {
            double gap = gsl_ran_exponential(s->rng.g, 1 / rate);
            if (s->t + gap < s->state_end)
                return s->t + gap;
        }
        /* No arrival before the state ends: memoryless, restart there. */
        s->t = s->state_end;
        s->on = !s->on;
        s->state_end = s->t + gsl_ran_exponential(s->rng.g, s->on ? a->mean_on : a->mean_off);
    }
}

/* Draws the next arrival of an open source into s->next. */
static int draw_open(src *s, hs_err *err)
{
    const wl_arrival *a = &s->cls->arr;
    gsl_rng *r = s->has_rng ? s->rng.g : NULL;
    s->next_in = s->next_out = -1;
    switch (a->process) {
    case WA_POISSON: s->next = s->t + gsl_ran_exponential(r, 1 / a->rate); break;
    case WA_DETERMINISTIC: s->next = s->t + 1 / a->rate; break;
    case WA_GAMMA:
        s->next = s->t + gsl_ran_gamma(r, 1 / (a->cv * a->cv), a->cv * a->cv / a->rate);
        break;
    case WA_MMPP: s->next = mmpp_next(s); break;
    default: {
        int rc = wl_trace_next(&s->rd, &s->next, &s->next_in, &s->next_out, err);
        if (rc <= 0) {
            s->done = true;
            return rc;
        }
        break;
    }
    }
    s->has_next = true;
    return 1;
}

static bool class_full(const hs_gen *g, const src *s)
{
    int64_t cap = s->cls->max_requests;
    return (cap > 0 && s->emitted >= cap) ||
           (g->wl->max_requests > 0 && (int64_t)g->next_id >= g->wl->max_requests);
}

/* The earliest pending arrival of s: 1 with *t, 0 none now, -1 error. */
static int src_peek(hs_gen *g, src *s, double *t, hs_err *err)
{
    if (s->done || class_full(g, s))
        return 0;
    if (s->cls->arr.process == WA_CLOSED) {
        if (s->nheap == 0)
            return 0;
        *t = s->heap[0].t;
    } else {
        if (!s->has_next && draw_open(s, err) < 0)
            return -1;
        if (s->done)
            return 0;
        *t = s->next;
    }
    double dur = g->wl->duration;
    if (dur > 0 && *t > dur) {
        if (s->cls->arr.process != WA_CLOSED)
            s->done = true;
        else
            s->nheap = 0;   /* no user starts another request */
        return 0;
    }
    return 1;
}

static void free_src(src *s)
{
    if (s->has_rng)
        hs_rng_free(&s->rng);
    if (s->rd_open)
        wl_trace_close(&s->rd);
    if (s->users)
        for (int64_t u = 0; u < s->cls->arr.users; u++)
            if (s->users[u].g)
                hs_rng_free(&s->users[u]);
    free(s->users);
    free(s->heap);
}

void hs_gen_free(hs_gen *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        free_src(&g->srcs[i]);
    free(g->srcs);
    free(g);
}

hs_gen *hs_gen_create(const hs_workload *wl, uint64_t run_seed, hs_err *err)
{
    hs_gen *g = calloc(1, sizeof *g);
    if (!g || !(g->srcs = calloc(wl->nclasses ? wl->nclasses : 1, sizeof *g->srcs))) {
        free(g);
        hs_errf(err, "out of memory");
        return NULL;
    }
    g->wl = wl;
    g->seed = run_seed;
    g->n = wl->nclasses;
    for (size_t i = 0; i < g->n; i++) {
        g->srcs[i].cls = &wl->classes[i];
        g->srcs[i].idx = (uint32_t)i;
        if (open_src(g, &g->srcs[i], err) < 0) {
            hs_gen_free(g);
            return NULL;
        }
    }
    return g;
}

/* The source of the next arrival (ties: lower class index), or the code. */
static int earliest(hs_gen *g, src **which, double *t, hs_err *err)
{
    *which = NULL;
    bool waiting = false;
    for (size_t i = 0; i < g->n; i++) {
        src *s = &g->srcs[i];
        double ts;
        int rc = src_peek(g, s, &ts, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            /* A closed-loop user still busy may issue more later. */
            waiting |= s->cls->arr.process == WA_CLOSED && s->busy > 0 && !class_full(g, s);
            continue;
        }
        if (!*which || ts < *t) {
            *which = s;
            *t = ts;
        }
    }
    if (*which)
        return HS_GEN_READY;
    return waiting ? HS_GEN_WAIT : HS_GEN_END;
}

int hs_gen_peek(hs_gen *g, double *time, hs_err *err)
{
    src *s;
    double t = 0;
    int rc = earliest(g, &s, &t, err);
    if (rc == HS_GEN_READY)
        *time = t;
    return rc;
}

int hs_gen_next(hs_gen *g, hs_arrival *a, hs_err *err)
{
    src *s;
    double t = 0;
    int rc = earliest(g, &s, &t, err);
    if (rc != HS_GEN_READY)
        return rc;
    memset(a, 0, sizeof *a);
    a->time = t;
    a->id = g->next_id++;
    a->cls = s->idx;
    a->seq = (uint64_t)s->emitted++;
    a->prompt_tokens = a->output_tokens = -1;
    if (s->cls->arr.process == WA_CLOSED) {
        user_ev ev = heap_pop(s);
        a->user = ev.user;
        s->busy++;
    } else {
        a->prompt_tokens = s->next_in;
        a->output_tokens = s->next_out;
        s->t = s->next;
        s->has_next = false;
    }
    return HS_GEN_READY;
}

void hs_gen_request_done(hs_gen *g, const hs_arrival *a, double t)
{
    if (!g || a->cls >= g->n)
        return;
    src *s = &g->srcs[a->cls];
    if (s->cls->arr.process != WA_CLOSED || s->busy <= 0)
        return;
    s->busy--;
    if (class_full(g, s))
        return;
    double th = wl_dist_sample(&s->cls->arr.think, s->users[a->user].g);
    double next = t + (th > 0 ? th : 0);
    if (g->wl->duration > 0 && next > g->wl->duration)
        return;
    heap_push(s, (user_ev){next, a->user});
}
