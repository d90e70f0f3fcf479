/* hetsoc: the experiment runner's private interface -- the state of one
 * sweep and what the runner's files share.  Not installed; nothing outside
 * experiments/runner/ includes it (runner.h is the folder's public header).
 *
 * Who does what (each file's opening comment has the details):
 *   sweep.c     hs_sweep_run: sets the sweep up, opens its outputs, runs the
 *               execution loop, renames OUT.partial to OUT
 *   collect.c   hands runs out; takes finished ones (journal, then the HDF5
 *               file in run order)
 *   pool.c      the local worker processes and their pipe protocol
 *   mpi.c       MPI ranks and their message protocol; the no-MPI fallbacks
 *   journal.c   the journal's frames: writing them, replaying them
 *   resume.c    --resume: finished runs from the journal or a complete file
 *   merge.c     hs_sweep_merge
 *   progress.c  the progress line on stderr
 *   util.c      whole reads and writes on descriptors, paths, the clock
 */
#ifndef HS_EXPERIMENTS_RUNNER_SWEEP_INTERNAL_H
#define HS_EXPERIMENTS_RUNNER_SWEEP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "experiments/results/h5io.h"
#include "experiments/runner/runner.h"

struct pollfd;

/* A local worker process (pool.c). */
typedef struct worker {
    pid_t pid;            /* 0: not running */
    int cmd, res;         /* run indices to it, records from it; -1 closed */
    ssize_t pos;          /* position of the run it works on, -1 idle */
    uint8_t *buf;         /* bytes read from res, not yet a whole message */
    size_t len, cap;
} worker;

/* One sweep: the runs of this shard ("mine"), by position in run order. */
typedef struct sweep {
    const hs_experiment *e;
    const hs_sweep_opts *o;
    hs_sweep_stats *st;
    size_t nmine;
    size_t *mine;         /* run indices of this sweep, increasing */
    ssize_t *pos_of;      /* run index -> position, -1 when not ours */
    hs_run_record **pending;   /* finished, not yet written */
    bool *have, *assigned;
    size_t next_write, next_assign;
    const char *out;
    char *work, *jpath, *jtmp; /* OUT.partial, OUT.journal, OUT.journal.tmp */
    char shard[64];       /* "i/n", or "" for all runs */
    hs_h5 *h5;
    int jfd;              /* the journal, -1 before it is open */
    double t0, last_progress;
    size_t done_now;      /* runs executed (not recovered) by this call */
    bool progress_shown;
    int nworkers;
    worker *workers;
    struct pollfd *pfd;   /* hs_pool_wait's scratch, one per worker */
    int *pfd_worker;      /* pfd[k] is the result pipe of workers[pfd_worker[k]] */
    int mpi_size;
    ssize_t *remote_pos;  /* per rank, -1 idle */
} sweep;

/* ---- collect.c ------------------------------------------------------------ */
/* A heap record, hs_record_init'ed; NULL when out of memory. */
hs_run_record *hs_sweep_new_record(void);
/* A finished run: journaled (when journal and the journal is open), then
 * written when its turn in run order comes.  Takes r; a run that is not
 * this sweep's, or already finished, is dropped. */
int hs_sweep_add_result(sweep *s, hs_run_record *r, bool journal, hs_err *err);
/* A failed record for the run at pos (a dead worker, a bad message). */
int hs_sweep_add_failure(sweep *s, size_t pos, const char *msg, hs_err *err);
/* An encoded record that worker or rank `who` sent for the run at pos; a
 * malformed one is recorded as a failure. */
int hs_sweep_add_encoded(sweep *s, size_t pos, const uint8_t *buf, size_t len, const char *who, hs_err *err);
/* Appends the finished runs that come next in run order to the HDF5 file. */
int hs_sweep_write_ready(sweep *s, hs_err *err);
/* Whether a run is neither finished nor handed out. */
bool hs_sweep_work_left(sweep *s);
/* Marks the first such run handed out and returns its position; -1: none. */
ssize_t hs_sweep_next_unassigned(sweep *s);

/* ---- pool.c --------------------------------------------------------------- */
/* Starts the local workers (-j; one for runs on hardware; never more than
 * the runs left).  On failure the workers started so far stay in the pool
 * (hs_pool_stop ends them). */
