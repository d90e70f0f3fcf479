/* hetsoc real/: the OpenCL executor.
 *
 * Threads.  The engine runs in the thread that calls run(); OpenCL calls
 * each kernel's completion callback from its own threads.  A callback only
 * stamps the wall clock and appends the kernel's record to a completion
 * queue under a mutex, then signals a condition variable.  run() merges
 * that queue with the timer heap (sim/'s event queue and pool) in time
 * order: it handles whatever is due, and otherwise sleeps on the condition
 * variable until the next timer's deadline or the next completion.  So the
 * engine's callbacks -- kernel done, timers -- all run in the run() thread,
 * one at a time.
 *
 * The clock.  now() is the time of the event being handled (seconds since
 * bind(), CLOCK_MONOTONIC): a completion's stamp or a timer's deadline,
 * never decreasing.  It stays fixed while the engine handles the event, so
 * that everything the engine does for one event happens at one instant, as
 * in the simulator; the host's own processing time shows up in the next
 * kernel's start-to-end time (what the hardware measured).
 *
 * Busy time is measured from the wall stamps (start() to completion);
 * energy is modelled: the profile's active and idle power over the measured
 * busy and idle time, and its DRAM pJ/byte over the bytes of the kernels run
 * (nothing is metered).  bw_used() estimates the bandwidth in use as the sum,
 * over running kernels, of bytes / predicted time (hw/'s model). */
#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "real/exec/exec_real.h"

double rl_now_wall(rl_exec *e) { return rl_wall() - e->origin; }

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- Completion records ------------------------------------------------------------- */

static rl_rec *rec_alloc(rl_exec *e)
{
    rl_rec *r = e->free_recs;
    if (r)
        e->free_recs = r->next;
    else
        r = malloc(sizeof *r);
    if (r)
        memset(r, 0, sizeof *r);
    return r;
}

/* The race: PoCL (3.1) calls an event's completion callback on a device
 * worker thread, and once the callback returns that thread goes on with
 * the event and its queue (pocl_update_event_finished: notifications, the
 * event's buffers, its own reference); clFinish does not wait for that
 * tail.  Tearing the executor down (queues, buffers, contexts) while a
 * worker is still in it crashed the worker when several processes
 * oversubscribed the machine.  Two guards: a handled event is released
 * RL_LATE_EVENTS completions later, and the last ones only after
 * real_destroy has given the workers time to leave (the guard that
 * matters: without it scripts/real-stress.sh crashes test_real_run most
 * times; the event's reference count cannot say when the worker left, as
 * PoCL keeps one of its own on a queue's last event). */
static void release_late(rl_exec *e, cl_event ev)
{
    cl_event *slot = &e->late[e->late_next++ % RL_LATE_EVENTS];
    if (*slot)
        clReleaseEvent(*slot);
    *slot = ev;
}

static void release_all_late(rl_exec *e)
{
    for (int i = 0; i < RL_LATE_EVENTS; i++)
        if (e->late[i]) {
            clReleaseEvent(e->late[i]);
            e->late[i] = NULL;
        }
}

static void rec_free(rl_exec *e, rl_rec *r)
{
    if (r->ev)
        release_late(e, r->ev);
    r->ev = NULL;
    r->next = e->free_recs;
    e->free_recs = r;
}

/* Priorities.  On a CPU device the engine's thread, the device's worker
 * threads and whatever else the machine runs share the same cores; the
 * run's measurement should reflect the kernels, not the machine's other
 * load.  So the executor's threads ask for real-time priorities: the
 * OpenCL threads that deliver completions (the CPU device's workers) take
 * SCHED_FIFO 1 the first time they do, and the engine's thread SCHED_FIFO 2
 * while run() lasts (and while the profiler measures), above the workers so
 * that it is never queued behind a kernel.  Without CAP_SYS_NICE they fall
 * back to nice -10 and -15 (nothing when that is refused too).  The kernel's
 * real-time throttling (sched_rt_runtime_us, 95% by default) still leaves
 * the machine some time.  The workers are put back as they were when the
 * executor is destroyed.  HETSOC_REAL_NO_PRIORITY=1 turns all this off. */
static bool priorities_off(void)
{
    const char *v = getenv("HETSOC_REAL_NO_PRIORITY");
    return v && *v && strcmp(v, "0") != 0;
}

