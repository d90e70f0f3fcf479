/* hetsoc: executing an experiment's runs (see runner.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HS_HAVE_MPI
#include <mpi.h>
#endif

#include "experiments/results/h5io.h"
#include "experiments/runner/runner.h"
#include "experiments/sweep/runspec.h"
#include "hs_version.h"
#include "real/real.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static char *str_cat(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", a, b);
    return s;
}

/* Creates the folders of a file's path that do not exist yet. */
static int make_parent_dirs(const char *file, hs_err *err)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", file);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = 0;
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return hs_err_at(err, file, 0, 0, "cannot create the folder %s: %s", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

/* ---- The journal ---------------------------------------------------------------
 * Frames: u32 magic, u32 type, u64 payload length, u64 FNV-1a of the
 * payload, payload.  The first frame is the header (hetsoc version,
 * experiment text, shard), then one frame per finished run. */
#define J_MAGIC 0x4c4e524au /* "JRNL" */
enum { J_HEADER = 1, J_RUN = 2, J_FRAME = 24 };

static int j_frame(int fd, uint32_t type, const uint8_t *p, size_t len)
{
    uint8_t *b = malloc(J_FRAME + len);
    if (!b)
        return -1;
    uint32_t magic = J_MAGIC;
    uint64_t l = len, h = hs_fnv1a64(p, len, HS_FNV1A64_INIT);
    memcpy(b, &magic, 4);
    memcpy(b + 4, &type, 4);
    memcpy(b + 8, &l, 8);
    memcpy(b + 16, &h, 8);
    if (len)
        memcpy(b + J_FRAME, p, len);
    int rc = write_all(fd, b, J_FRAME + len);
    free(b);
    return rc;
}

static void put_str(uint8_t **p, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    memcpy(*p, &n, 4);
    memcpy(*p + 4, s, n);
    *p += 4 + n;
}

static int j_header(int fd, const hs_experiment *e, const char *shard)
{
    size_t len = 12 + strlen(HS_VERSION_STRING) + strlen(e->text) + strlen(shard);
    uint8_t *b = malloc(len), *p = b;
    if (!b)
        return -1;
    put_str(&p, HS_VERSION_STRING);
    put_str(&p, e->text);
    put_str(&p, shard);
    int rc = j_frame(fd, J_HEADER, b, len);
    free(b);
    return rc;
}

/* Reads one frame; 0 ok, 1 end or torn frame. */
static int j_next(FILE *f, uint32_t *type, uint8_t **payload, size_t *len)
{
    uint8_t h[J_FRAME];
    if (fread(h, 1, J_FRAME, f) != J_FRAME)
        return 1;
    uint32_t magic;
    uint64_t l, hash;
    memcpy(&magic, h, 4);
    memcpy(type, h + 4, 4);
    memcpy(&l, h + 8, 8);
    memcpy(&hash, h + 16, 8);
    if (magic != J_MAGIC || l > ((uint64_t)1 << 40))
        return 1;
    uint8_t *p = malloc(l ? (size_t)l : 1);
    if (!p)
        return 1;
    if (fread(p, 1, (size_t)l, f) != l || hs_fnv1a64(p, (size_t)l, HS_FNV1A64_INIT) != hash) {
        free(p);
        return 1;
    }
    *payload = p;
    *len = (size_t)l;
    return 0;
}

static char *get_str(const uint8_t **p, const uint8_t *end)
{
    uint32_t n;
    if (end - *p < 4)
        return NULL;
    memcpy(&n, *p, 4);
    if ((size_t)(end - *p - 4) < n)
        return NULL;
    char *s = strndup((const char *)*p + 4, n);
    *p += 4 + n;
    return s;
}

/* ---- The sweep ------------------------------------------------------------------ */
typedef struct worker {
    pid_t pid;
    int cmd, res;
    ssize_t pos;          /* position of the run it works on, -1 idle */
    uint8_t *buf;
    size_t len, cap;
} worker;

typedef struct sweep {
    const hs_experiment *e;
    const hs_sweep_opts *o;
    hs_sweep_stats *st;
    size_t nmine;
    size_t *mine;         /* run indices of this sweep, increasing */
    ssize_t *pos_of;      /* run index -> position, -1 when not ours */
    hs_run_record **pending;
    bool *have, *assigned;
    size_t next_write, next_assign;
    const char *out;
    char *work, *jpath, *jtmp;
    char shard[64];
    hs_h5 *h5;
    int jfd;
    double t0, last_progress;
    size_t done_now;
    bool progress_shown;
    int nworkers;
    worker *workers;
    int mpi_size;
    ssize_t *remote_pos;  /* per rank, -1 idle */
} sweep;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

static void fmt_time(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "-");
        return;
    }
    long t = lround(s);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void progress(sweep *s, bool force)
{
    if (!s->o->progress)
        return;
    double t = now_s();
    if (!force && t - s->last_progress < 0.25)
        return;
    s->last_progress = t;
    double el = t - s->t0;
    double rate = el > 0 ? (double)s->done_now / el : 0;
    size_t left = s->nmine - s->st->done;
    char e1[32], e2[32];
    fmt_time(el, e1, sizeof e1);
    fmt_time(rate > 0 ? (double)left / rate : NAN, e2, sizeof e2);
    fprintf(stderr, "\r[%zu/%zu runs] %.2f runs/s, elapsed %s, ETA %s", s->st->done, s->nmine, rate, e1,
            left ? e2 : "0:00");
    if (s->st->failed)
        fprintf(stderr, ", %zu failed", s->st->failed);
    fputs("\033[K", stderr);
    fflush(stderr);
    s->progress_shown = true;
}

