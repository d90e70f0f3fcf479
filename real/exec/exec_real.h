/* hetsoc real/exec/: the OpenCL executor's internals, shared by its files
 * and by the preparation, calibration and validation in real/.  Not
 * installed. */
#ifndef HS_REAL_EXEC_REAL_H
#define HS_REAL_EXEC_REAL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 300
#endif
#include <CL/cl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/types.h>

#include "real/exec/real_exec.h"
#include "sim/engine/engine.h"

/* ---- OpenCL helpers (cl_util.c) ------------------------------------------- */
const char *rl_cl_strerror(cl_int code);
/* err = "error: WHAT: OpenCL error NAME (code)"; returns -1. */
int rl_cl_fail(hs_err *err, cl_int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
double rl_wall(void);   /* CLOCK_MONOTONIC seconds */
/* Test-only fault injection: whether the environment variable HS_CL_FAULT
 * names this fault -- "no-platform" (no OpenCL platform is found),
 * "build" (building the kernels fails), "alloc" (every device buffer
 * allocation fails) -- so that tests reach the error paths of a working
 * OpenCL installation.  Unset in normal use. */
bool rl_fault(const char *what);
/* clCreateBuffer, failing with CL_MEM_OBJECT_ALLOCATION_FAILURE under
 * HS_CL_FAULT=alloc. */
cl_mem rl_create_buffer(cl_context ctx, cl_mem_flags flags, size_t size, cl_int *rc);

/* The OpenCL C source of real/exec/kernels/NAME.cl (generated). */
extern const unsigned char hs_real_cl_source[];

/* Builds src for the devices; a failed build reports the first lines of its
 * log.  Returns 0 or -1. */
int rl_build_program(cl_context ctx, cl_uint ndev, const cl_device_id *devs, const char *src,
                     cl_program *out, hs_err *err);

/* One OpenCL device found on the machine. */
typedef struct rl_dev {
    cl_platform_id platform;
    cl_device_id id;
    cl_device_type type;
    cl_uint units;
    int order;                  /* discovery order (stable sort) */
    char name[128];
} rl_dev;
/* All devices of all platforms (GPUs and accelerators first in platform
 * order, then CPUs).  *devs is malloc'd.  Returns 0 or -1 (no platform, no
 * device). */
int rl_list_devices(rl_dev **devs, size_t *n, hs_err *err);

/* ---- Buffers ------------------------------------------------------------- */
typedef struct rl_buf {
    cl_mem mem;
    size_t bytes;
} rl_buf;

enum { RL_FILL_ZERO, RL_FILL_RANDOM, RL_FILL_IDS };

/* ---- Kernels --------------------------------------------------------------- */
enum {
    RK_RMSNORM, RK_SILU, RK_GELU, RK_SOFTMAX, RK_EMBED, RK_SCORES, RK_PV, RK_VS, RK_TOPK,
    RK_GENERIC, RK_SPIN, RK_NOOP, RK_COUNT
};
extern const char *const rl_kernel_names[RK_COUNT];

enum { RL_TOPK = 8 };   /* k of the vector search's top-k (work items carry no k) */

/* Weights of one model in one context: an arena with a region per (layer,
 * slot), dims rounded up to the context's largest PU tile. */
typedef struct rl_model_w {
    const hs_model *model;
    rl_buf buf;
    size_t layer_floats;        /* per layer */
    size_t off[HS_SLOT_COUNT];  /* region of each slot within a layer / the globals */
    size_t size[HS_SLOT_COUNT];
    size_t globals;             /* offset of embedding, final norm, LM head */
} rl_model_w;

/* One OpenCL context (one platform) and its shared, read-only data. */
typedef struct rl_ctx {
    cl_platform_id platform;
    cl_context ctx;
    cl_program prog;
    cl_device_id *devs;
    cl_uint ndev;
    int64_t tile;               /* largest PU tile among its PUs */
    cl_command_queue fillq;     /* for initialising buffers */
    cl_ulong max_alloc;         /* the smallest CL_DEVICE_MAX_MEM_ALLOC_SIZE of its devices */
    rl_buf kv;                  /* K and V of the attention (random) */
    rl_buf ids;                 /* token ids (random, >= 0) */
    rl_buf corpus;              /* vectors (random) */
    rl_buf wscratch;            /* weights of a GEMM no model region fits */
    rl_model_w *models;
    size_t nmodels;
} rl_ctx;

/* A kernel started and not yet handed back to the engine. */
/* Events whose release is deferred (chosen: 64 completions later a PoCL
 * worker has long left the callback of the oldest; see rec_free). */
enum { RL_LATE_EVENTS = 64 };

typedef struct rl_exec rl_exec;
typedef struct rl_rec {
    rl_exec *e;
    void *token;
    int pu;
    bool bg;                    /* a background kernel of the profiler */
    cl_event ev;
    cl_int status;
    double t0;                  /* wall at start(), s since the executor's origin */
    double cur0;                /* the clock (now()) at start() */
    double stamp;               /* wall at completion, same origin */
    double bytes;
    double bps;                 /* bandwidth estimate; < 0 until computed */
    hs_kernel k;
    struct rl_rec *next, *prev; /* running list of its PU, or the free list */
    struct rl_rec *cq_next;     /* completion queue */
} rl_rec;

typedef struct rl_pu {
    int ctx;
    cl_device_id dev;
    bool own_dev;               /* a sub-device we created */
    bool shape_rules;           /* NPU padding applies */
    cl_command_queue q;
    cl_kernel kern[RK_COUNT];
    size_t local;               /* work-group size of our kernels */
    rl_buf x, y, z, ti;         /* activations in, out, scores, top-k indices */
    double spin_rate;           /* hs_spin iterations per second */
    char device[192];
    int running;
    double busy_since, busy_s;
    double bytes;               /* DRAM bytes of the kernels it ran (modelled energy) */
    rl_rec *run_head;
} rl_pu;

/* An OpenCL thread whose priority the executor raised (exec_real.c). */
typedef struct rl_worker {
    pid_t tid;
    int policy, nice;
    struct sched_param param;
    bool fifo, niced;
} rl_worker;
enum { RL_MAX_WORKERS = 64 };

struct rl_exec {
    hs_exec base;
    const hs_hw *hw;
    hs_real_opts opts;
    rl_ctx *ctxs;
    size_t nctx;
    rl_pu *pus;
    size_t npus;

    /* The clock: origin and the time of the event being handled. */
    double origin, cur;
    void (*done)(void *engine, void *token);
    void *engine;

    /* Timers. */
    hs_event_pool *pool;
    hs_evq *timers;

    /* Completions, pushed by OpenCL callback threads. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rl_rec *cq_head, *cq_tail;
    rl_rec *free_recs;          /* main thread only */
    /* Handled kernels' events, released RL_LATE_EVENTS completions later
     * (exec_real.c, rec_free: PoCL's worker still touches an event after
     * its callback returns); main thread only. */
    cl_event late[RL_LATE_EVENTS];
    unsigned late_next;
    int inflight;               /* started, not yet handled */
    bool stopping;
    bool failed;
    hs_err fail;

    /* Statistics. */
    hs_real_stats st;
    double dram_bytes;
    unsigned long long rng;     /* data generator state */
    int pending_cb;             /* started kernels whose callback has not come yet */
    double last_stamp;          /* completion stamp of the last rl_time_item */
    int64_t last_shape[3];      /* m, n, k the last op ran at (after NPU padding; tests) */
    rl_worker workers[RL_MAX_WORKERS];
    int nworkers;
    /* Observer of the engine's kernels (profiler): PU, kernel, start and end
     * on the executor's clock; NULL: none. */
    void (*on_kernel)(void *ctx, int pu, const hs_kernel *k, double start, double end);
    void *on_kernel_ctx;
    const hs_item **bg;         /* per PU: a kernel to keep re-running (profiler), or NULL */
};

static inline rl_exec *RX(hs_exec *x) { return (rl_exec *)x; }

/* ---- Buffers (ops.c) ------------------------------------------------------ */
/* Makes b at least bytes long (a new buffer when it is shorter; queued
 * commands keep the old one alive), filled as fill says. */
int rl_ensure(rl_exec *e, rl_ctx *c, rl_buf *b, size_t bytes, int fill, hs_err *err);
void rl_buf_release(rl_buf *b);
/* The weights arena of model m in context c (created on first use). */
rl_model_w *rl_model_weights(rl_exec *e, rl_ctx *c, const hs_model *m, hs_err *err);

/* ---- Items to commands (ops.c) -------------------------------------------- */
/* Enqueues the commands of item on PU pu; *last gets the event of the last
 * one (retained).  *commands is incremented by the commands enqueued.
 * Returns 0 or -1 (err set: a PU that cannot run it, a device error). */
int rl_enqueue_item(rl_exec *e, int pu, const hs_item *item, cl_event *last, uint64_t *commands,
                    hs_err *err);
/* ---- Executor internals (exec_real.c) ------------------------------------- */
/* Wall seconds since the executor's origin. */
double rl_now_wall(rl_exec *e);
/* Starts item on pu outside the engine (profiler, warm-up): the completion
 * is delivered to the bound done function with token (bg marks it). */
int rl_start(rl_exec *e, int pu, const hs_item *item, void *token, bool bg, hs_err *err);
/* Runs item on pu alone and waits: the executor's observed latency
 * (enqueue to completion seen by this thread), s.  Nothing may be bound. */
int rl_time_item(rl_exec *e, int pu, const hs_item *item, double *seconds, hs_err *err);
/* The calling thread's priority, raised while timing (see exec_real.c). */
typedef struct rl_prio {
    int policy;
    struct sched_param param;
    int nice;
    bool fifo, niced;
} rl_prio;
void rl_raise_priority(rl_prio *saved);
void rl_restore_priority(const rl_prio *saved);
/* Waits for every kernel in flight (discarding their completions). */
void rl_drain(rl_exec *e);

#endif