static void raise_worker(rl_exec *e)
{
    static __thread bool done;
    if (done || priorities_off())
        return;
    done = true;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    rl_worker w = {.tid = tid};
    struct sched_param sp = {.sched_priority = 1};
    pthread_getschedparam(pthread_self(), &w.policy, &w.param);
    errno = 0;
    w.nice = getpriority(PRIO_PROCESS, (id_t)tid);
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0)
        w.fifo = true;
    else if (errno == 0 && setpriority(PRIO_PROCESS, (id_t)tid, -10) == 0)
        w.niced = true;
    else
        return;
    pthread_mutex_lock(&e->mu);
    if (e->nworkers < RL_MAX_WORKERS)
        e->workers[e->nworkers++] = w;
    pthread_mutex_unlock(&e->mu);
}

static void restore_workers(rl_exec *e)
{
    for (int i = 0; i < e->nworkers; i++) {
        const rl_worker *w = &e->workers[i];
        if (w->fifo)
            sched_setscheduler(w->tid, w->policy, &w->param);
        setpriority(PRIO_PROCESS, (id_t)w->tid, w->nice);
    }
    e->nworkers = 0;
}

void rl_raise_priority(rl_prio *sv)
{
    memset(sv, 0, sizeof *sv);
    if (priorities_off())
        return;
    pthread_getschedparam(pthread_self(), &sv->policy, &sv->param);
    struct sched_param sp = {.sched_priority = 2};
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0) {
        sv->fifo = true;
        return;
    }
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    sv->nice = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno == 0 && setpriority(PRIO_PROCESS, (id_t)tid, -15) == 0)
        sv->niced = true;
}

void rl_restore_priority(const rl_prio *sv)
{
    if (sv->fifo)
        pthread_setschedparam(pthread_self(), sv->policy, &sv->param);
    if (sv->niced)
        setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), sv->nice);
}

