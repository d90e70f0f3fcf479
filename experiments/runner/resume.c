/* hetsoc: --resume -- the finished runs of an interrupted sweep, from its
 * journal (the source of truth while a sweep runs: journal.c), else from a
 * complete results file.  OUT.partial is never read: HDF5 promises nothing
 * about a file whose writer died mid-flush, so it is rebuilt from the
 * journal.  A recovered run must still match the experiment (same run
 * index, same key), and the journal or file must be of the same
 * experiment text and shard. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/runner/sweep_internal.h"

int hs_sweep_recover_record(sweep *s, hs_run_record *r, const char *from, hs_err *err)
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
    return hs_sweep_add_result(s, r, false, err);
}

int hs_runner_load_file_runs(const char *path, hs_h5 **hp, hs_run_record **runs, size_t *n, bool rows, hs_err *err)
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

/* The file's metadata: written by this experiment text, for this shard? */
static int check_file_meta(sweep *s, const hs_h5_meta *m, hs_err *err)
{
    if (strcmp(m->experiment_yaml, s->e->text) != 0)
        return hs_err_at(err, s->out, 0, 0,
                         "written by a different experiment text than %s; start afresh without --resume, or use "
                         "another -o",
                         s->e->path);
    if (strcmp(m->shard, s->shard) != 0)
        return hs_err_at(err, s->out, 0, 0, "holds shard '%s', not '%s'", m->shard[0] ? m->shard : "(all)",
                         s->shard[0] ? s->shard : "(all)");
    return 0;
}

/* From a complete results file (no journal).  Returns 1 when there is
 * none. */
static int recover_file(sweep *s, hs_err *err)
{
    if (access(s->out, F_OK) != 0)
        return 1;
    hs_h5 *h;
    hs_run_record *runs;
    size_t n;
    if (hs_runner_load_file_runs(s->out, &h, &runs, &n, true, err) != 0)
        return -1;
    int rc = check_file_meta(s, hs_h5_get_meta(h), err);
    size_t i = 0;
    for (; i < n && rc == 0; i++) {
        hs_run_record *r = hs_sweep_new_record();
        if (!r) {
            rc = hs_errf(err, "out of memory");
            break;
        }
        *r = runs[i];
        hs_record_init(&runs[i]);
        rc = hs_sweep_recover_record(s, r, s->out, err);
    }
    for (; i < n; i++)
        hs_record_clear(&runs[i]);
    free(runs);
    hs_h5_close(h, NULL);
    return rc;
}

/* --resume found no usable journal: the runs that finished before the
 * interruption (in OUT.partial, which is never read) run again.  Results
 * stay correct, but the user hears of it. */
static void warn_no_journal(const sweep *s, int why)
{
    if (why == 2)
        fprintf(stderr, "hetsoc run: warning: %s is empty or not a journal: no finished run can be recovered "
                        "from it; every run not in a complete %s runs again\n", s->jpath, s->out);
    else if (access(s->work, F_OK) == 0)
        fprintf(stderr, "hetsoc run: warning: %s exists but its journal %s is gone: the runs it holds cannot "
                        "be trusted and run again\n", s->work, s->jpath);
}

int hs_sweep_resume(sweep *s, bool *complete, hs_err *err)
{
    *complete = false;
    int j = hs_journal_replay(s, err);
    if (j > 0)
        warn_no_journal(s, j);
    if (j > 0) {
        j = recover_file(s, err);
        *complete = j == 0 && s->st->done == s->nmine;
    }
    return j < 0 ? -1 : 0;
}
