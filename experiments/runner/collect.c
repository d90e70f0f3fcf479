/* hetsoc: the sweep's run table -- handing runs out, taking finished ones.
 *
 * Runs are handed out in run order, one at a time, to whichever worker or
 * rank is idle.  A finished run goes first into the journal (so a kill
 * after this point cannot lose it), then waits in `pending` until every
 * run before it is written: the HDF5 file receives runs in increasing run
 * order whatever order they finish in, which is why its tables do not
 * depend on -j, ranks, shards or resumption. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/runner/sweep_internal.h"

hs_run_record *hs_sweep_new_record(void)
{
    hs_run_record *r = malloc(sizeof *r);
    if (r)
        hs_record_init(r);
    return r;
}

static void free_record(hs_run_record *r)
{
    hs_record_clear(r);
    free(r);
}

int hs_sweep_write_ready(sweep *s, hs_err *err)
{
    bool wrote = false;
    while (s->next_write < s->nmine && s->pending[s->next_write]) {
        hs_run_record *r = s->pending[s->next_write];
        size_t run = s->mine[s->next_write];
        if (hs_experiment_identity(s->e, run, r, true, err) != 0 || hs_h5_append(s->h5, r, err) != 0)
            return -1;
        free_record(r);
        s->pending[s->next_write++] = NULL;
        wrote = true;
    }
    return wrote ? hs_h5_flush(s->h5, err) : 0;
}

int hs_sweep_add_result(sweep *s, hs_run_record *r, bool journal, hs_err *err)
{
    ssize_t pos = r->run >= 0 && (size_t)r->run < s->e->nruns ? s->pos_of[r->run] : -1;
    if (pos < 0 || s->have[pos]) {
        free_record(r);
        return 0;
    }
    if (journal && s->jfd >= 0 && hs_journal_append(s, r, err) != 0) {
        free_record(r);
        return -1;
    }
    s->have[pos] = true;
    s->st->done++;
    if (!r->ok)
        s->st->failed++;
    s->pending[pos] = r;
    return s->h5 ? hs_sweep_write_ready(s, err) : 0;
}

int hs_sweep_add_failure(sweep *s, size_t pos, const char *msg, hs_err *err)
{
    hs_run_record *r = hs_sweep_new_record();
    if (!r)
        return hs_errf(err, "out of memory");
    r->run = (int64_t)s->mine[pos];
    memcpy(r->key, s->e->runs[s->mine[pos]].key, sizeof r->key);
    hs_record_fail(r, msg);
    return hs_sweep_add_result(s, r, true, err);
}

int hs_sweep_add_encoded(sweep *s, size_t pos, const uint8_t *buf, size_t len, const char *who, hs_err *err)
{
    hs_run_record *r = hs_sweep_new_record();
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
        free_record(r);
        char msg[256];
        snprintf(msg, sizeof msg, "error: malformed result from %s", who);
        return hs_sweep_add_failure(s, pos, msg, err);
    }
    s->done_now++;
    return hs_sweep_add_result(s, r, true, err);
}

bool hs_sweep_work_left(sweep *s)
{
    while (s->next_assign < s->nmine && (s->have[s->next_assign] || s->assigned[s->next_assign]))
        s->next_assign++;
    return s->next_assign < s->nmine;
}

ssize_t hs_sweep_next_unassigned(sweep *s)
{
    if (!hs_sweep_work_left(s))
        return -1;
    s->assigned[s->next_assign] = true;
    return (ssize_t)s->next_assign;
}