static void CL_CALLBACK on_complete(cl_event ev, cl_int status, void *user)
{
    (void)ev;
    rl_rec *r = user;
    rl_exec *e = r->e;
    raise_worker(e);
    pthread_mutex_lock(&e->mu);
    r->status = status;
    r->stamp = rl_wall() - e->origin;   /* under the lock: the queue is in stamp order */
    r->cq_next = NULL;
    if (e->cq_tail)
        e->cq_tail->cq_next = r;
    else
        e->cq_head = r;
    e->cq_tail = r;
    e->pending_cb--;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

static void pu_unlink(rl_pu *p, rl_rec *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        p->run_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

int rl_start(rl_exec *e, int pu, const hs_item *item, void *token, bool bg, hs_err *err)
{
    double w0 = rl_wall();
    if (e->failed) {
        if (err)
            *err = e->fail;
        return -1;
    }
    if (pu < 0 || (size_t)pu >= e->npus)
        return hs_errf(err, "no PU %d", pu);
    rl_rec *r = rec_alloc(e);
    if (!r)
        return hs_errf(err, "out of memory");
    cl_event ev = NULL;
    uint64_t cmds = 0;
    if (rl_enqueue_item(e, pu, item, &ev, &cmds, err) != 0) {
        rec_free(e, r);
        return -1;
    }
    rl_pu *p = &e->pus[pu];
    r->e = e;
    r->token = token;
    r->pu = pu;
    r->bg = bg;
    r->ev = ev;
    r->t0 = w0 - e->origin;
    r->cur0 = e->cur;
    r->bytes = item->k.bytes;
    r->bps = -1;
    r->k = item->k;
    /* Running list of the PU (engine kernels only). */
    if (!bg) {
        r->prev = NULL;
        r->next = p->run_head;
        if (p->run_head)
            p->run_head->prev = r;
        p->run_head = r;
        if (p->running++ == 0)
            p->busy_since = e->cur;
        p->bytes += r->bytes;
    }
    e->inflight++;
    pthread_mutex_lock(&e->mu);
    e->pending_cb++;
    pthread_mutex_unlock(&e->mu);
    cl_int rc = clSetEventCallback(ev, CL_COMPLETE, on_complete, r);
    if (rc == CL_SUCCESS)
        rc = clFlush(p->q);
    if (rc != CL_SUCCESS) {
        /* The callback may never come: wait for the device, then give up. */
        clFinish(p->q);
        e->failed = true;
        rl_cl_fail(&e->fail, rc, "PU %s: cannot watch a kernel's completion", e->hw->pus[pu].name);
        if (err)
            *err = e->fail;
        return -1;
    }
    e->st.kernels++;
    e->st.commands += cmds;
    e->st.start_s += rl_wall() - w0;
    return 0;
}

/* ---- The ops ---------------------------------------------------------------------------------- */

static double real_now(hs_exec *x) { return RX(x)->cur; }

static hs_event *real_at(hs_exec *x, double t, hs_exec_fn fn, uint64_t arg)
{
    rl_exec *e = RX(x);
    hs_event *ev = hs_event_alloc(e->pool);
    if (!ev)
        return NULL;
    ev->time = t > e->cur ? t : e->cur;
    ev->data.ptr.p = (void *)fn;
    ev->data.ptr.tag = arg;
    if (hs_evq_push(e->timers, ev) != 0) {
        hs_event_free(e->pool, ev);
        return NULL;
    }
    return ev;
}

static void real_cancel(hs_exec *x, hs_event *ev) { hs_evq_cancel(RX(x)->timers, ev); }

static int real_start(hs_exec *x, int pu, const hs_item *item, unsigned flags, void *token, hs_err *err)
{
    (void)flags;  /* in-order queues: a kernel always follows the previous one on its PU */
    return rl_start(RX(x), pu, item, token, false, err);
}

static void real_bind(hs_exec *x, void (*done)(void *engine, void *token), void *engine)
{
    rl_exec *e = RX(x);
    rl_drain(e);
    /* A new run: what a run cut short left behind is dropped. */
    hs_evq *fresh = hs_evq_create(e->pool);
    if (fresh) {
        hs_evq_destroy(e->timers);
        e->timers = fresh;
    }
    e->done = done;
    e->engine = engine;
    e->origin = rl_wall();
    e->cur = 0;
    e->dram_bytes = 0;
    for (size_t i = 0; i < e->npus; i++) {
        e->pus[i].busy_s = 0;
        e->pus[i].bytes = 0;
        e->pus[i].running = 0;
        e->pus[i].run_head = NULL;
    }
    hs_real_stats_reset(x);
}

/* Handles one completion (the record is off the queue). */
static void complete(rl_exec *e, rl_rec *r)
{
    if (r->stamp > e->cur)
        e->cur = r->stamp;
    e->inflight--;
    rl_pu *p = &e->pus[r->pu];
    if (!r->bg) {
        pu_unlink(p, r);
        if (--p->running == 0)
            p->busy_s += e->cur - p->busy_since;
    }
    if (r->status < 0 && !e->failed) {
        e->failed = true;
        rl_cl_fail(&e->fail, r->status, "a kernel failed on PU %s", e->hw->pus[r->pu].name);
    }
    void *token = r->token;
    bool ok = r->status >= 0 && !r->bg;
    if (ok && e->on_kernel)
        e->on_kernel(e->on_kernel_ctx, r->pu, &r->k, r->cur0, e->cur);
    rec_free(e, r);
    if (ok && e->done)
        e->done(e->engine, token);
}

static uint64_t real_run(hs_exec *x, double end_time, uint64_t max_events)
{
    rl_exec *e = RX(x);
    e->stopping = false;
    rl_prio prio;
    rl_raise_priority(&prio);
    uint64_t n = 0;
    double t_begin = rl_wall(), cpu_begin = thread_cpu(), waited = 0;
    while (!e->stopping && !e->failed && !(max_events && n >= max_events)) {
        hs_event *tv = hs_evq_peek(e->timers);
        double tt = tv ? tv->time : INFINITY;
        pthread_mutex_lock(&e->mu);
        rl_rec *c = e->cq_head;
        if (!c && !tv && e->inflight == 0) {
            pthread_mutex_unlock(&e->mu);
            break;
        }
        if (c && c->stamp <= tt) {
            if (c->stamp > end_time) {
                pthread_mutex_unlock(&e->mu);
                break;
            }
            e->cq_head = c->cq_next;
            if (!e->cq_head)
                e->cq_tail = NULL;
            pthread_mutex_unlock(&e->mu);
            e->st.lag_s += rl_now_wall(e) - c->stamp;
            e->st.events++;
            complete(e, c);
            n++;
            continue;
        }
        double now = rl_now_wall(e);
        if (tv && tt <= now) {
            pthread_mutex_unlock(&e->mu);
            if (tt > end_time)
                break;
            hs_event *ev = hs_evq_pop(e->timers);
            e->st.lag_s += now - ev->time;
            e->st.events++;
            if (ev->time > e->cur)
                e->cur = ev->time;
            hs_exec_fn fn = (hs_exec_fn)ev->data.ptr.p;
            uint64_t arg = ev->data.ptr.tag;
            hs_event_free(e->pool, ev);
            fn(e->engine, arg);
            n++;
            continue;
        }
        if (tt > end_time && e->inflight == 0) {
            pthread_mutex_unlock(&e->mu);
            break;
        }
        /* Nothing due: sleep until the next timer or a completion. */
        double w0 = rl_wall();
        if (tv) {
            double abs = e->origin + tt;
            struct timespec ts = {.tv_sec = (time_t)abs, .tv_nsec = (long)((abs - floor(abs)) * 1e9)};
            if (ts.tv_nsec >= 1000000000L)
                ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&e->cv, &e->mu, &ts);
        } else {
            pthread_cond_wait(&e->cv, &e->mu);
        }
        pthread_mutex_unlock(&e->mu);
        waited += rl_wall() - w0;
    }
    e->st.host_s += rl_wall() - t_begin - waited;
    e->st.host_cpu_s += thread_cpu() - cpu_begin;
    rl_restore_priority(&prio);
    return n;
}

static void real_stop(hs_exec *x) { RX(x)->stopping = true; }

static double real_bw_used(hs_exec *x, int mem)
{
    rl_exec *e = RX(x);
    double bps = 0;
    for (size_t i = 0; i < e->npus; i++) {
        if (e->hw->pus[i].mem != mem)
            continue;
        for (rl_rec *r = e->pus[i].run_head; r; r = r->next) {
            if (r->bps < 0) {
                hs_pred pr;
                r->bps = hs_hw_predict(e->hw, (int)i, &r->k, 0, &pr, NULL) == 0 && isfinite(pr.bound_bps)
                             ? pr.bound_bps
                             : 0;
            }
            bps += r->bps;
        }
    }
    return bps;
}

/* The profile's model: the standalone cost slowed by hw/'s co-run model
 * (max-min DRAM sharing in steady state) beside the kernels running now on
 * the other PUs that move bytes.  A PU's in-order queue runs one kernel at
 * a time, so what runs on pu itself is done before the item starts; those
 * that move no bytes (fixed-time items) share no bandwidth. */
static double real_predict_now(hs_exec *x, int pu, const hs_item *item, const hs_cost *cost)
{
    rl_exec *e = RX(x);
    size_t n = 1;
    for (size_t i = 0; i < e->npus; i++)
        for (const rl_rec *r = e->pus[i].run_head; r && (int)i != pu; r = r->next)
            n += r->bytes > 0;
    if (n == 1 || !(cost->bytes > 0))
        return cost->latency_s;
    hs_corun_item *items = calloc(n, sizeof *items);
    hs_corun_out *out = calloc(n, sizeof *out);
    double t = cost->latency_s;
    if (items && out) {
        size_t k = 0;
        items[k++] = (hs_corun_item){.pu = pu, .kernel = item->k};
        for (size_t i = 0; i < e->npus; i++)
            for (const rl_rec *r = e->pus[i].run_head; r && (int)i != pu; r = r->next)
                if (r->bytes > 0)
                    items[k++] = (hs_corun_item){.pu = (int)i, .kernel = r->k};
        if (hs_hw_predict_corun(e->hw, items, n, 0, out, NULL) == 0)
            t = cost->latency_s * out[0].slowdown;
    }
    free(items);
    free(out);
    return t;
}

static void real_pu_stats(hs_exec *x, int pu, double *busy_s, double *energy_j)
{
    rl_exec *e = RX(x);
    const rl_pu *p = &e->pus[pu];
    double busy = p->busy_s + (p->running ? e->cur - p->busy_since : 0);
    double idle = e->cur > busy ? e->cur - busy : 0;
    *busy_s = busy;
    *energy_j = busy * e->hw->pus[pu].power_active_w + idle * e->hw->pus[pu].power_idle_w;
}

static double real_dram_energy(hs_exec *x)
{
    rl_exec *e = RX(x);
    double j = 0;
    for (size_t i = 0; i < e->npus; i++)
        j += e->pus[i].bytes * e->hw->mems[e->hw->pus[i].mem].energy_j_per_byte;
    return j;
}

void rl_drain(rl_exec *e)
{
    for (size_t i = 0; i < e->npus; i++)
        if (e->pus[i].q)
            clFinish(e->pus[i].q);
    pthread_mutex_lock(&e->mu);
    while (e->pending_cb > 0)
        pthread_cond_wait(&e->cv, &e->mu);
    rl_rec *c = e->cq_head;
    e->cq_head = e->cq_tail = NULL;
    pthread_mutex_unlock(&e->mu);
    while (c) {
        rl_rec *next = c->cq_next;
        if (c->status < 0 && !e->failed) {
            e->failed = true;
            rl_cl_fail(&e->fail, c->status, "a kernel failed on PU %s", e->hw->pus[c->pu].name);
        }
        rec_free(e, c);
        c = next;
    }
    e->inflight = 0;
    for (size_t i = 0; i < e->npus; i++) {
        e->pus[i].running = 0;
        e->pus[i].run_head = NULL;
    }
}

static void ctx_free(rl_ctx *c)
{
    rl_buf_release(&c->kv);
    rl_buf_release(&c->ids);
    rl_buf_release(&c->corpus);
    rl_buf_release(&c->wscratch);
    for (size_t i = 0; i < c->nmodels; i++)
        rl_buf_release(&c->models[i].buf);
    free(c->models);
    if (c->fillq)
        clReleaseCommandQueue(c->fillq);
    if (c->prog)
        clReleaseProgram(c->prog);
    if (c->ctx)
        clReleaseContext(c->ctx);
    free(c->devs);
}

static void real_destroy(hs_exec *x)
{
    rl_exec *e = RX(x);
    if (!e)
        return;
    rl_drain(e);
    /* The workers' last callbacks returned (rl_drain); give them a moment
     * to leave the events before the last references go (chosen: 10 ms,
     * once per executor). */
    nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    release_all_late(e);
    restore_workers(e);
    for (size_t i = 0; i < e->npus; i++) {
        rl_pu *p = &e->pus[i];
        rl_buf_release(&p->x);
        rl_buf_release(&p->y);
        rl_buf_release(&p->z);
        rl_buf_release(&p->ti);
        for (int k = 0; k < RK_COUNT; k++)
            if (p->kern[k])
                clReleaseKernel(p->kern[k]);
        if (p->q)
            clReleaseCommandQueue(p->q);
    }
    for (size_t i = 0; i < e->nctx; i++)
        ctx_free(&e->ctxs[i]);
    for (size_t i = 0; i < e->npus; i++)
        if (e->pus[i].own_dev)
            clReleaseDevice(e->pus[i].dev);
    free(e->ctxs);
    free(e->pus);
    free(e->bg);
    while (e->free_recs) {
        rl_rec *r = e->free_recs;
        e->free_recs = r->next;
        free(r);
    }
    if (e->timers)
        hs_evq_destroy(e->timers);
    if (e->pool)
        hs_event_pool_destroy(e->pool);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e);
}

