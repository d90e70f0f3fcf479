/* A kernel trace that engine scenario tests share: the run's kernel rows
 * (hs_kernel_row), recorded by the sink on_kernel into the static `tr`.
 * Define TRACE_ROWS (the rows kept; later rows are dropped) before
 * including.  Include after <cmocka.h>. */
#ifndef HS_TESTS_TRACE_TEST_H
#define HS_TESTS_TRACE_TEST_H

#include <stdint.h>
#include <stdio.h>

#include "sim/engine/engine.h"

#ifndef TRACE_ROWS
#define TRACE_ROWS 256
#endif

typedef struct trace {
    size_t n;
    struct {
        uint64_t work;
        char stage[32], slot[32];
        int pu;
        double start, end;
    } row[TRACE_ROWS];
} trace;

static trace tr;

static void on_kernel(void *ctx, const hs_kernel_row *row)
{
    (void)ctx;
    if (tr.n == TRACE_ROWS)
        return;
    tr.row[tr.n].work = row->work;
    snprintf(tr.row[tr.n].stage, sizeof tr.row[tr.n].stage, "%s", row->stage);
    snprintf(tr.row[tr.n].slot, sizeof tr.row[tr.n].slot, "%s", row->slot);
    tr.row[tr.n].pu = row->pu;
    tr.row[tr.n].start = row->start_s;
    tr.row[tr.n].end = row->end_s;
    tr.n++;
}

#endif
