/* hetsoc: MPI ranks -- rank 0 coordinates and writes, ranks 1..R-1 run.
 *
 * Message protocol (MPI_COMM_WORLD, all between rank 0 and one other rank):
 *   TAG_WORK   0 -> r   one int64: a run index.  Rank 0 sends a rank its
 *                       next index only once it has answered the last one.
 *   TAG_RESULT r -> 0   MPI_BYTE: the run's record as run_record.h encodes
 *                       it (a record too large for one message is replaced
 *                       by a failure saying so).  A rank that could not
 *                       load the experiment answers every index with a
 *                       failure carrying its load error and no key.
 *   TAG_STOP   0 -> r   one int64 (-1): return from hs_mpi_serve.  Sent
 *                       once, by hs_mpi_finish on rank 0.
 * Rank 0 polls (MPI_Iprobe) between its local workers' results; the other
 * ranks poll every half millisecond, so that a waiting rank does not spin
 * a core at full speed.
 *
 * Without HS_HAVE_MPI every function here has its fallback at the end of
 * the file: hs_mpi_init fails with a message, the rest do nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HS_HAVE_MPI
#include <mpi.h>
#endif

#include "experiments/runner/sweep_internal.h"

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
enum { TAG_WORK = 1, TAG_RESULT = 2, TAG_STOP = 3 };
static int mpi_size_g, mpi_rank_g;
static bool mpi_on, mpi_stopped;

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

void hs_ranks_abort(int code)
{
    if (mpi_on)
        MPI_Abort(MPI_COMM_WORLD, code);
}

/* ---- Ranks 1..R-1 --------------------------------------------------------- */
/* Waits for rank 0's next message: its tag and, for TAG_WORK, the index. */
static int receive_order(int64_t *run)
{
    int flag = 0;
    MPI_Status st;
    while (!flag) {
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag)
            nanosleep(&(struct timespec){0, 500000}, NULL);
    }
    *run = -1;
    MPI_Recv(run, 1, MPI_INT64_T, 0, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return st.MPI_TAG;
}

/* The record of a run this rank cannot run. */
static void cannot_run(const hs_experiment *e, int64_t run, const char *load_err, hs_run_record *r)
{
    r->run = run;
    char msg[HS_ERR_MSG_MAX + 64];
    snprintf(msg, sizeof msg, "error: MPI rank %d could not load the experiment: %s", mpi_rank_g,
             load_err ? load_err : "run index out of range");
    hs_record_fail(r, msg);
    if (e && run >= 0 && (uint64_t)run < e->nruns)
        memcpy(r->key, e->runs[run].key, sizeof r->key);
}

static void send_result(hs_run_record *r)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (hs_record_encode(r, &buf, &len) != 0 || len > INT32_MAX) {
        free(buf);
        hs_record_fail(r, "error: the run's results are too large for one MPI message");
        hs_record_encode(r, &buf, &len);
    }
    MPI_Send(buf, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    free(buf);
}

void hs_mpi_serve(const hs_experiment *e, const char *load_err)
{
    int64_t run;
    while (receive_order(&run) != TAG_STOP) {
        hs_run_record r;
        hs_record_init(&r);
        if (!e || run < 0 || (uint64_t)run >= e->nruns)
            cannot_run(e, run, load_err, &r);
        else
            hs_sweep_execute(e, (size_t)run, &r);
        send_result(&r);
        hs_record_clear(&r);
    }
}

/* ---- Rank 0 --------------------------------------------------------------- */
void hs_ranks_hand_out(sweep *s)
{
    for (int r = 1; r < s->mpi_size; r++) {
        if (s->remote_pos[r] >= 0)
            continue;
        ssize_t pos = hs_sweep_next_unassigned(s);
        if (pos < 0)
            break;
        int64_t run = (int64_t)s->mine[pos];
        MPI_Send(&run, 1, MPI_INT64_T, r, TAG_WORK, MPI_COMM_WORLD);
        s->remote_pos[r] = pos;
    }
}

/* Receives one result whose arrival st announced. */
static int take_result(sweep *s, const MPI_Status *st, hs_err *err)
{
    int count = 0;
    MPI_Get_count(st, MPI_BYTE, &count);
    uint8_t *buf = malloc(count > 0 ? (size_t)count : 1);
    if (!buf)
        return hs_errf(err, "out of memory");
    int src = st->MPI_SOURCE;
    MPI_Recv(buf, count, MPI_BYTE, src, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    ssize_t pos = src > 0 && src < s->mpi_size ? s->remote_pos[src] : -1;
    int rc = 0;
    if (pos >= 0) {
        s->remote_pos[src] = -1;
        char who[32];
        snprintf(who, sizeof who, "MPI rank %d", src);
        rc = hs_sweep_add_encoded(s, (size_t)pos, buf, (size_t)count, who, err);
    }
    free(buf);
    return rc;
}

int hs_ranks_poll(sweep *s, hs_err *err)
{
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (!flag)
            return 0;
        if (take_result(s, &st, err) != 0)
            return -1;
    }
}

bool hs_ranks_busy(const sweep *s)
{
    for (int r = 1; r < s->mpi_size; r++)
        if (s->remote_pos[r] >= 0)
            return true;
    return false;
}

#else /* ---- Without MPI ---------------------------------------------------- */
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

void hs_ranks_abort(int code)
{
    (void)code;
}

void hs_ranks_hand_out(sweep *s)
{
    (void)s;
}

int hs_ranks_poll(sweep *s, hs_err *err)
{
    (void)s;
    (void)err;
    return 0;
}

bool hs_ranks_busy(const sweep *s)
{
    (void)s;
    return false;
}
#endif