/* An item's kernels go to the OpenCL queue all at once when it starts
 * (rl_enqueue_item), and a command once enqueued runs: nothing can stop
 * the later kernels at a boundary. */
static int real_preempt(hs_exec *x, int pu, void *token, int64_t kernels, double within_s, double *done,
                        hs_err *err)
{
    (void)token, (void)kernels, (void)within_s, (void)done;
    return hs_errf(err, "the OpenCL executor cannot preempt running work: the item's kernels were enqueued "
                        "on PU %s when it started", RX(x)->hw->pus[pu].name);
}

static const hs_exec_ops real_ops = {
    .name = "real",
    .now = real_now,
    .at = real_at,
    .cancel = real_cancel,
    .start = real_start,
    .bind = real_bind,
    .run = real_run,
    .stop = real_stop,
    .bw_used = real_bw_used,
    .pu_stats = real_pu_stats,
    .dram_energy = real_dram_energy,
    .destroy = real_destroy,
    .predict_now = real_predict_now,
    .preempt = real_preempt,
};

/* ---- Public extras -------------------------------------------------------------------------- */

static bool is_real(hs_exec *x) { return x && x->ops == &real_ops; }

int hs_real_check(hs_exec *x, hs_err *err)
{
    if (!is_real(x))
        return hs_errf(err, "not a real executor");
    rl_exec *e = RX(x);
    if (e->failed) {
        if (err)
            *err = e->fail;
        return -1;
    }
    return 0;
}

