/* Trace replay on small traces written here in the real formats: Azure
 * CSV, Mooncake JSON lines (integer milliseconds), RAGPulse JSON lines
 * (seconds as strings, a clock restart, a trailing blank line); the
 * time_scale / start / limit options; malformed lines; rows with 0 tokens
 * refused at their column, not raised to 1. */
#include "wl_test.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = wl_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wl_rmdir(dir);
    return 0;
}

static const char *azure =
    "TIMESTAMP,ContextTokens,GeneratedTokens\n"
    "2023-11-16 18:17:03.9799600,4808,10\n"
    "2023-11-16 18:17:04.0319600,3180,8\n"
    "2023-11-16 18:17:05.0319600,100,1\n"
    "2023-11-16 23:59:59.5000000,7,3\r\n"
    "2023-11-17 00:00:00.5000000,8,4\n";

static const char *mooncake =
    "{\"timestamp\": 0, \"input_length\": 6758, \"output_length\": 500, \"hash_ids\": [0, 1, 2]}\n"
    "{\"timestamp\": 0, \"input_length\": 7322, \"output_length\": 490, \"hash_ids\": [0, 14]}\n"
    "{\"timestamp\": 1500, \"input_length\": 12, \"output_length\": 34, \"hash_ids\": []}\n"
    "{\"timestamp\": 3000, \"input_length\": 56, \"output_length\": 78, \"hash_ids\": [9]}\n";

static const char *ragpulse =
    "{\"timestamp\": \"82\", \"input_length\": 3112, \"output_length\": 192, \"hash_ids\": "
    "{\"sys_prompt\": [8302, 14332], \"passages_ids\": [7398], \"history\": [15200], "
    "\"web_search\": [], \"user_input\": [26923]}, \"session_id\": \"17574-a\\\"b\"}\n"
    "{\"timestamp\": \"93\", \"input_length\": 3167, \"output_length\": 86, \"hash_ids\": "
    "{\"sys_prompt\": [], \"passages_ids\": [], \"history\": [], \"web_search\": [], "
    "\"user_input\": [1]}, \"session_id\": \"x\"}\n"
    "{\"timestamp\": \"0\", \"input_length\": 2926, \"output_length\": 154, \"hash_ids\": {}, "
    "\"session_id\": \"y\"}\n"
    "{\"timestamp\": \"27\", \"input_length\": 3861, \"output_length\": 127, \"hash_ids\": {}, "
    "\"session_id\": \"z\"}\n"
    "\n";

/* A `kind: llm` workload replaying file name (written from text). */
static hs_workload *trace_wl(const char *name, const char *text, const char *opts)
{
    char path[512], yaml[1024];
    wl_write(dir, name, text, path, sizeof path);
    snprintf(yaml, sizeof yaml,
             "kind: llm\nmodel: llama-3.2-1b\narrival: {process: trace, path: %s, %s}\n", path,
             opts);
    return wl_from_text(yaml);
}

typedef struct rec {
    double t;
    int64_t in, out;
} rec;

static int replay(hs_workload *wl, rec *out, int cap)
{
    hs_err err;
    hs_gen *g = hs_gen_create(wl, 1, &err);
    assert_non_null(g);
    hs_arrival a;
    int n = 0, rc;
    while ((rc = hs_gen_next(g, &a, &err)) == HS_GEN_READY) {
        assert_true(n < cap);
        out[n++] = (rec){a.time, a.prompt_tokens, a.output_tokens};
    }
    assert_int_equal(rc, HS_GEN_END);
    hs_gen_free(g);
    return n;
}

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-6)
        fail_msg("time %.9f, want %.9f", got, want);
}

static void test_azure_csv(void **state)
{
    (void)state;
    hs_workload *wl = trace_wl("azure.csv", azure, "format: azure-csv");
    rec r[8];
    assert_int_equal(replay(wl, r, 8), 5);
    near(r[0].t, 0);
    near(r[1].t, 0.052);
    near(r[2].t, 1.052);
    near(r[3].t, 5 * 3600 + 42 * 60 + 55.52004);   /* 18:17:03.97996 -> 23:59:59.5 */
    near(r[4].t, r[3].t + 1);                       /* across midnight */
    assert_int_equal(r[0].in, 4808);
    assert_int_equal(r[0].out, 10);
    assert_int_equal(r[2].out, 1);
    /* The trace's counts become the LLM call's lengths. */
    hs_err err;
    hs_gen *g = hs_gen_create(wl, 1, &err);
    hs_arrival a;
    for (int i = 0; i < 3; i++)
        hs_gen_next(g, &a, &err);
    hs_request *q = hs_request_create(wl, &a, 1, &err);
    hs_request_start(q);
    assert_int_equal(hs_request_node(q, 0)->prompt, 100);
    assert_int_equal(hs_request_node(q, 0)->output, 1);
    hs_request_free(q);
    hs_gen_free(g);
    hs_workload_free(wl);
}

static void test_mooncake_jsonl(void **state)
{
    (void)state;
    hs_workload *wl = trace_wl("mooncake.jsonl", mooncake, "format: jsonl, time_unit: ms");
    rec r[8];
    assert_int_equal(replay(wl, r, 8), 4);
    near(r[1].t, 0);
    near(r[2].t, 1.5);
    near(r[3].t, 3.0);
    assert_int_equal(r[1].in, 7322);
    assert_int_equal(r[3].out, 78);
    hs_workload_free(wl);
}

