/* hetsoc: executing an experiment's runs -- worker processes, MPI ranks,
 * the sweep's journal, resumption, shards and merging.
 *
 * Execution.  The parent process expands the experiment, forks `jobs`
 * worker processes and hands them run indices one at a time over pipes
 * (dynamic load balancing); a worker rebuilds run i's spec from the same
 * expansion, runs it and sends back the encoded record (run_record.h).
 * Under MPI, rank 0 is that parent: besides its local workers (`-j`,
 * default 1) it hands indices to ranks 1..R-1, which run them in-process
 * and send records back; rank 0 alone writes.  A run's results depend only
 * on its spec (seed included), never on which process ran it, and the
 * writer appends runs to the HDF5 file in increasing run order (buffering
 * runs that finish early), so the tables are identical whatever -j, rank
 * count, shard split, or kill-and-resume history (only wall_s differs).
 *
 * Crash consistency.  While a sweep runs, its results live in OUT.partial
 * (the HDF5 file, appended and H5Fflush'ed as each run is written) and
 * OUT.journal (an append-only log: one framed, checksummed record per
 * finished run, written with write(2) before the run goes into the HDF5
 * file).  The journal is the source of truth: a SIGKILL at any instant
 * leaves every finished run in it (the kernel keeps what write(2)
 * accepted), at worst followed by a torn record, which fails its length or
 * checksum test and is dropped.  The HDF5 file is then readable up to its
 * last flush, but HDF5 makes no promise about a file whose writer died
 * mid-flush, so `--resume` never trusts it: it rebuilds OUT.partial from
 * the journal, rewrites the journal without its torn tail (temp file +
 * rename), and runs only the runs the journal lacks.  When the last run is
 * written, OUT.partial is closed and renamed to OUT, and the journal
 * removed: OUT exists only when complete.  `--resume` on a complete OUT
 * (no journal) reads the runs back from it.
 */
#ifndef HS_EXPERIMENTS_RUNNER_H
#define HS_EXPERIMENTS_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "experiments/sweep/expand.h"
#include "experiments/results/run_record.h"

typedef struct hs_sweep_opts {
    const char *out;     /* results file */
    int jobs;            /* local worker processes (>= 1) */
    bool resume;
    unsigned shard_i, shard_n;   /* run i belongs to shard i % shard_n; shard_n 0 or 1: all */
    bool progress;       /* a progress line on stderr */
    int mpi_size;        /* > 1: this is rank 0 of an MPI job of that many ranks */
} hs_sweep_opts;

typedef struct hs_sweep_stats {
    size_t total;        /* runs of this sweep (its shard) */
    size_t recovered;    /* found finished by --resume */
    size_t done;         /* recorded, recovered included */
    size_t failed;       /* recorded with status error */
    double wall_s;
    bool interrupted;
} hs_sweep_stats;

/* Runs the sweep.  Returns 0 when every run of the sweep is recorded in
 * o->out (failed runs included: see st->failed), -1 with err set
 * otherwise (I/O error, a resumed file of another experiment, SIGINT). */
int hs_sweep_run(const hs_experiment *e, const hs_sweep_opts *o, hs_sweep_stats *st, hs_err *err);
/* What `--resume` would recover from o->out's journal, else from a
 * complete o->out, into st (recovered, done, failed), without running or
 * writing anything; -1 with err set as hs_sweep_run would stop (a
 * journal or file of another experiment, an unreadable file). */
int hs_sweep_recover(const hs_experiment *e, const hs_sweep_opts *o, hs_sweep_stats *st, hs_err *err);

/* Runs run i in this process and fills r's result half (r->run, r->key,
 * status, message, metrics, rows); r must be hs_record_init'ed.  A failure
 * is recorded in r, never returned. */
void hs_sweep_execute(const hs_experiment *e, size_t i, hs_run_record *r);

/* Joins results files of one experiment (shards, or any subsets) into
 * out: every run once, in run order. */
int hs_sweep_merge(const char *out, char *const *parts, size_t nparts, hs_sweep_stats *st, hs_err *err);

/* ---- MPI (no-ops without HS_HAVE_MPI) ------------------------------------ */
/* Whether an MPI launcher (mpirun, srun) started this process: 0 no, else
 * the job's rank count (-1 unknown), from the launcher's environment. */
int hs_mpi_launch_size(void);
/* MPI_Init; *rank and *size.  Returns 0, or -1 (err set) when this build
 * has no MPI. */
int hs_mpi_init(int *rank, int *size, hs_err *err);
/* On rank 0: tells every other rank to stop (idempotent).  Then
 * MPI_Finalize on any rank. */
void hs_mpi_finish(void);
/* Ranks other than 0: run the indices rank 0 sends until told to stop.
 * e may be NULL when this rank failed to load the experiment (load_err):
 * every run it is given then fails with that message. */
void hs_mpi_serve(const hs_experiment *e, const char *load_err);

#endif