void hs_real_stats_get(hs_exec *x, hs_real_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!is_real(x))
        return;
    *st = RX(x)->st;
    if (st->kernels) {
        st->overhead_us = 1e6 * st->host_s / (double)st->kernels;
        st->overhead_cpu_us = 1e6 * st->host_cpu_s / (double)st->kernels;
        st->enqueue_us = 1e6 * st->start_s / (double)st->kernels;
        st->lag_us = st->events ? 1e6 * st->lag_s / (double)st->events : 0;
    }
}

void hs_real_stats_reset(hs_exec *x)
{
    if (is_real(x))
        memset(&RX(x)->st, 0, sizeof RX(x)->st);
}

const char *hs_real_pu_device(hs_exec *x, int pu)
{
    if (!is_real(x) || pu < 0 || (size_t)pu >= RX(x)->npus)
        return "";
    return RX(x)->pus[pu].device;
}

/* Runs item alone on pu and waits for it (profiler, warm-up).  Kernels of
 * the PUs' background items (e->bg) are restarted as they finish. */
int rl_time_item(rl_exec *e, int pu, const hs_item *item, double *seconds, hs_err *err)
{
    static char fg_token;
    double t0 = rl_now_wall(e);
    if (rl_start(e, pu, item, &fg_token, false, err) != 0)
        return -1;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        while (!e->cq_head)
            pthread_cond_wait(&e->cv, &e->mu);
        rl_rec *r = e->cq_head;
        e->cq_head = r->cq_next;
        if (!e->cq_head)
            e->cq_tail = NULL;
        pthread_mutex_unlock(&e->mu);
        bool fg = !r->bg;
        int rpu = r->pu;
        double stamp = r->stamp;
        cl_int status = r->status;
        e->inflight--;
        if (fg) {
            rl_pu *p = &e->pus[rpu];
            pu_unlink(p, r);
            p->running--;
        }
        rec_free(e, r);
        if (status < 0)
            return rl_cl_fail(err, status, "a kernel failed on PU %s", e->hw->pus[rpu].name);
        if (fg) {
            *seconds = stamp - t0;
            e->last_stamp = stamp;
            return 0;
        }
        if (e->bg && e->bg[rpu] && rl_start(e, rpu, e->bg[rpu], NULL, true, err) != 0)
            return -1;
    }
}

