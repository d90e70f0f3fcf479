/* hetsoc: running a sweep (runner.h's hs_sweep_run) -- the orchestration.
 *
 * Set up the runs of this shard; on --resume recover the finished ones
 * (resume.c); open the outputs (the journal afresh, then OUT.partial with
 * the recovered runs); run the execution loop, which hands runs to the
 * local workers (pool.c) and the MPI ranks (mpi.c) and takes their results
 * (collect.c) until every run is recorded; then close OUT.partial, rename
 * it to OUT and remove the journal.  On failure or ^C the journal and
 * OUT.partial stay for --resume. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/runner/sweep_internal.h"
#include "hs_version.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

/* ---- Setting up ----------------------------------------------------------- */
/* This shard's runs: run i is ours when i % shard_n == shard_i. */
static int pick_runs(sweep *s)
{
    const hs_sweep_opts *o = s->o;
    unsigned sn = o->shard_n > 1 ? o->shard_n : 1;
    if (sn > 1)
        snprintf(s->shard, sizeof s->shard, "%u/%u", o->shard_i, sn);
    size_t nruns = s->e->nruns;
    s->mine = calloc(nruns ? nruns : 1, sizeof *s->mine);
    s->pos_of = calloc(nruns ? nruns : 1, sizeof *s->pos_of);
    if (!s->mine || !s->pos_of)
        return -1;
    for (size_t i = 0; i < nruns; i++) {
        s->pos_of[i] = -1;
        if (i % sn == o->shard_i % sn) {
            s->pos_of[i] = (ssize_t)s->nmine;
            s->mine[s->nmine++] = i;
        }
    }
    return 0;
}

static int sweep_init(sweep *s, hs_err *err)
{
    int nranks = s->mpi_size > 1 ? s->mpi_size : 1;
    int picked = pick_runs(s);
    size_t nm = s->nmine ? s->nmine : 1;
    s->pending = calloc(nm, sizeof *s->pending);
    s->have = calloc(nm, sizeof *s->have);
    s->assigned = calloc(nm, sizeof *s->assigned);
    s->remote_pos = calloc((size_t)nranks, sizeof *s->remote_pos);
    s->work = hs_runner_str_cat(s->out, ".partial");
    s->jpath = hs_runner_str_cat(s->out, ".journal");
    s->jtmp = hs_runner_str_cat(s->out, ".journal.tmp");
    s->st->total = s->nmine;
    if (picked != 0 || !s->pending || !s->have || !s->assigned || !s->remote_pos || !s->work || !s->jpath ||
        !s->jtmp)
        return hs_errf(err, "out of memory");
    for (int r = 0; r < nranks; r++)
        s->remote_pos[r] = -1;
    return 0;
}

static void sweep_free(sweep *s)
{
    for (size_t p = 0; s->pending && p < s->nmine; p++)
        if (s->pending[p]) {
            hs_record_clear(s->pending[p]);
            free(s->pending[p]);
        }
    free(s->mine);
    free(s->pos_of);
    free(s->pending);
    free(s->have);
    free(s->assigned);
    free(s->remote_pos);
    free(s->work);
    free(s->jpath);
    free(s->jtmp);
}

/* ---- The outputs ---------------------------------------------------------- */
/* The file's description; names, numeric and integer hold the sweep
 * columns, then the parameter columns (room for both). */
static void meta_of(const hs_experiment *e, const char *shard, hs_h5_meta *m, char **names, bool *numeric,
                    bool *integer)
{
    for (size_t a = 0; a < e->naxes; a++) {
        names[a] = e->axes[a].name;
        numeric[a] = e->axes[a].numeric;
        integer[a] = e->axes[a].integer;
    }
    for (size_t p = 0; p < e->nparams; p++) {
        names[e->naxes + p] = e->params[p].column;
        numeric[e->naxes + p] = e->params[p].numeric;
        integer[e->naxes + p] = e->params[p].integer;
    }
    *m = (hs_h5_meta){
        .version = (char *)HS_VERSION_STRING, .experiment_yaml = e->text, .experiment = e->name,
        .baseline = e->baseline, .shard = (char *)shard, .runs_total = (int64_t)e->nruns, .kernels = e->kernels,
        .nsweep = e->naxes, .sweep = names, .numeric = numeric, .integer = integer,
        .nparams = e->nparams, .params = names + e->naxes, .param_numeric = numeric + e->naxes,
        .param_integer = integer + e->naxes,
    };
}

/* The journal (with every recovered run), then OUT.partial, which
 * receives the recovered runs at once. */
static int open_outputs(sweep *s, hs_err *err)
{
    if (hs_runner_make_parent_dirs(s->out, err) != 0 || hs_journal_create(s, err) != 0)
        return -1;
    char *names[256];
    bool numeric[256], integer[256];
    hs_h5_meta m;
    if (s->e->naxes + s->e->nparams > 256)
        return hs_errf(err, "too many sweep and policy parameters (%zu)", s->e->naxes + s->e->nparams);
    meta_of(s->e, s->shard, &m, names, numeric, integer);
    if (!(s->h5 = hs_h5_create(s->work, &m, err)))
        return -1;
    return hs_sweep_write_ready(s, err);
}

