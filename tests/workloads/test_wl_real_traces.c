/* The real traces beside the project ($HS_SHARED_DATA, normally
 * ../shared/data): every request is read, in time order.  Skipped (77)
 * when the folder is absent. */
#include "wl_test.h"

static const char *data;

typedef struct stats {
    long n;
    double last;
    double in_mean;
} stats;

static stats replay(const char *file, const char *opts)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "kind: llm\nmodel: llama-3.2-1b\n"
                                "arrival: {process: trace, path: %s/%s, %s}\n", data, file, opts);
    hs_workload *wl = wl_from_text(yaml);
    hs_err err;
    hs_gen *g = hs_gen_create(wl, 1, &err);
    assert_non_null(g);
    hs_arrival a;
    stats s = {0};
    double sum = 0;
    int rc;
    while ((rc = hs_gen_next(g, &a, &err)) == HS_GEN_READY) {
        assert_true(a.time >= s.last);
        s.last = a.time;
        sum += (double)a.prompt_tokens;
        s.n++;
    }
    if (rc < 0)
        fail_msg("%s", err.msg);
    s.in_mean = sum / (double)s.n;
    hs_gen_free(g);
    hs_workload_free(wl);
    return s;
}

/* research/hardware-and-traces.md §1.2 and data/README.md say 8,818
 * requests over 3,435.9 s: that is the number of inter-arrival gaps.  The
 * file holds 8,819 rows after its header (CRLF lines, no final newline),
 * whose mean context is 2,047.8 tokens. */
static void test_azure_code(void **state)
{
    (void)state;
    stats s = replay("AzureLLMInferenceTrace_code.csv", "format: azure-csv");
    assert_int_equal(s.n - 1, 8818);
    assert_true(fabs(s.last - 3435.948) < 0.001);
    assert_true(fabs(s.in_mean - 2047.8) < 0.1);
}

/* 12,031 requests over 3,537.0 s (integer milliseconds), mean input 12,035. */
static void test_mooncake_conversation(void **state)
{
    (void)state;
    stats s = replay("mooncake_conversation_trace.jsonl", "format: jsonl, time_unit: ms");
    assert_int_equal(s.n, 12031);
    assert_true(fabs(s.last - 3537.0) < 0.01);
    assert_true(fabs(s.in_mean - 12035) < 1);
}

/* 7,106 requests in two runs of the clock (3,800 + 3,306), read as one. */
static void test_ragpulse(void **state)
{
    (void)state;
    stats s = replay("ragpulse_trace.jsonl", "format: jsonl");
    assert_int_equal(s.n, 7106);
    assert_true(s.last > 604453 - 82);   /* the second run follows the first */
    stats lim = replay("ragpulse_trace.jsonl", "format: jsonl, limit: 3801");
    assert_int_equal(lim.n, 3801);
}

int main(void)
{
    data = getenv("HS_SHARED_DATA");
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/ragpulse_trace.jsonl", data ? data : "");
    if (!data || access(probe, R_OK) != 0) {
        fprintf(stderr, "skipped: no traces at $HS_SHARED_DATA\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_azure_code),
        cmocka_unit_test(test_mooncake_conversation),
        cmocka_unit_test(test_ragpulse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