/* ---- Creation: binding PUs to devices ------------------------------------------------------- */

static int make_ctx(rl_exec *e, rl_ctx *c, hs_err *err)
{
    cl_int rc;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)c->platform, 0};
    c->ctx = clCreateContext(props, c->ndev, c->devs, NULL, NULL, &rc);
    if (!c->ctx)
        return rl_cl_fail(err, rc, "cannot create an OpenCL context");
    if (rl_build_program(c->ctx, c->ndev, c->devs, (const char *)hs_real_cl_source, &c->prog, err) != 0)
        return -1;
    c->fillq = clCreateCommandQueueWithProperties(c->ctx, c->devs[0], NULL, &rc);
    if (!c->fillq)
        return rl_cl_fail(err, rc, "cannot create a command queue");
    c->max_alloc = (cl_ulong)-1;
    for (cl_uint i = 0; i < c->ndev; i++) {
        cl_ulong a = 0;
        clGetDeviceInfo(c->devs[i], CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof a, &a, NULL);
        if (a > 0 && a < c->max_alloc)
            c->max_alloc = a;
    }
    (void)e;
    return 0;
}

static int make_pu(rl_exec *e, int i, hs_err *err)
{
    rl_pu *p = &e->pus[i];
    rl_ctx *c = &e->ctxs[p->ctx];
    cl_int rc;
    p->q = clCreateCommandQueueWithProperties(c->ctx, p->dev, NULL, &rc);
    if (!p->q)
        return rl_cl_fail(err, rc, "PU %s: cannot create its command queue", e->hw->pus[i].name);
    size_t maxwg = 0;
    for (int k = 0; k < RK_COUNT; k++) {
        p->kern[k] = clCreateKernel(c->prog, rl_kernel_names[k], &rc);
        if (!p->kern[k])
            return rl_cl_fail(err, rc, "kernel %s", rl_kernel_names[k]);
        size_t wg = 0;
        clGetKernelWorkGroupInfo(p->kern[k], p->dev, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
        if (wg && (!maxwg || wg < maxwg))
            maxwg = wg;
    }
    cl_device_type t = 0;
    clGetDeviceInfo(p->dev, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    /* 16 lanes: one AVX-512 vector per work-group on a CPU; 64 on a GPU. */
    p->local = (t & CL_DEVICE_TYPE_GPU) ? 64 : 16;
    if (maxwg && p->local > maxwg)
        p->local = maxwg;
    const hs_pu *hp = &e->hw->pus[i];
    p->shape_rules = hp->nstatic > 0 || hp->tile > 1;
    if (hp->tile > c->tile)
        c->tile = hp->tile;
    return 0;
}

/* hs_spin's iterations per second on each PU: two lengths, the difference
 * removes the launch overhead. */
static int calibrate_spin(rl_exec *e, int pu, hs_err *err)
{
    rl_pu *p = &e->pus[pu];
    p->spin_rate = 2e8;   /* a first guess for the items below */
    hs_item it = {.kind = HS_ITEM_KERNEL, .slot = HS_SLOT_TASK, .phase = HS_PHASE_TASK};
    hs_pu_cost cost = {.pu = e->hw->pus[pu].name, .seconds = 0.002};
    it.costs = &cost;
    it.ncosts = 1;
    double t1 = INFINITY, t2 = INFINITY, s;
    for (int rep = 0; rep < 3; rep++) {
        cost.seconds = 0.002;
        if (rl_time_item(e, pu, &it, &s, err) != 0)
            return -1;
        t1 = fmin(t1, s);
        cost.seconds = 0.010;
        if (rl_time_item(e, pu, &it, &s, err) != 0)
            return -1;
        t2 = fmin(t2, s);
    }
    double iters = 0.008 * p->spin_rate;
    if (t2 > t1)
        p->spin_rate = iters / (t2 - t1);
    return 0;
}

static int bind_devices(rl_exec *e, hs_err *err)
{
    const hs_hw *hw = e->hw;
    rl_dev *devs;
    size_t nd;
    if (rl_list_devices(&devs, &nd, err) != 0)
        return -1;
    size_t ngpu_pu = 0, ncpu_pu = 0, ngpu = 0;
    const rl_dev *cpu = NULL;
    for (size_t i = 0; i < hw->npus; i++)
        hw->pus[i].kind == HS_PU_GPU ? ngpu_pu++ : ncpu_pu++;
    for (size_t i = 0; i < nd; i++) {
        if (devs[i].type & (CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR))
            ngpu++;
        else if (!cpu && (devs[i].type & CL_DEVICE_TYPE_CPU))
            cpu = &devs[i];
    }
    int rc = 0;
    if (ngpu_pu > ngpu)
        rc = hs_errf(err, "profile '%s' has %zu GPU PU%s but this machine has %zu OpenCL GPU device%s "
                          "(calibrate a profile for it: hetsoc profile -o FILE)",
                     hw->name, ngpu_pu, ngpu_pu == 1 ? "" : "s", ngpu, ngpu == 1 ? "" : "s");
    else if (ncpu_pu > 0 && !cpu)
        rc = hs_errf(err, "profile '%s' has CPU-side PUs but this machine has no OpenCL CPU device", hw->name);
    else if (ncpu_pu > 1 && cpu->units < ncpu_pu)
        rc = hs_errf(err, "profile '%s' has %zu CPU-side PUs but the CPU device '%s' has %u compute units",
                     hw->name, ncpu_pu, cpu->name, cpu->units);
    cl_device_id *subs = NULL;
    cl_uint nsub = 0;
    if (rc == 0 && ncpu_pu > 1) {
        cl_device_partition_property props[] = {CL_DEVICE_PARTITION_EQUALLY,
                                                (cl_device_partition_property)(cpu->units / ncpu_pu), 0};
        cl_int crc = clCreateSubDevices(cpu->id, props, 0, NULL, &nsub);
        if (crc == CL_SUCCESS && nsub >= ncpu_pu && (subs = calloc(nsub, sizeof *subs)))
            crc = clCreateSubDevices(cpu->id, props, nsub, subs, NULL);
        else if (crc == CL_SUCCESS)
            crc = CL_DEVICE_PARTITION_FAILED;
        if (crc != CL_SUCCESS)
            rc = rl_cl_fail(err, crc, "cannot split the CPU device '%s' into %zu sub-devices", cpu->name,
                            ncpu_pu);
    }
    if (rc == 0) {
        size_t gi = 0, ci = 0;
        for (size_t i = 0; i < hw->npus && rc == 0; i++) {
            rl_pu *p = &e->pus[i];
            const rl_dev *d;
            if (hw->pus[i].kind == HS_PU_GPU) {
                size_t seen = 0;
                d = NULL;
                for (size_t j = 0; j < nd && !d; j++)
                    if ((devs[j].type & (CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR)) && seen++ == gi)
                        d = &devs[j];
                gi++;
                p->dev = d->id;
                snprintf(p->device, sizeof p->device, "%s", d->name);
            } else {
                d = cpu;
                if (subs) {
                    p->dev = subs[ci];
                    p->own_dev = true;
                    snprintf(p->device, sizeof p->device, "%s (sub-device %zu of %zu, %u compute unit%s)",
                             cpu->name, ci + 1, ncpu_pu, cpu->units / (cl_uint)ncpu_pu,
                             cpu->units / ncpu_pu == 1 ? "" : "s");
                } else {
                    p->dev = cpu->id;
                    snprintf(p->device, sizeof p->device, "%s", cpu->name);
                }
                ci++;
            }
            /* Its context: one per platform. */
            size_t c = 0;
            while (c < e->nctx && e->ctxs[c].platform != d->platform)
                c++;
            if (c == e->nctx) {
                e->ctxs[c].platform = d->platform;
                e->ctxs[c].tile = 1;
                e->nctx++;
            }
            rl_ctx *cx = &e->ctxs[c];
            cl_device_id *g = realloc(cx->devs, (cx->ndev + 1) * sizeof *g);
            if (!g) {
                rc = hs_errf(err, "out of memory");
                break;
            }
            cx->devs = g;
            cx->devs[cx->ndev++] = p->dev;
            p->ctx = (int)c;
        }
        /* Sub-devices no PU took. */
        for (cl_uint j = (cl_uint)ncpu_pu; subs && j < nsub; j++)
            clReleaseDevice(subs[j]);
    } else if (subs) {
        for (cl_uint j = 0; j < nsub; j++)
            clReleaseDevice(subs[j]);
    }
    free(subs);
    free(devs);
    return rc;
}

hs_exec *hs_exec_real_create(const hs_hw *hw, const hs_real_opts *o, hs_err *err)
{
    rl_exec *e = calloc(1, sizeof *e);
    if (!e) {
        hs_errf(err, "out of memory");
        return NULL;
    }
    e->base.ops = &real_ops;
    e->hw = hw;
    if (o)
        e->opts = *o;
    e->rng = e->opts.data_seed ? e->opts.data_seed : 1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&e->mu, NULL);
    e->origin = rl_wall();
    e->pus = calloc(hw->npus, sizeof *e->pus);
    e->ctxs = calloc(hw->npus, sizeof *e->ctxs);
    e->bg = calloc(hw->npus, sizeof *e->bg);
    e->pool = hs_event_pool_create(256);
    e->timers = e->pool ? hs_evq_create(e->pool) : NULL;
    if (!e->pus || !e->ctxs || !e->bg || !e->timers) {
        real_destroy(&e->base);
        hs_errf(err, "out of memory");
        return NULL;
    }
    e->npus = hw->npus;
    int rc = bind_devices(e, err);
    for (size_t c = 0; rc == 0 && c < e->nctx; c++)
        rc = make_ctx(e, &e->ctxs[c], err);
    for (size_t i = 0; rc == 0 && i < e->npus; i++)
        rc = make_pu(e, (int)i, err);
    for (size_t i = 0; rc == 0 && i < e->npus; i++)
        rc = calibrate_spin(e, (int)i, err);
    if (rc != 0) {
        real_destroy(&e->base);
        return NULL;
    }
    if (e->opts.log)
        for (size_t i = 0; i < e->npus; i++)
            fprintf(e->opts.log, "real: PU %s (%s) -> %s\n", hw->pus[i].name, hs_pu_kind_name(hw->pus[i].kind),
                    e->pus[i].device);
    hs_real_stats_reset(&e->base);
    return &e->base;
}
