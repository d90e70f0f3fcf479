/* hetsoc: joining results files of one experiment (runner.h's
 * hs_sweep_merge; `hetsoc merge`).  The parts must have been written by the
 * same experiment text and hetsoc version, with the same tables.  Their
 * runs are sorted by run index (ties by part order) and appended to
 * OUT.partial, every run once (a run in two parts must have the same key;
 * the first part's copy is kept), which is renamed to OUT at the end:
 * merging the shards of a sweep gives the file one unsharded run writes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/runner/sweep_internal.h"

typedef struct merge_item {
    int64_t run;
    size_t part, row;
} merge_item;

typedef struct merge {
    char *const *parts;
    size_t nparts;
    hs_h5 **h;               /* per part, open */
    hs_run_record **runs;    /* per part, its /runs rows (rows read one run at a time) */
    size_t *nruns;
    merge_item *items;       /* every run of every part, in merge order */
    size_t nitems;
    char *tmp;               /* OUT.partial */
    hs_h5 *w;
} merge;

static int cmp_item(const void *a, const void *b)
{
    const merge_item *x = a, *y = b;
    if (x->run != y->run)
        return x->run < y->run ? -1 : 1;
    return x->part < y->part ? -1 : x->part > y->part;
}

/* Part p is of the same experiment, version and tables as part 0. */
static int check_part(const merge *mg, size_t p, hs_err *err)
{
    char *const *parts = mg->parts;
    const hs_h5_meta *m0 = hs_h5_get_meta(mg->h[0]), *m = hs_h5_get_meta(mg->h[p]);
    if (strcmp(m->experiment_yaml, m0->experiment_yaml) != 0)
        return hs_err_at(err, parts[p], 0, 0, "holds results of a different experiment than %s", parts[0]);
    if (strcmp(m->version, m0->version) != 0)
        return hs_err_at(err, parts[p], 0, 0, "was written by hetsoc %s, %s by hetsoc %s", m->version, parts[0],
                         m0->version);
    if (m->kernels != m0->kernels || m->nsweep != m0->nsweep || m->nparams != m0->nparams)
        return hs_err_at(err, parts[p], 0, 0, "its tables differ from those of %s", parts[0]);
    for (size_t i = 0; i < m->nparams; i++)
        if (strcmp(m->params[i], m0->params[i]) != 0 || m->param_integer[i] != m0->param_integer[i] ||
            m->param_numeric[i] != m0->param_numeric[i])
            return hs_err_at(err, parts[p], 0, 0, "its parameter column '%s' differs from %s", m->params[i], parts[0]);
    for (size_t i = 0; i < m->nsweep; i++)
        if (strcmp(m->sweep[i], m0->sweep[i]) != 0 || m->numeric[i] != m0->numeric[i] ||
            m->integer[i] != m0->integer[i])
            return hs_err_at(err, parts[p], 0, 0, "its sweep column '%s' differs from %s", m->sweep[i], parts[0]);
    return 0;
}

static int load_parts(merge *mg, hs_err *err)
{
    for (size_t p = 0; p < mg->nparts; p++) {
        if (hs_runner_load_file_runs(mg->parts[p], &mg->h[p], &mg->runs[p], &mg->nruns[p], false, err) != 0 ||
            check_part(mg, p, err) != 0)
            return -1;
        mg->nitems += mg->nruns[p];
    }
    return 0;
}

/* Every run of every part, sorted by run index, then part. */
static int order_items(merge *mg, hs_err *err)
{
    if (!(mg->items = calloc(mg->nitems ? mg->nitems : 1, sizeof *mg->items)))
        return hs_errf(err, "out of memory");
    size_t k = 0;
    for (size_t p = 0; p < mg->nparts; p++)
        for (size_t i = 0; i < mg->nruns[p]; i++)
            mg->items[k++] = (merge_item){.run = mg->runs[p][i].run, .part = p, .row = i};
    qsort(mg->items, mg->nitems, sizeof *mg->items, cmp_item);
    return 0;
}

