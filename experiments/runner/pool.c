/* hetsoc: the local worker processes (-j) -- forked children that run
 * runs in-process and send back their records.
 *
 * Pipe protocol.  Each worker has two pipes.  On `cmd` the parent writes
 * one run index at a time, an int64 in native byte order, and only when
 * the worker is idle (dynamic load balancing: whoever finishes first gets
 * the next run).  On `res` the worker answers each index with one message:
 * a u64 length, then the run's record as run_record.h encodes it.  The
 * parent reads `res` without blocking and reassembles messages from its
 * buffer.  Closing `cmd` tells the worker to exit (status 0).  A worker
 * that dies (EOF on `res`) while running a run has that run recorded as
 * failed with its signal or exit status (2: bad index, 3: out of memory
 * encoding, 4: cannot write the pipe), and is restarted while work
 * remains.
 *
 * A worker rebuilds run i's spec from the parent's expansion (inherited by
 * fork), dies with the parent, ignores ^C (the parent handles it), and
 * leaves with _exit so that no atexit handler (HDF5's) touches the
 * parent's files. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "experiments/runner/sweep_internal.h"

enum { BUF_MIN = 131072, BUF_READ = 65536 };

/* ---- The worker's side ---------------------------------------------------- */
_Noreturn static void child_main(const hs_experiment *e, int cmd, int res)
{
    for (;;) {
        int64_t run;
        if (hs_runner_read_all(cmd, &run, sizeof run) != 0)
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
        if (hs_runner_write_all(res, &l, sizeof l) != 0 || hs_runner_write_all(res, buf, len) != 0)
            _exit(4);
        free(buf);
        hs_record_clear(&r);
    }
}

/* In the child: keeps only its own pipe ends, then serves. */
_Noreturn static void child_start(sweep *s, pid_t parent, const int cp[2], const int rp[2])
{
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

/* ---- The parent's side ---------------------------------------------------- */
static void close_pair(const int p[2])
{
    close(p[0]);
    close(p[1]);
}

static int spawn(sweep *s, worker *w, hs_err *err)
{
    int cp[2], rp[2];
    if (pipe(cp) != 0)
        return hs_errf(err, "cannot create a pipe: %s", strerror(errno));
    if (pipe(rp) != 0) {
        close_pair(cp);
        return hs_errf(err, "cannot create a pipe: %s", strerror(errno));
    }
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close_pair(cp);
        close_pair(rp);
        return hs_errf(err, "cannot start a worker process: %s", strerror(errno));
    }
    if (pid == 0)
        child_start(s, parent, cp, rp);
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

static void close_pipes(worker *w)
{
    if (w->cmd > 0)
        close(w->cmd);
    if (w->res > 0)
        close(w->res);
    w->cmd = w->res = -1;
}

/* Reaps the worker; returns its wait status. */
static int reap(worker *w)
{
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    w->pid = 0;
    return status;
}

/* EOF on the result pipe: the worker is gone; its run, if any, failed. */
static int worker_died(sweep *s, worker *w, hs_err *err)
{
    close(w->cmd);
    close(w->res);
    w->cmd = w->res = -1;
    int status = reap(w);
    if (w->pos < 0)
        return 0;
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
    return hs_sweep_add_failure(s, pos, msg, err);
}

static int grow_buffer(worker *w, hs_err *err)
{
    if (w->cap - w->len >= BUF_READ)
        return 0;
    size_t cap = w->cap ? 2 * w->cap : BUF_MIN;
    uint8_t *b = realloc(w->buf, cap);
    if (!b)
        return hs_errf(err, "out of memory");
    w->buf = b;
    w->cap = cap;
    return 0;
}

/* Gives back a buffer that one large record grew. */
static void shrink_buffer(worker *w)
{
    if (w->cap <= (1u << 24) || w->len >= (1u << 20))
        return;
    size_t cap = BUF_MIN > w->len ? BUF_MIN : w->len;
    uint8_t *b = realloc(w->buf, cap);
    if (b) {
        w->buf = b;
        w->cap = cap;
    }
}

/* Takes the whole messages in the worker's buffer. */
static int take_messages(sweep *s, worker *w, hs_err *err)
{
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
        if (hs_sweep_add_encoded(s, pos, w->buf + 8, (size_t)l, who, err) != 0)
            return -1;
        memmove(w->buf, w->buf + 8 + l, w->len - 8 - (size_t)l);
        w->len -= 8 + (size_t)l;
    }
    return 0;
}