/* Closes OUT.partial and the journal; when all went well, OUT.partial
 * becomes OUT and the journal goes. */
static int close_outputs(sweep *s, int rc, hs_err *err)
{
    if (rc == 0 && s->next_write != s->nmine)
        rc = hs_errf(err, "internal error: %zu runs were not written", s->nmine - s->next_write);
    hs_err cerr;
    if (hs_h5_close(s->h5, &cerr) != 0 && rc == 0) {
        *err = cerr;
        rc = -1;
    }
    s->h5 = NULL;
    if (s->jfd >= 0)
        close(s->jfd);
    if (rc != 0)
        return rc;   /* the journal and the partial file stay for --resume */
    if (rename(s->work, s->out) != 0)
        return hs_err_at(err, s->out, 0, 0, "cannot rename %s to it: %s", s->work, strerror(errno));
    unlink(s->jpath);
    return 0;
}

/* ---- The execution loop --------------------------------------------------- */
/* One round: hand runs out, wait a little, take what finished. */
static int execute_round(sweep *s, hs_err *err)
{
    int busy;
    if (hs_pool_hand_out(s, &busy, err) != 0)
        return -1;
    if (s->mpi_size > 1)
        hs_ranks_hand_out(s);
    bool remote = s->mpi_size > 1 && hs_ranks_busy(s);
    if (!busy && !remote && s->st->done < s->nmine && !hs_sweep_work_left(s))
        return hs_errf(err, "internal error: runs are left but nothing is running");
    /* Ranks are polled, so wait briefly for a worker while they run. */
    int timeout = remote ? 2 : s->o->progress ? 250 : -1;
    if (hs_pool_wait(s, timeout, err) != 0)
        return -1;
    if (s->mpi_size > 1 && hs_ranks_poll(s, err) != 0)
        return -1;
    hs_progress_show(s, false);
    return 0;
}

static int execute_all(sweep *s, hs_err *err)
{
    int rc = hs_pool_start(s, err);
    hs_progress_show(s, true);
    while (rc == 0 && s->st->done < s->nmine) {
        if (interrupted) {
            rc = hs_errf(err, "interrupted");
            s->st->interrupted = true;
            break;
        }
        rc = execute_round(s, err);
    }
    hs_pool_stop(s, rc != 0);
    if (rc == 0)
        hs_progress_show(s, true);
    hs_progress_end(s);
    return rc;
}

/* Opens the outputs and runs the loop with ^C and SIGTERM caught (they
 * stop it cleanly) and SIGPIPE ignored (a dead worker's pipe). */
static int run_with_signals(sweep *s, int rc, hs_err *err)
{
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term, old_pipe;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, &old_pipe);
    if (rc == 0)
        rc = open_outputs(s, err);
    if (rc == 0)
        rc = execute_all(s, err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    return rc;
}

/* Everything after setting up and resuming: rc is their outcome. */
static int run_and_close(sweep *s, int rc, hs_err *err)
{
    if (rc == 0 && !s->o->resume) {
        long lost = hs_journal_count_runs(s->jpath);
        if (lost > 0)
            fprintf(stderr, "hetsoc run: warning: %s holds %ld finished run(s) of an interrupted sweep; starting "
                            "afresh discards them (rerun with --resume to keep them)\n", s->jpath, lost);
        unlink(s->work);
        unlink(s->jpath);
    }
    rc = run_with_signals(s, rc, err);
    rc = close_outputs(s, rc, err);
    if (rc != 0 && s->mpi_size > 1)
        hs_ranks_abort(s->st->interrupted ? 130 : 1);
    return rc;
}

int hs_sweep_run(const hs_experiment *e, const hs_sweep_opts *o, hs_sweep_stats *st, hs_err *err)
{
    memset(st, 0, sizeof *st);
    sweep s = {.e = e, .o = o, .st = st, .out = o->out, .jfd = -1, .mpi_size = o->mpi_size};
    s.t0 = hs_runner_now_s();
    int rc = sweep_init(&s, err);
    /* Finished runs of an interrupted sweep: the journal, else a complete
     * file; a complete one leaves nothing to run and nothing to rewrite. */
    bool complete = false;
    if (rc == 0 && o->resume)
        rc = hs_sweep_resume(&s, &complete, err);
    if (!complete)
        rc = run_and_close(&s, rc, err);
    sweep_free(&s);
    st->wall_s = hs_runner_now_s() - s.t0;
    return rc;
}

int hs_sweep_recover(const hs_experiment *e, const hs_sweep_opts *o, hs_sweep_stats *st, hs_err *err)
{
    memset(st, 0, sizeof *st);
    sweep s = {.e = e, .o = o, .st = st, .out = o->out, .jfd = -1, .mpi_size = 1};
    bool complete;
    int rc = sweep_init(&s, err);
    if (rc == 0)
        rc = hs_sweep_resume(&s, &complete, err);
    sweep_free(&s);
    return rc;
}