static void progress_end(sweep *s)
{
    if (s->progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        s->progress_shown = false;
    }
}

/* Writes the finished runs that come next in run order. */
static int write_ready(sweep *s, hs_err *err)
{
    bool wrote = false;
    while (s->next_write < s->nmine && s->pending[s->next_write]) {
        hs_run_record *r = s->pending[s->next_write];
        size_t run = s->mine[s->next_write];
        if (hs_experiment_identity(s->e, run, r, true, err) != 0 || hs_h5_append(s->h5, r, err) != 0)
            return -1;
        hs_record_clear(r);
        free(r);
        s->pending[s->next_write++] = NULL;
        wrote = true;
    }
    return wrote ? hs_h5_flush(s->h5, err) : 0;
}

/* A finished run: journaled (unless it came from the journal), then
 * written when its turn comes.  Takes r. */
static int add_result(sweep *s, hs_run_record *r, bool journal, hs_err *err)
{
    ssize_t pos = r->run >= 0 && (size_t)r->run < s->e->nruns ? s->pos_of[r->run] : -1;
    if (pos < 0 || s->have[pos]) {
        hs_record_clear(r);
        free(r);
        return 0;
    }
    if (journal && s->jfd >= 0) {
        uint8_t *buf;
        size_t len;
        if (hs_record_encode(r, &buf, &len) != 0) {
            hs_record_clear(r);
            free(r);
            return hs_errf(err, "out of memory");
        }
        int rc = j_frame(s->jfd, J_RUN, buf, len);
        free(buf);
        if (rc != 0) {
            hs_record_clear(r);
            free(r);
            return hs_err_at(err, s->jpath, 0, 0, "cannot write the journal: %s", strerror(errno));
        }
    }
    s->have[pos] = true;
    s->st->done++;
    if (!r->ok)
        s->st->failed++;
    s->pending[pos] = r;
    return s->h5 ? write_ready(s, err) : 0;
}

static hs_run_record *new_record(void)
{
    hs_run_record *r = malloc(sizeof *r);
    if (r)
        hs_record_init(r);
    return r;
}

/* A record that failed before running (a dead worker, a bad message). */
static int add_failure(sweep *s, size_t pos, const char *msg, hs_err *err)
{
    hs_run_record *r = new_record();
    if (!r)
        return hs_errf(err, "out of memory");
    r->run = (int64_t)s->mine[pos];
    memcpy(r->key, s->e->runs[s->mine[pos]].key, sizeof r->key);
    hs_record_fail(r, msg);
    return add_result(s, r, true, err);
}

/* A decoded record from a worker or rank for the run at pos. */
static int add_encoded(sweep *s, size_t pos, const uint8_t *buf, size_t len, const char *who, hs_err *err)
{
    hs_run_record *r = new_record();
    if (!r)
        return hs_errf(err, "out of memory");
    hs_err derr;
    const char *want = s->e->runs[s->mine[pos]].key;
    bool ok = hs_record_decode(buf, len, r, &derr) == 0 && r->run == (int64_t)s->mine[pos];
    /* A rank that could not load the experiment sends failures without a
     * key: they carry its message. */
    if (ok && !r->ok && !r->key[0])
        memcpy(r->key, want, sizeof r->key);
    if (!ok || strcmp(r->key, want) != 0) {
        hs_record_clear(r);
        free(r);
        char msg[256];
        snprintf(msg, sizeof msg, "error: malformed result from %s", who);
        return add_failure(s, pos, msg, err);
    }
    s->done_now++;
    return add_result(s, r, true, err);
}

static bool work_left(sweep *s)
{
    while (s->next_assign < s->nmine && (s->have[s->next_assign] || s->assigned[s->next_assign]))
        s->next_assign++;
    return s->next_assign < s->nmine;
}

static ssize_t next_unassigned(sweep *s)
{
    if (!work_left(s))
        return -1;
    s->assigned[s->next_assign] = true;
    return (ssize_t)s->next_assign;
}

/* ---- Worker processes ----------------------------------------------------------- */
static void child_main(const hs_experiment *e, int cmd, int res)
{
    for (;;) {
        int64_t run;
        if (read_all(cmd, &run, sizeof run) != 0)
            _exit(0);
        hs_run_record r;
        hs_record_init(&r);
        if (run < 0 || (uint64_t)run >= e->nruns)
            _exit(2);
        hs_sweep_execute(e, (size_t)run, &r);
        uint8_t *buf;
        size_t len;
        if (hs_record_encode(&r, &buf, &len) != 0)
            _exit(3);
        uint64_t l = len;
        if (write_all(res, &l, sizeof l) != 0 || write_all(res, buf, len) != 0)
            _exit(4);
        free(buf);
        hs_record_clear(&r);
    }
}