/* The worker's result pipe is readable: reads all it holds, then takes
 * whole messages. */
static int worker_readable(sweep *s, worker *w, hs_err *err)
{
    for (;;) {
        if (grow_buffer(w, err) != 0)
            return -1;
        ssize_t n = read(w->res, w->buf + w->len, w->cap - w->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return worker_died(s, w, err);
        w->len += (size_t)n;
    }
    if (take_messages(s, w, err) != 0)
        return -1;
    shrink_buffer(w);
    return 0;
}

int hs_pool_start(sweep *s, hs_err *err)
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
    size_t n = nw > 0 ? (size_t)nw : 1;
    s->workers = calloc(n, sizeof *s->workers);
    s->pfd = calloc(n, sizeof *s->pfd);
    s->pfd_worker = calloc(n, sizeof *s->pfd_worker);
    if (!s->workers || !s->pfd || !s->pfd_worker)
        return hs_errf(err, "out of memory");
    for (int i = 0; i < nw; i++)
        s->workers[i].cmd = s->workers[i].res = -1;
    for (int i = 0; i < nw; i++) {
        if (spawn(s, &s->workers[i], err) != 0)
            return -1;
        s->nworkers = i + 1;
    }
    return 0;
}

/* An idle worker: the next run, or, when none is left, EOF on its cmd. */
static void hand_out_one(sweep *s, worker *w)
{
    ssize_t pos = hs_sweep_next_unassigned(s);
    if (pos >= 0) {
        int64_t run = (int64_t)s->mine[pos];
        w->pos = pos;
        if (hs_runner_write_all(w->cmd, &run, sizeof run) != 0) {
            /* it died: its EOF arrives through poll */
        }
    } else if (w->cmd >= 0) {
        close(w->cmd);   /* nothing left: let it exit */
        w->cmd = -1;
    }
}

int hs_pool_hand_out(sweep *s, int *busy, hs_err *err)
{
    *busy = 0;
    for (int i = 0; i < s->nworkers; i++) {
        worker *w = &s->workers[i];
        if (w->pid == 0 && hs_sweep_work_left(s) && spawn(s, w, err) != 0)
            return -1;
        if (w->pid > 0 && w->pos < 0)
            hand_out_one(s, w);
        if (w->pid > 0 && w->res >= 0)
            *busy += w->pos >= 0;
    }
    return 0;
}

int hs_pool_wait(sweep *s, int timeout_ms, hs_err *err)
{
    int np = 0;
    for (int i = 0; i < s->nworkers; i++)
        if (s->workers[i].pid > 0 && s->workers[i].res >= 0) {
            s->pfd[np] = (struct pollfd){.fd = s->workers[i].res, .events = POLLIN};
            s->pfd_worker[np++] = i;
        }
    int n = poll(s->pfd, (nfds_t)np, timeout_ms);
    if (n < 0 && errno != EINTR)
        return hs_errf(err, "poll: %s", strerror(errno));
    int rc = 0;
    for (int k = 0; n > 0 && k < np && rc == 0; k++)
        if (s->pfd[k].revents)
            rc = worker_readable(s, &s->workers[s->pfd_worker[k]], err);
    return rc;
}

void hs_pool_stop(sweep *s, bool kill_them)
{
    for (int i = 0; i < s->nworkers; i++) {
        worker *w = &s->workers[i];
        close_pipes(w);
        if (w->pid > 0) {
            if (kill_them)
                kill(w->pid, SIGKILL);
            reap(w);
        }
        w->pid = 0;
        free(w->buf);
    }
    free(s->workers);
    free(s->pfd);
    free(s->pfd_worker);
    s->workers = NULL;
    s->pfd = NULL;
    s->pfd_worker = NULL;
    s->nworkers = 0;
}