/* OUT.partial, with part 0's metadata and no shard. */
static int create_output(merge *mg, hs_err *err)
{
    hs_h5_meta m;
    if (hs_h5_meta_copy(&m, hs_h5_get_meta(mg->h[0])) != 0)
        return hs_errf(err, "out of memory");
    free(m.shard);
    m.shard = strdup("");
    int rc = 0;
    if (!m.shard || !(mg->w = hs_h5_create(mg->tmp, &m, err)))
        rc = m.shard ? -1 : hs_errf(err, "out of memory");
    hs_h5_meta_free(&m);
    return rc;
}

static int copy_runs(merge *mg, hs_sweep_stats *st, hs_err *err)
{
    const merge_item *it = mg->items;
    for (size_t i = 0; i < mg->nitems; i++) {
        hs_run_record *r = &mg->runs[it[i].part][it[i].row];
        if (i && it[i].run == it[i - 1].run) {
            const hs_run_record *prev = &mg->runs[it[i - 1].part][it[i - 1].row];
            if (strcmp(prev->key, r->key) != 0)
                return hs_err_at(err, mg->parts[it[i].part], 0, 0,
                                 "run %" PRId64 " is also in %s with a different configuration", r->run,
                                 mg->parts[it[i - 1].part]);
            continue;   /* the same run twice: keep the first */
        }
        if (hs_h5_read_rows(mg->h[it[i].part], r, err) != 0 || hs_h5_append(mg->w, r, err) != 0)
            return -1;
        st->done++;
        st->failed += !r->ok;
        hs_record_drop_rows(r);
    }
    return 0;
}

static int merge_into(merge *mg, const char *out, hs_sweep_stats *st, hs_err *err)
{
    if (load_parts(mg, err) != 0 || hs_runner_make_parent_dirs(out, err) != 0 || order_items(mg, err) != 0 ||
        create_output(mg, err) != 0 || copy_runs(mg, st, err) != 0)
        return -1;
    st->total = (size_t)hs_h5_get_meta(mg->h[0])->runs_total;
    int rc = hs_h5_close(mg->w, err);
    mg->w = NULL;
    if (rc == 0 && rename(mg->tmp, out) != 0)
        rc = hs_err_at(err, out, 0, 0, "cannot rename %s to it: %s", mg->tmp, strerror(errno));
    return rc;
}

static void merge_free(merge *mg)
{
    if (mg->w) {
        hs_h5_close(mg->w, NULL);
        unlink(mg->tmp);
    }
    for (size_t p = 0; p < mg->nparts; p++) {
        for (size_t i = 0; mg->runs && mg->nruns && mg->runs[p] && i < mg->nruns[p]; i++)
            hs_record_clear(&mg->runs[p][i]);
        if (mg->runs)
            free(mg->runs[p]);
        if (mg->h)
            hs_h5_close(mg->h[p], NULL);
    }
    free(mg->h);
    free(mg->runs);
    free(mg->nruns);
    free(mg->items);
    free(mg->tmp);
}

int hs_sweep_merge(const char *out, char *const *parts, size_t nparts, hs_sweep_stats *st, hs_err *err)
{
    memset(st, 0, sizeof *st);
    double t0 = hs_runner_now_s();
    merge mg = {
        .parts = parts, .nparts = nparts, .h = calloc(nparts, sizeof *mg.h),
        .runs = calloc(nparts, sizeof *mg.runs), .nruns = calloc(nparts, sizeof *mg.nruns),
        .tmp = hs_runner_str_cat(out, ".partial"),
    };
    int rc = !mg.h || !mg.runs || !mg.nruns || !mg.tmp ? hs_errf(err, "out of memory")
                                                        : merge_into(&mg, out, st, err);
    merge_free(&mg);
    st->wall_s = hs_runner_now_s() - t0;
    return rc;
}