static int spawn(sweep *s, worker *w, hs_err *err)
{
    int cp[2], rp[2];
    if (pipe(cp) != 0)
        return hs_errf(err, "cannot create a pipe: %s", strerror(errno));
    if (pipe(rp) != 0) {
        close(cp[0]);
        close(cp[1]);
        return hs_errf(err, "cannot create a pipe: %s", strerror(errno));
    }
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(cp[0]);
        close(cp[1]);
        close(rp[0]);
        close(rp[1]);
        return hs_errf(err, "cannot start a worker process: %s", strerror(errno));
    }
    if (pid == 0) {
        /* The worker: dies with the parent, ignores the terminal's ^C (the
         * parent handles it), and never touches the parent's files (it
         * leaves with _exit, so no atexit handler of HDF5 runs here). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        close(cp[1]);
        close(rp[0]);
        for (int i = 0; i < s->nworkers; i++) {
            if (s->workers[i].cmd > 0)
                close(s->workers[i].cmd);
            if (s->workers[i].res > 0)
                close(s->workers[i].res);
        }
        if (s->jfd >= 0)
            close(s->jfd);
        child_main(s->e, cp[0], rp[1]);
        _exit(0);
    }
    close(cp[0]);
    close(rp[1]);
    fcntl(rp[0], F_SETFL, fcntl(rp[0], F_GETFL) | O_NONBLOCK);
    fcntl(cp[1], F_SETFD, FD_CLOEXEC);
    fcntl(rp[0], F_SETFD, FD_CLOEXEC);
    w->pid = pid;
    w->cmd = cp[1];
    w->res = rp[0];
    w->pos = -1;
    w->len = 0;
    return 0;
}

static void worker_close(worker *w, bool kill_it)
{
    if (w->cmd > 0)
        close(w->cmd);
    if (w->res > 0)
        close(w->res);
    w->cmd = w->res = -1;
    if (w->pid > 0) {
        if (kill_it)
            kill(w->pid, SIGKILL);
        while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    w->pid = 0;
}

/* The worker's result pipe is readable: takes whole messages; on EOF the
 * worker died and its run is recorded as failed. */
static int worker_readable(sweep *s, worker *w, hs_err *err)
{
    for (;;) {
        if (w->cap - w->len < 65536) {
            size_t cap = w->cap ? 2 * w->cap : 131072;
            uint8_t *b = realloc(w->buf, cap);
            if (!b)
                return hs_errf(err, "out of memory");
            w->buf = b;
            w->cap = cap;
        }
        ssize_t n = read(w->res, w->buf + w->len, w->cap - w->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            /* EOF: the worker is gone. */
            int status = 0;
            pid_t pid = w->pid;
            close(w->cmd);
            close(w->res);
            w->cmd = w->res = -1;
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            w->pid = 0;
            if (w->pos >= 0) {
                char msg[256];
                if (WIFSIGNALED(status))
                    snprintf(msg, sizeof msg, "error: the worker process running this run died of signal %d (%s)",
                             WTERMSIG(status), strsignal(WTERMSIG(status)));
                else
                    snprintf(msg, sizeof msg, "error: the worker process running this run exited with status %d",
                             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                size_t pos = (size_t)w->pos;
                w->pos = -1;
                w->len = 0;
                if (add_failure(s, pos, msg, err) != 0)
                    return -1;
            }
            return 0;
        }
        w->len += (size_t)n;
    }
    while (w->len >= 8) {
        uint64_t l;
        memcpy(&l, w->buf, 8);
        if (w->len - 8 < l)
            break;
        if (w->pos < 0)
            return hs_errf(err, "a worker process sent an unexpected message");
        size_t pos = (size_t)w->pos;
        w->pos = -1;
        char who[64];
        snprintf(who, sizeof who, "worker process %d", (int)w->pid);
        if (add_encoded(s, pos, w->buf + 8, (size_t)l, who, err) != 0)
            return -1;
        memmove(w->buf, w->buf + 8 + l, w->len - 8 - (size_t)l);
        w->len -= 8 + (size_t)l;
    }
    if (w->cap > (1u << 24) && w->len < (1u << 20)) {   /* give back a large buffer */
        uint8_t *b = realloc(w->buf, 131072 > w->len ? 131072 : w->len);
        if (b) {
            w->buf = b;
            w->cap = 131072 > w->len ? 131072 : w->len;
        }
    }
    return 0;
}

/* ---- MPI ------------------------------------------------------------------------------ */
enum { TAG_WORK = 1, TAG_RESULT = 2, TAG_STOP = 3 };
static int mpi_size_g, mpi_rank_g;
static bool mpi_on, mpi_stopped;

int hs_mpi_launch_size(void)
{
    static const char *const sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE",
                                        "MPI_LOCALNRANKS", NULL};
    for (const char *const *v = sizes; *v; v++) {
        const char *s = getenv(*v);
        if (s) {
            long n = strtol(s, NULL, 10);
            return n > 0 ? (int)n : -1;
        }
    }
    if (getenv("PMIX_RANK") || getenv("PMI_RANK"))
        return -1;
    return 0;
}

#ifdef HS_HAVE_MPI
int hs_mpi_init(int *rank, int *size, hs_err *err)
{
    (void)err;
    if (!mpi_on) {
        MPI_Init(NULL, NULL);
        MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank_g);
        MPI_Comm_size(MPI_COMM_WORLD, &mpi_size_g);
        mpi_on = true;
    }
    *rank = mpi_rank_g;
    *size = mpi_size_g;
    return 0;
}

