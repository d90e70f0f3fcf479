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

#include "experiments/cli/timeline.h"

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
    char title[256];
    snprintf(title, sizeof title, "hetsoc %s", hw->name);
    fputs("{\"ph\": \"M\", \"pid\": 1, \"name\": \"process_name\", \"args\": {\"name\": ", tl->f);
    hs_json_string(tl->f, title);
    fputs("}}", tl->f);
    for (size_t p = 0; p < hw->npus; p++) {
        sep(tl);
        fprintf(tl->f, "{\"ph\": \"M\", \"pid\": 1, \"tid\": %zu, \"name\": \"thread_name\", \"args\": {\"name\": ", p + 1);
        hs_json_string(tl->f, hw->pus[p].name);
        fputs("}}", tl->f);
    }
    return tl;
}

void hs_timeline_kernel(void *ctx, const hs_kernel_row *row)
{
    hs_timeline *tl = ctx;
    sep(tl);
    char name[160];
    if (row->request == UINT64_MAX)
        snprintf(name, sizeof name, "batch x%u %s", row->batch, row->stage);
    else
        snprintf(name, sizeof name, "r%llu %s", (unsigned long long)row->request, row->stage);
    fputs("{\"ph\": \"X\", \"pid\": 1, \"name\": ", tl->f);
    hs_json_string(tl->f, name);
    fputs(", \"cat\": ", tl->f);
    hs_json_string(tl->f, row->slot);
    fprintf(tl->f, ", \"tid\": %d, \"ts\": %.3f, \"dur\": %.3f, \"args\": {\"work\": %llu, "
                   "\"flops\": %.6g, \"bytes\": %.6g, \"ready_us\": %.3f, \"batch\": %u, \"part\": %s}}",
            row->pu + 1, row->start_s * 1e6, (row->end_s - row->start_s) * 1e6,
            (unsigned long long)row->work, row->flops, row->bytes, row->ready_s * 1e6, row->batch,
            row->part ? "true" : "false");
}

void hs_timeline_bandwidth(void *ctx, double t, int mem, double bps)
{
    hs_timeline *tl = ctx;
    sep(tl);
    char name[128];
    snprintf(name, sizeof name, "DRAM %s GB/s", tl->hw->mems[mem].name);
    fputs("{\"ph\": \"C\", \"pid\": 1, \"name\": ", tl->f);
    hs_json_string(tl->f, name);
    fprintf(tl->f, ", \"ts\": %.3f, \"args\": {\"GB/s\": %.6g}}", t * 1e6, bps / 1e9);
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
