/* Helpers shared by the workloads/ unit tests (header-only). */
#ifndef HS_TESTS_WL_TEST_H
#define HS_TESTS_WL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workloads/workloads.h"

/* A workload from YAML text; fails the test on an error. */
static inline hs_workload *wl_from_text(const char *yaml)
{
    hs_err err;
    hs_node *root = hs_conf_load_string(yaml, strlen(yaml), "<test>", &err);
    if (!root)
        fail_msg("%s", err.msg);
    hs_workload *wl = NULL;
    if (hs_workload_from_node(root, &wl, &err) < 0)
        fail_msg("%s", err.msg);
    hs_node_free(root);
    return wl;
}

/* The error a YAML text gives (the test fails if it loads). */
static inline void wl_text_error(const char *yaml, hs_err *err)
{
    hs_node *root = hs_conf_load_string(yaml, strlen(yaml), "<test>", err);
    if (!root)
        return;
    hs_workload *wl = NULL;
    int rc = hs_workload_from_node(root, &wl, err);
    hs_node_free(root);
    hs_workload_free(wl);
    if (rc == 0)
        fail_msg("expected an error from:\n%s", yaml);
}

static inline void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("'%s' does not contain '%s'", text, part);
}

/* A fresh temporary folder (removed by wl_rmdir). */
static inline char *wl_tmpdir(void)
{
    char *d = strdup("/tmp/hs-wl-test-XXXXXX");
    if (!d || !mkdtemp(d))
        fail_msg("mkdtemp failed");
    return d;
}

static inline void wl_write(const char *dir, const char *name, const char *text, char *path,
                            size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static inline void wl_rmdir(char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(dir);
}

/* Runs a request to its end, completing each ready stage's items as soon
 * as they are issued, stages in the order they became ready (or, with
 * lifo, the most recent first).  Returns the number of items. */
static inline long wl_drive(hs_request *r, bool lifo)
{
    uint32_t ready[4096];
    size_t n = 0;
    long items = 0;
    hs_req_event ev;
    hs_request_start(r);
    for (;;) {
        while (hs_request_poll(r, &ev))
            if (ev.type == HS_EV_READY) {
                assert_true(n < 4096);
                ready[n++] = ev.node;
            }
        if (n == 0)
            break;
        uint32_t id;
        if (lifo) {
            id = ready[--n];
        } else {
            id = ready[0];
            memmove(ready, ready + 1, --n * sizeof *ready);
        }
        hs_item it;
        while (hs_request_next_item(r, id, &it) == 1) {
            items++;
            if (hs_request_item_done(r, id) == 0)
                break;
        }
    }
    assert_true(hs_request_finished(r));
    return items;
}

/* The first arrival of class cls (by index) of a workload at seed. */
static inline hs_arrival wl_arrival_of(uint32_t cls, uint64_t seq)
{
    hs_arrival a = {.cls = cls, .seq = seq, .id = seq, .prompt_tokens = -1,
                    .output_tokens = -1};
    return a;
}

#endif