void hs_mpi_finish(void)
{
    if (!mpi_on)
        return;
    if (mpi_rank_g == 0 && !mpi_stopped) {
        int64_t stop = -1;
        for (int r = 1; r < mpi_size_g; r++)
            MPI_Send(&stop, 1, MPI_INT64_T, r, TAG_STOP, MPI_COMM_WORLD);
        mpi_stopped = true;
    }
    MPI_Finalize();
    mpi_on = false;
}

static void mpi_abort(int code)
{
    if (mpi_on)
        MPI_Abort(MPI_COMM_WORLD, code);
}

void hs_mpi_serve(const hs_experiment *e, const char *load_err)
{
    for (;;) {
        int flag = 0;
        MPI_Status st;
        while (!flag) {
            MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
            if (!flag)
                nanosleep(&(struct timespec){0, 500000}, NULL);
        }
        int64_t run = -1;
        MPI_Recv(&run, 1, MPI_INT64_T, 0, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (st.MPI_TAG == TAG_STOP)
            return;
        hs_run_record r;
        hs_record_init(&r);
        if (!e || run < 0 || (uint64_t)run >= e->nruns) {
            r.run = run;
            char msg[HS_ERR_MSG_MAX + 64];
            snprintf(msg, sizeof msg, "error: MPI rank %d could not load the experiment: %s", mpi_rank_g,
                     load_err ? load_err : "run index out of range");
            hs_record_fail(&r, msg);
            if (e && run >= 0 && (uint64_t)run < e->nruns)
                memcpy(r.key, e->runs[run].key, sizeof r.key);
        } else {
            hs_sweep_execute(e, (size_t)run, &r);
        }
        uint8_t *buf = NULL;
        size_t len = 0;
        if (hs_record_encode(&r, &buf, &len) != 0 || len > INT32_MAX) {
            free(buf);
            hs_record_fail(&r, "error: the run's results are too large for one MPI message");
            hs_record_encode(&r, &buf, &len);
        }
        MPI_Send(buf, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
        free(buf);
        hs_record_clear(&r);
    }
}

static int mpi_assign(sweep *s, hs_err *err)
{
    (void)err;
    for (int r = 1; r < s->mpi_size; r++) {
        if (s->remote_pos[r] >= 0)
            continue;
        ssize_t pos = next_unassigned(s);
        if (pos < 0)
            break;
        int64_t run = (int64_t)s->mine[pos];
        MPI_Send(&run, 1, MPI_INT64_T, r, TAG_WORK, MPI_COMM_WORLD);
        s->remote_pos[r] = pos;
    }
    return 0;
}

static int mpi_poll(sweep *s, hs_err *err)
{
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (!flag)
            return 0;
        int count = 0;
        MPI_Get_count(&st, MPI_BYTE, &count);
        uint8_t *buf = malloc(count > 0 ? (size_t)count : 1);
        if (!buf)
            return hs_errf(err, "out of memory");
        MPI_Recv(buf, count, MPI_BYTE, st.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        int src = st.MPI_SOURCE;
        ssize_t pos = src > 0 && src < s->mpi_size ? s->remote_pos[src] : -1;
        int rc = 0;
        if (pos >= 0) {
            s->remote_pos[src] = -1;
            char who[32];
            snprintf(who, sizeof who, "MPI rank %d", src);
            rc = add_encoded(s, (size_t)pos, buf, (size_t)count, who, err);
        }
        free(buf);
        if (rc != 0)
            return -1;
    }
}

static bool mpi_busy(const sweep *s)
{
    for (int r = 1; r < s->mpi_size; r++)
        if (s->remote_pos[r] >= 0)
            return true;
    return false;
}
#else
int hs_mpi_init(int *rank, int *size, hs_err *err)
{
    *rank = 0;
    *size = 1;
    return hs_errf(err, "this hetsoc was built without MPI (install OpenMPI and rebuild)");
}
void hs_mpi_finish(void) {}
void hs_mpi_serve(const hs_experiment *e, const char *load_err)
{
    (void)e;
    (void)load_err;
}
static void mpi_abort(int code)
{
    (void)code;
}
static int mpi_assign(sweep *s, hs_err *err)
{
    (void)s;
    (void)err;
    return 0;
}
static int mpi_poll(sweep *s, hs_err *err)
{
    (void)s;
    (void)err;
    return 0;
}
static bool mpi_busy(const sweep *s)
{
    (void)s;
    return false;
}
#endif

/* ---- The execution loop --------------------------------------------------------- */
static int execute_all(sweep *s, hs_err *err)
{
    size_t left = 0;
    for (size_t p = 0; p < s->nmine; p++)
        left += !s->have[p];
    int nw = s->o->jobs < 1 ? 1 : s->o->jobs;
    /* Runs on hardware are timed: never two at once on one machine. */
    if (s->e->backend == HS_BACKEND_REAL)
        nw = 1;
    if ((size_t)nw > left)
        nw = (int)left;
    s->workers = calloc(nw > 0 ? (size_t)nw : 1, sizeof *s->workers);
    if (!s->workers)
        return hs_errf(err, "out of memory");
    for (int i = 0; i < nw; i++)
        s->workers[i].cmd = s->workers[i].res = -1;
    int rc = 0;
    for (int i = 0; i < nw && rc == 0; i++) {
        rc = spawn(s, &s->workers[i], err);
        if (rc == 0)
            s->nworkers = i + 1;
    }
    struct pollfd *pfd = calloc((size_t)(nw > 0 ? nw : 1), sizeof *pfd);
    int *pw = calloc((size_t)(nw > 0 ? nw : 1), sizeof *pw);
    if (!pfd || !pw)
        rc = hs_errf(err, "out of memory");
    progress(s, true);
    while (rc == 0 && s->st->done < s->nmine) {
        if (interrupted) {
            rc = hs_errf(err, "interrupted");
            s->st->interrupted = true;
            break;
        }
        /* Hand out work; respawn dead workers while work remains. */
        int busy = 0, np = 0;
        for (int i = 0; i < s->nworkers && rc == 0; i++) {
            worker *w = &s->workers[i];
            if (w->pid == 0 && work_left(s) && spawn(s, w, err) != 0) {
                rc = -1;
                break;
            }
            if (w->pid > 0 && w->pos < 0) {
                ssize_t pos = next_unassigned(s);
                if (pos >= 0) {
                    int64_t run = (int64_t)s->mine[pos];
                    w->pos = pos;
                    if (write_all(w->cmd, &run, sizeof run) != 0) {
                        /* it died: its EOF arrives through poll */
                    }
                } else if (w->cmd >= 0) {
                    close(w->cmd);   /* nothing left: let it exit */
                    w->cmd = -1;
                }
            }
            if (w->pid > 0 && w->res >= 0) {
                pfd[np] = (struct pollfd){.fd = w->res, .events = POLLIN};
                pw[np++] = i;
                busy += w->pos >= 0;
            }
        }
        if (rc != 0)
            break;
        if (s->mpi_size > 1 && (rc = mpi_assign(s, err)) != 0)
            break;
        bool remote = s->mpi_size > 1 && mpi_busy(s);
        if (!busy && !remote && s->st->done < s->nmine && !work_left(s)) {
            rc = hs_errf(err, "internal error: runs are left but nothing is running");
            break;
        }
        int timeout = remote ? 2 : s->o->progress ? 250 : -1;
        int n = poll(pfd, (nfds_t)np, timeout);
        if (n < 0 && errno != EINTR) {
            rc = hs_errf(err, "poll: %s", strerror(errno));
            break;
        }
        for (int k = 0; n > 0 && k < np && rc == 0; k++)
            if (pfd[k].revents)
                rc = worker_readable(s, &s->workers[pw[k]], err);
        if (rc == 0 && s->mpi_size > 1)
            rc = mpi_poll(s, err);
        progress(s, false);
    }
    for (int i = 0; i < s->nworkers; i++) {
        worker_close(&s->workers[i], rc != 0);
        free(s->workers[i].buf);
    }
    free(s->workers);
    s->workers = NULL;
    s->nworkers = 0;
    free(pfd);
    free(pw);
    if (rc == 0)
        progress(s, true);
    progress_end(s);
    return rc;
}

/* ---- Recovering finished runs ---------------------------------------------------- */
static int recover_record(sweep *s, hs_run_record *r, const char *from, hs_err *err)
{
    ssize_t pos = r->run >= 0 && (size_t)r->run < s->e->nruns ? s->pos_of[r->run] : -1;
    if (pos < 0) {
        hs_record_clear(r);
        free(r);
        return 0;
    }
    if (strcmp(r->key, s->e->runs[r->run].key) != 0) {
        int64_t run = r->run;
        hs_record_clear(r);
        free(r);
        return hs_err_at(err, from, 0, 0,
                         "run %" PRId64 " no longer matches the experiment: its resolved configuration changed "
                         "since it was written (an edited hardware, workload or policy file?); start afresh "
                         "without --resume",
                         run);
    }
    s->st->recovered += !s->have[pos];
    return add_result(s, r, false, err);
}

/* From the journal.  Returns 1 when there is none. */
static int recover_journal(sweep *s, hs_err *err)
{
    FILE *f = fopen(s->jpath, "rb");
    if (!f)
        return errno == ENOENT ? 1 : hs_err_at(err, s->jpath, 0, 0, "cannot read: %s", strerror(errno));
    uint32_t type;
    uint8_t *p;
    size_t len;
    int rc = 0;
    if (j_next(f, &type, &p, &len) != 0 || type != J_HEADER) {
        fclose(f);
        return 1;   /* torn at creation: nothing finished, as if absent */
    }
    const uint8_t *q = p, *end = p + len;
    char *version = get_str(&q, end), *text = get_str(&q, end), *shard = get_str(&q, end);
    if (!version || !text || !shard)
        rc = hs_err_at(err, s->jpath, 0, 0, "malformed journal header");
    else if (strcmp(text, s->e->text) != 0)
        rc = hs_err_at(err, s->jpath, 0, 0,
                       "this sweep's journal belongs to a different experiment text than %s; start afresh without "
                       "--resume, or use another -o",
                       s->e->path);
    else if (strcmp(shard, s->shard) != 0)
        rc = hs_err_at(err, s->jpath, 0, 0, "this journal is of shard '%s', not '%s'", shard[0] ? shard : "(all)",
                       s->shard[0] ? s->shard : "(all)");
    free(version);
    free(text);
    free(shard);
    free(p);
    while (rc == 0 && j_next(f, &type, &p, &len) == 0) {
        if (type == J_RUN) {
            hs_run_record *r = new_record();
            hs_err derr;
            if (!r) {
                rc = hs_errf(err, "out of memory");
            } else if (hs_record_decode(p, len, r, &derr) != 0) {
                free(r);   /* cannot happen with a valid checksum; stop here */
                free(p);
                break;
            } else {
                rc = recover_record(s, r, s->jpath, err);
            }
        }
        free(p);
    }
    fclose(f);
    return rc;
}

static int load_file_runs(const char *path, hs_h5 **hp, hs_run_record **runs, size_t *n, bool rows, hs_err *err)
{
    hs_h5 *h = hs_h5_open(path, err);
    if (!h)
        return -1;
    if (hs_h5_read_runs(h, runs, n, err) != 0) {
        hs_h5_close(h, NULL);
        return -1;
    }
    for (size_t i = 0; rows && i < *n; i++)
        if (hs_h5_read_rows(h, &(*runs)[i], err) != 0) {
            for (size_t k = 0; k < *n; k++)
                hs_record_clear(&(*runs)[k]);
            free(*runs);
            hs_h5_close(h, NULL);
            return -1;
        }
    *hp = h;
    return 0;
}

/* From a complete results file (no journal). */
static int recover_file(sweep *s, hs_err *err)
{
    if (access(s->out, F_OK) != 0)
        return 1;
    hs_h5 *h;
    hs_run_record *runs;
    size_t n;
    if (load_file_runs(s->out, &h, &runs, &n, true, err) != 0)
        return -1;
    const hs_h5_meta *m = hs_h5_get_meta(h);
    int rc = 0;
    if (strcmp(m->experiment_yaml, s->e->text) != 0)
        rc = hs_err_at(err, s->out, 0, 0,
                       "written by a different experiment text than %s; start afresh without --resume, or use "
                       "another -o",
                       s->e->path);
    else if (strcmp(m->shard, s->shard) != 0)
        rc = hs_err_at(err, s->out, 0, 0, "holds shard '%s', not '%s'", m->shard[0] ? m->shard : "(all)",
                       s->shard[0] ? s->shard : "(all)");
    size_t i = 0;
    for (; i < n && rc == 0; i++) {
        hs_run_record *r = new_record();
        if (!r) {
            rc = hs_errf(err, "out of memory");
            break;
        }
        *r = runs[i];
        hs_record_init(&runs[i]);
        rc = recover_record(s, r, s->out, err);
    }
    for (; i < n; i++)
        hs_record_clear(&runs[i]);
    free(runs);
    hs_h5_close(h, NULL);
    return rc;
}

/* ---- The driver ------------------------------------------------------------------- */
static void meta_of(const hs_experiment *e, const char *shard, hs_h5_meta *m, char **names, bool *numeric)
{
    for (size_t a = 0; a < e->naxes; a++) {
        names[a] = e->axes[a].name;
        numeric[a] = e->axes[a].numeric;
    }
    *m = (hs_h5_meta){
        .version = (char *)HS_VERSION_STRING, .experiment_yaml = e->text, .experiment = e->name,
        .baseline = e->baseline, .shard = (char *)shard, .runs_total = (int64_t)e->nruns, .kernels = e->kernels,
        .nsweep = e->naxes, .sweep = names, .numeric = numeric,
    };
}

static int open_outputs(sweep *s, hs_err *err)
{
    if (make_parent_dirs(s->out, err) != 0)
        return -1;
    /* The journal: header and every recovered run, replaced atomically. */
    int fd = open(s->jtmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return hs_err_at(err, s->jtmp, 0, 0, "cannot create: %s", strerror(errno));
    int rc = j_header(fd, s->e, s->shard);
    for (size_t p = 0; rc == 0 && p < s->nmine; p++) {
        if (!s->pending[p])
            continue;
        uint8_t *buf;
        size_t len;
        if (hs_record_encode(s->pending[p], &buf, &len) != 0) {
            rc = -1;
            break;
        }
        rc = j_frame(fd, J_RUN, buf, len);
        free(buf);
    }
    if (rc != 0 || rename(s->jtmp, s->jpath) != 0) {
        rc = hs_err_at(err, s->jpath, 0, 0, "cannot write the journal: %s", strerror(errno));
        close(fd);
        unlink(s->jtmp);
        return rc;
    }
    s->jfd = fd;
    char *names[256];
    bool numeric[256];
    hs_h5_meta m;
    if (s->e->naxes > 256)
        return hs_errf(err, "too many sweep parameters");
    meta_of(s->e, s->shard, &m, names, numeric);
    if (!(s->h5 = hs_h5_create(s->work, &m, err)))
        return -1;
    return write_ready(s, err);
}

int hs_sweep_run(const hs_experiment *e, const hs_sweep_opts *o, hs_sweep_stats *st, hs_err *err)
{
    memset(st, 0, sizeof *st);
    sweep s = {.e = e, .o = o, .st = st, .out = o->out, .jfd = -1, .mpi_size = o->mpi_size};
    s.t0 = now_s();
    unsigned sn = o->shard_n > 1 ? o->shard_n : 1;
    if (sn > 1)
        snprintf(s.shard, sizeof s.shard, "%u/%u", o->shard_i, sn);
    s.mine = calloc(e->nruns ? e->nruns : 1, sizeof *s.mine);
    s.pos_of = calloc(e->nruns ? e->nruns : 1, sizeof *s.pos_of);
    for (size_t i = 0; s.mine && s.pos_of && i < e->nruns; i++) {
        s.pos_of[i] = -1;
        if (i % sn == o->shard_i % sn) {
            s.pos_of[i] = (ssize_t)s.nmine;
            s.mine[s.nmine++] = i;
        }
    }
    size_t nm = s.nmine ? s.nmine : 1;
    s.pending = calloc(nm, sizeof *s.pending);
    s.have = calloc(nm, sizeof *s.have);
    s.assigned = calloc(nm, sizeof *s.assigned);
    s.remote_pos = calloc((size_t)(o->mpi_size > 1 ? o->mpi_size : 1), sizeof *s.remote_pos);
    s.work = str_cat(o->out, ".partial");
    s.jpath = str_cat(o->out, ".journal");
    s.jtmp = str_cat(o->out, ".journal.tmp");
    int rc = 0;
    if (!s.mine || !s.pos_of || !s.pending || !s.have || !s.assigned || !s.remote_pos || !s.work || !s.jpath ||
        !s.jtmp)
        rc = hs_errf(err, "out of memory");
    for (int r = 0; rc == 0 && r < (o->mpi_size > 1 ? o->mpi_size : 1); r++)
        s.remote_pos[r] = -1;
    st->total = s.nmine;

    /* Finished runs of an interrupted sweep: the journal, else a complete file. */
    bool from_file = false;
    if (rc == 0 && o->resume) {
        int j = recover_journal(&s, err);
        if (j == 1) {
            j = recover_file(&s, err);
            from_file = j == 0;
        }
        rc = j < 0 ? -1 : 0;
    }
    if (rc == 0 && from_file && st->done == s.nmine) {
        /* Already complete: nothing to run, nothing to rewrite. */
        for (size_t p = 0; p < s.nmine; p++) {
            if (s.pending[p])
                hs_record_clear(s.pending[p]);
            free(s.pending[p]);
            s.pending[p] = NULL;
        }
        goto done;
    }
    if (rc == 0 && !o->resume) {
        unlink(s.work);
        unlink(s.jpath);
    }
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term, old_pipe;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, &old_pipe);
    if (rc == 0)
        rc = open_outputs(&s, err);
    if (rc == 0)
        rc = execute_all(&s, err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    if (rc == 0 && s.next_write != s.nmine)
        rc = hs_errf(err, "internal error: %zu runs were not written", s.nmine - s.next_write);
    hs_err cerr;
    if (hs_h5_close(s.h5, &cerr) != 0 && rc == 0) {
        *err = cerr;
        rc = -1;
    }
    s.h5 = NULL;
    if (s.jfd >= 0)
        close(s.jfd);
    if (rc == 0) {
        if (rename(s.work, s.out) != 0)
            rc = hs_err_at(err, s.out, 0, 0, "cannot rename %s to it: %s", s.work, strerror(errno));
        else
            unlink(s.jpath);
    } else if (st->interrupted || st->done) {
        /* Leave the journal and the partial file for --resume. */
    }
    if (rc != 0 && s.mpi_size > 1)
        mpi_abort(st->interrupted ? 130 : 1);
done:
    for (size_t p = 0; s.pending && p < s.nmine; p++)
        if (s.pending[p]) {
            hs_record_clear(s.pending[p]);
            free(s.pending[p]);
        }
    free(s.mine);
    free(s.pos_of);
    free(s.pending);
    free(s.have);
    free(s.assigned);
    free(s.remote_pos);
    free(s.work);
    free(s.jpath);
    free(s.jtmp);
    st->wall_s = now_s() - s.t0;
    return rc;
}

/* ---- Merging ----------------------------------------------------------------------- */
typedef struct merge_item {
    int64_t run;
    size_t part, row;
} merge_item;

static int cmp_item(const void *a, const void *b)
{
    const merge_item *x = a, *y = b;
    if (x->run != y->run)
        return x->run < y->run ? -1 : 1;
    return x->part < y->part ? -1 : x->part > y->part;
}

int hs_sweep_merge(const char *out, char *const *parts, size_t nparts, hs_sweep_stats *st, hs_err *err)
{
    memset(st, 0, sizeof *st);
    double t0 = now_s();
    hs_h5 **h = calloc(nparts, sizeof *h);
    hs_run_record **runs = calloc(nparts, sizeof *runs);
    size_t *nruns = calloc(nparts, sizeof *nruns);
    merge_item *items = NULL;
    size_t nitems = 0;
    char *tmp = str_cat(out, ".partial");
    hs_h5 *w = NULL;
    int rc = 0;
    if (!h || !runs || !nruns || !tmp)
        rc = hs_errf(err, "out of memory");
    for (size_t p = 0; rc == 0 && p < nparts; p++) {
        if (load_file_runs(parts[p], &h[p], &runs[p], &nruns[p], false, err) != 0) {
            rc = -1;
            break;
        }
        const hs_h5_meta *m0 = hs_h5_get_meta(h[0]), *m = hs_h5_get_meta(h[p]);
        if (strcmp(m->experiment_yaml, m0->experiment_yaml) != 0)
            rc = hs_err_at(err, parts[p], 0, 0, "holds results of a different experiment than %s", parts[0]);
        else if (strcmp(m->version, m0->version) != 0)
            rc = hs_err_at(err, parts[p], 0, 0, "was written by hetsoc %s, %s by hetsoc %s", m->version, parts[0],
                           m0->version);
        else if (m->kernels != m0->kernels || m->nsweep != m0->nsweep)
            rc = hs_err_at(err, parts[p], 0, 0, "its tables differ from those of %s", parts[0]);
        for (size_t i = 0; rc == 0 && i < m->nsweep; i++)
            if (strcmp(m->sweep[i], m0->sweep[i]) != 0 || m->numeric[i] != m0->numeric[i])
                rc = hs_err_at(err, parts[p], 0, 0, "its sweep column '%s' differs from %s", m->sweep[i], parts[0]);
        nitems += nruns[p];
    }
    if (rc == 0 && make_parent_dirs(out, err) != 0)
        rc = -1;
    if (rc == 0 && !(items = calloc(nitems ? nitems : 1, sizeof *items)))
        rc = hs_errf(err, "out of memory");
    size_t k = 0;
    for (size_t p = 0; rc == 0 && p < nparts; p++)
        for (size_t i = 0; i < nruns[p]; i++)
            items[k++] = (merge_item){.run = runs[p][i].run, .part = p, .row = i};
    if (rc == 0)
        qsort(items, nitems, sizeof *items, cmp_item);
    if (rc == 0) {
        hs_h5_meta m;
        if (hs_h5_meta_copy(&m, hs_h5_get_meta(h[0])) != 0) {
            rc = hs_errf(err, "out of memory");
        } else {
            free(m.shard);
            m.shard = strdup("");
            if (!m.shard || !(w = hs_h5_create(tmp, &m, err)))
                rc = m.shard ? -1 : hs_errf(err, "out of memory");
            hs_h5_meta_free(&m);
        }
    }
    for (size_t i = 0; rc == 0 && i < nitems; i++) {
        hs_run_record *r = &runs[items[i].part][items[i].row];
        if (i && items[i].run == items[i - 1].run) {
            const hs_run_record *prev = &runs[items[i - 1].part][items[i - 1].row];
            if (strcmp(prev->key, r->key) != 0)
                rc = hs_err_at(err, parts[items[i].part], 0, 0,
                               "run %" PRId64 " is also in %s with a different configuration", r->run,
                               parts[items[i - 1].part]);
            continue;   /* the same run twice: keep the first */
        }
        if (hs_h5_read_rows(h[items[i].part], r, err) != 0 || hs_h5_append(w, r, err) != 0) {
            rc = -1;
            break;
        }
        st->done++;
        st->failed += !r->ok;
        hs_record_drop_rows(r);
    }
    if (rc == 0) {
        st->total = (size_t)hs_h5_get_meta(h[0])->runs_total;
        rc = hs_h5_close(w, err);
        w = NULL;
        if (rc == 0 && rename(tmp, out) != 0)
            rc = hs_err_at(err, out, 0, 0, "cannot rename %s to it: %s", tmp, strerror(errno));
    }
    if (w) {
        hs_h5_close(w, NULL);
        unlink(tmp);
    }
    for (size_t p = 0; p < nparts; p++) {
        for (size_t i = 0; runs && nruns && runs[p] && i < nruns[p]; i++)
            hs_record_clear(&runs[p][i]);
        if (runs)
            free(runs[p]);
        if (h)
            hs_h5_close(h[p], NULL);
    }
    free(h);
    free(runs);
    free(nruns);
    free(items);
    free(tmp);
    st->wall_s = now_s() - t0;
    return rc;
}
