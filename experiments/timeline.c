/* hetsoc: Chrome trace-event JSON timelines (see timeline.h).
 * Format: {"traceEvents": [...]} with "M" metadata events naming the
 * process and one thread per PU, "X" complete events (ts and dur in
 * microseconds) and "C" counter events. */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/timeline.h"

struct hs_timeline {
    FILE *f;
    char *path, *tmp;
    const hs_hw *hw;
    bool first;
};

static void sep(hs_timeline *tl)
{
    fputs(tl->first ? "\n" : ",\n", tl->f);
    tl->first = false;
}

static void json_text(FILE *f, const char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
}

hs_timeline *hs_timeline_open(const char *path, const hs_hw *hw, hs_err *err)
{
    hs_timeline *tl = calloc(1, sizeof *tl);
    if (!tl || !(tl->path = strdup(path)) || asprintf(&tl->tmp, "%s.partial.%ld", path, (long)getpid()) < 0) {
        if (tl)
            free(tl->path);
        free(tl);
        hs_errf(err, "out of memory");
        return NULL;
    }
    if (!(tl->f = fopen(tl->tmp, "w"))) {
        hs_errf(err, "%s: cannot write: %s", path, strerror(errno));
        free(tl->tmp);
        free(tl->path);
        free(tl);
        return NULL;
    }
    tl->hw = hw;
    tl->first = true;
    fputs("{\"displayTimeUnit\": \"ms\", \"traceEvents\": [", tl->f);
    sep(tl);
    fputs("{\"ph\": \"M\", \"pid\": 1, \"name\": \"process_name\", \"args\": {\"name\": \"hetsoc ", tl->f);
    json_text(tl->f, hw->name);
    fputs("\"}}", tl->f);
    for (size_t p = 0; p < hw->npus; p++) {
        sep(tl);
        fprintf(tl->f, "{\"ph\": \"M\", \"pid\": 1, \"tid\": %zu, \"name\": \"thread_name\", \"args\": {\"name\": \"", p + 1);
        json_text(tl->f, hw->pus[p].name);
        fputs("\"}}", tl->f);
    }
    return tl;
}

void hs_timeline_kernel(void *ctx, const hs_kernel_row *row)
{
    hs_timeline *tl = ctx;
    sep(tl);
    fputs("{\"ph\": \"X\", \"pid\": 1, \"name\": \"", tl->f);
    if (row->request == UINT64_MAX)
        fprintf(tl->f, "batch x%u ", row->batch);
    else
        fprintf(tl->f, "r%llu ", (unsigned long long)row->request);
    json_text(tl->f, row->stage);
    fprintf(tl->f, "\", \"cat\": \"");
    json_text(tl->f, row->slot);
    fprintf(tl->f, "\", \"tid\": %d, \"ts\": %.3f, \"dur\": %.3f, \"args\": {\"work\": %llu, "
                   "\"flops\": %.6g, \"bytes\": %.6g, \"ready_us\": %.3f, \"batch\": %u, \"part\": %s}}",
            row->pu + 1, row->start_s * 1e6, (row->end_s - row->start_s) * 1e6,
            (unsigned long long)row->work, row->flops, row->bytes, row->ready_s * 1e6, row->batch,
            row->part ? "true" : "false");
}

void hs_timeline_bandwidth(void *ctx, double t, int mem, double bps)
{
    hs_timeline *tl = ctx;
    sep(tl);
    fputs("{\"ph\": \"C\", \"pid\": 1, \"name\": \"DRAM ", tl->f);
    json_text(tl->f, tl->hw->mems[mem].name);
    fprintf(tl->f, " GB/s\", \"ts\": %.3f, \"args\": {\"GB/s\": %.6g}}", t * 1e6, bps / 1e9);
}

int hs_timeline_close(hs_timeline *tl, bool ok, hs_err *err)
{
    int rc = 0;
    fputs("\n]}\n", tl->f);
    if (fclose(tl->f) != 0 && ok)
        rc = hs_errf(err, "%s: write failed: %s", tl->path, strerror(errno));
    if (ok && rc == 0 && rename(tl->tmp, tl->path) != 0)
        rc = hs_errf(err, "%s: cannot rename: %s", tl->path, strerror(errno));
    if (!ok || rc != 0)
        unlink(tl->tmp);
    free(tl->tmp);
    free(tl->path);
    free(tl);
    return rc;
}