/* The clock restart continues from the previous record's time. */
static void test_ragpulse_jsonl(void **state)
{
    (void)state;
    hs_workload *wl = trace_wl("ragpulse.jsonl", ragpulse, "format: jsonl");
    rec r[8];
    assert_int_equal(replay(wl, r, 8), 4);
    near(r[0].t, 0);
    near(r[1].t, 11);
    near(r[2].t, 11);    /* "0" after "93": appended at 93 */
    near(r[3].t, 38);    /* 93 + 27 - 82 */
    assert_int_equal(r[2].in, 2926);
    hs_workload_free(wl);
}

static void test_scale_start_limit(void **state)
{
    (void)state;
    rec r[8];
    hs_workload *wl = trace_wl("m2.jsonl", mooncake, "format: jsonl, time_unit: ms, "
                               "time_scale: 2");
    assert_int_equal(replay(wl, r, 8), 4);
    near(r[2].t, 3.0);
    near(r[3].t, 6.0);
    hs_workload_free(wl);
    wl = trace_wl("m3.jsonl", mooncake, "format: jsonl, time_unit: ms, start: 1, limit: 1");
    assert_int_equal(replay(wl, r, 8), 1);
    near(r[0].t, 0.5);   /* the record at 1.5 s, replayed from 1 s */
    assert_int_equal(r[0].in, 12);
    hs_workload_free(wl);
    wl = trace_wl("a2.csv", azure, "format: azure-csv, limit: 2, time_scale: 0.5");
    assert_int_equal(replay(wl, r, 8), 2);
    near(r[1].t, 0.026);
    hs_workload_free(wl);
}

/* "PATH:LINE: error: ..." (or "PATH:LINE:COL: error: ..." when col > 0) at
 * workload load time. */
static void bad_trace(const char *name, const char *text, const char *fmt, int line, int col,
                      const char *what)
{
    char path[512], yaml[1024], want[600];
    hs_err err;
    wl_write(dir, name, text, path, sizeof path);
    snprintf(yaml, sizeof yaml, "kind: llm\nmodel: llama-3.2-1b\n"
                                "arrival: {process: trace, path: %s, format: %s}\n", path, fmt);
    wl_text_error(yaml, &err);
    if (col > 0)
        snprintf(want, sizeof want, "%s:%d:%d: error: ", path, line, col);
    else
        snprintf(want, sizeof want, "%s:%d: error: ", path, line);
    if (strncmp(err.msg, want, strlen(want)) != 0)
        fail_msg("'%s' does not start with '%s'", err.msg, want);
    assert_contains(err.msg, what);
}

static void test_malformed_lines(void **state)
{
    (void)state;
    bad_trace("b1.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9,1,2\n"
              "2023-11-16 18:17:04.9,abc,3\n", "azure-csv", 3, 23, "ContextTokens");
    bad_trace("b2.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9,5\n",
              "azure-csv", 2, 0, "3 comma-separated fields");
    bad_trace("b3.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-13-16 18:17:03.9,5,6\n",
              "azure-csv", 2, 0, "TIMESTAMP");
    bad_trace("b4.jsonl", "{\"timestamp\": 1, \"input_length\": 2, \"output_length\": 3}\n"
              "{\"timestamp\": 2, \"input_length\": 2}\n", "jsonl", 2, 0, "missing \"output_length\"");
    bad_trace("b5.jsonl", "\n\n{\"timestamp\": 1, \"input_length\": 2, \"output_length\": 3\n",
              "jsonl", 3, 0, "expected ',' or '}'");
    bad_trace("b6.jsonl", "{\"timestamp\": \"soon\", \"input_length\": 2, \"output_length\": 3}\n",
              "jsonl", 1, 0, "\"timestamp\" is not a number");
    bad_trace("b7.jsonl", "{\"timestamp\": 1, \"input_length\": -2, \"output_length\": 3}\n",
              "jsonl", 1, 34, "input_length");
    bad_trace("b8.jsonl", "[1, 2, 3]\n", "jsonl", 1, 0, "expected a JSON object");
    /* 0 tokens: refused where the count stands, not replayed as 1 token. */
    bad_trace("z1.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:04.9,7,0\n",
              "azure-csv", 2, 25, "GeneratedTokens is 0");
    bad_trace("z2.jsonl", "{\"timestamp\": \"5\", \"input_length\": \"0\", \"output_length\": 3}\n",
              "jsonl", 1, 37, "\"input_length\" is 0");
    hs_err err;
    wl_text_error("kind: llm\nmodel: llama-3.2-1b\narrival: {process: trace, "
                  "path: /nonexistent/t.csv, format: azure-csv}\n", &err);
    assert_contains(err.msg, "cannot open trace");
    wl_text_error("kind: llm\nmodel: llama-3.2-1b\narrival: {process: trace, "
                  "path: x.csv, format: csv}\n", &err);
    assert_contains(err.msg, "azure-csv, jsonl");
    /* A workflow without prompt/output params cannot take token counts. */
    char path[512], yaml[1024];
    wl_write(dir, "ok.jsonl", mooncake, path, sizeof path);
    snprintf(yaml, sizeof yaml, "classes:\n - name: c\n   workflow: hedrarag-sequential\n"
                                "   arrival: {process: trace, path: %s, format: jsonl}\n", path);
    wl_text_error(yaml, &err);
    assert_contains(err.msg, "'prompt'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_azure_csv),
        cmocka_unit_test(test_mooncake_jsonl),
        cmocka_unit_test(test_ragpulse_jsonl),
        cmocka_unit_test(test_scale_start_limit),
        cmocka_unit_test(test_malformed_lines),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