int hs_pool_start(sweep *s, hs_err *err);
/* Restarts dead workers while work remains, hands a run to each idle one,
 * and lets a worker exit when nothing is left.  *busy: workers running. */
int hs_pool_hand_out(sweep *s, int *busy, hs_err *err);
/* Waits up to timeout_ms (-1: forever) for results and takes them. */
int hs_pool_wait(sweep *s, int timeout_ms, hs_err *err);
/* Stops every worker (SIGKILL when kill_them) and frees the pool. */
void hs_pool_stop(sweep *s, bool kill_them);

/* ---- mpi.c (no-ops without HS_HAVE_MPI) ------------------------------------ */
/* Hands a run to each idle rank 1..mpi_size-1. */
void hs_ranks_hand_out(sweep *s);
/* Takes the records ranks have sent, without waiting. */
int hs_ranks_poll(sweep *s, hs_err *err);
/* Whether a rank is running a run. */
bool hs_ranks_busy(const sweep *s);
/* MPI_Abort with that exit code, when MPI is initialised. */
void hs_ranks_abort(int code);

/* ---- journal.c ------------------------------------------------------------ */
/* Writes OUT.journal afresh (header, then every finished run in pending)
 * through OUT.journal.tmp and a rename; leaves it open in s->jfd. */
int hs_journal_create(sweep *s, hs_err *err);
/* Appends run r to the open journal. */
int hs_journal_append(sweep *s, const hs_run_record *r, hs_err *err);
/* Recovers the runs in OUT.journal (hs_sweep_recover_record), stopping at
 * its first torn frame.  Returns 1 when there is no journal, 2 when it
 * holds no valid header (empty, torn at creation, not a journal), 0 when
 * replayed, -1 with err set. */
int hs_journal_replay(sweep *s, hs_err *err);
/* The frames themselves, for tests that forge journals: one frame of a
 * type and payload, and the header frame of experiment e and shard ("" for
 * all runs).  0, or -1 (out of memory, or a failed write with errno set). */
enum { HS_JOURNAL_HEADER = 1, HS_JOURNAL_RUN = 2 };
int hs_journal_write_frame(int fd, uint32_t type, const uint8_t *p, size_t len);
int hs_journal_write_header(int fd, const hs_experiment *e, const char *shard);
/* The finished runs a journal at path holds (0: none, no journal, or not
 * a journal). */
long hs_journal_count_runs(const char *path);

/* ---- resume.c ------------------------------------------------------------- */
/* --resume: recovers the finished runs from the journal, else from a
 * complete OUT; *complete: OUT already holds every run. */
int hs_sweep_resume(sweep *s, bool *complete, hs_err *err);
/* A run read back from `from`: checked against the experiment and taken
 * like a finished one (not journaled again).  Takes r. */
int hs_sweep_recover_record(sweep *s, hs_run_record *r, const char *from, hs_err *err);
/* Opens a results file and reads its runs (and their rows when rows);
 * on success *hp is open and the caller frees *runs. */
int hs_runner_load_file_runs(const char *path, hs_h5 **hp, hs_run_record **runs, size_t *n, bool rows,
                             hs_err *err);

/* ---- progress.c ----------------------------------------------------------- */
/* Redraws the progress line (at most 4 times a second unless force) when
 * the sweep shows one. */
void hs_progress_show(sweep *s, bool force);
/* Clears the progress line, if shown. */
void hs_progress_end(sweep *s);

/* ---- util.c --------------------------------------------------------------- */
double hs_runner_now_s(void);   /* monotonic clock */
/* Writes / reads exactly n bytes (retrying on EINTR); 0, or -1 (errno set,
 * or end of file). */
int hs_runner_write_all(int fd, const void *p, size_t n);
int hs_runner_read_all(int fd, void *p, size_t n);
/* a followed by b, malloc'ed; NULL when out of memory. */
char *hs_runner_str_cat(const char *a, const char *b);
/* Creates the folders of a file's path that do not exist yet. */
int hs_runner_make_parent_dirs(const char *file, hs_err *err);

#endif
