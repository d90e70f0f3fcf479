/* Speculative stages with rollback (HedraRAG §4.2.2; hs_request_speculate):
 * a PENDING stage starts early, never completes before its inputs, and at
 * their completion either stands (DONE, successors move on) or restarts
 * from item 0 with the same items; the outcome follows spec_accuracy, is
 * the same for the same seed, and speculation never changes the DAG. */
#include "wl_test.h"

/* A one-class workload around an inline template. */
static hs_workload *inline_wl(const char *gran, const char *params, const char *stages,
                              const char *edges)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "granularity: %s\nrequests: 1000000\nclasses:\n - name: c\n"
             "   arrival: {process: poisson, rate: 1}\n"
             "   workflow:\n     name: t\n     params: {%s}\n     stages:\n%s     edges:\n%s",
             gran, params, stages, edges);
    return wl_from_text(yaml);
}

static hs_request *request(const hs_workload *wl, uint64_t seq, uint64_t seed)
{
    hs_err err;
    hs_arrival a = wl_arrival_of(0, seq);
    hs_request *r = hs_request_create(wl, &a, seed, &err);
    if (!r)
        fail_msg("%s", err.msg);
    return r;
}

/* retrieve -> gen (an LLM call) -> post; gen's accuracy as given. */
static hs_workload *chain_wl(const char *acc, const char *gen_extra, const char *post_extra,
                             const char *edge_extra)
{
    char stages[1024], edges[512];
    snprintf(stages, sizeof stages,
             "      - {name: retrieve, kind: compute, flops: 1e9}\n"
             "      - {name: gen, kind: llm, model: llama-3.2-1b, prompt: 16, output: 4,"
             " spec_accuracy: %s%s}\n"
             "      - {name: post, kind: compute, flops: 1%s}\n",
             acc, gen_extra, post_extra);
    snprintf(edges, sizeof edges,
             "      - {from: retrieve, to: gen}\n"
             "      - {from: gen, to: post%s}\n",
             edge_extra);
    return inline_wl("layer", "", stages, edges);
}

static uint32_t find(const hs_request *r, const char *name)
{
    for (uint32_t i = 0; i < hs_request_nvisible(r); i++)
        if (strcmp(hs_request_node(r, i)->name, name) == 0)
            return i;
    fail_msg("no visible stage '%s'", name);
    return UINT32_MAX;
}

static bool visible_named(const hs_request *r, const char *name)
{
    for (uint32_t i = 0; i < hs_request_nvisible(r); i++)
        if (strcmp(hs_request_node(r, i)->name, name) == 0)
            return true;
    return false;
}

/* The queued events, as "TYPE:stage" words ("R", "Y", "F", "D", "X",
 * "S+" / "S-") separated by spaces, the stage by name. */
static void events(hs_request *r, char *buf, size_t size)
{
    static const char *const tag[] = {"R", "Y", "F", "D", "X", "S"};
    hs_req_event ev;
    size_t n = 0;
    buf[0] = 0;
    while (hs_request_poll(r, &ev)) {
        const hs_stage_info *s = hs_request_node(r, ev.node);
        if (ev.type != HS_EV_SPEC_RESOLVED)
            assert_false(ev.held);
        n += (size_t)snprintf(buf + n, size - n, "%s%s%s:%s", n ? " " : "", tag[ev.type],
                              ev.type == HS_EV_SPEC_RESOLVED ? (ev.held ? "+" : "-") : "",
                              ev.type == HS_EV_FINISHED ? "" : s->name);
        assert_true(n < size);
    }
}

static void expect_events(hs_request *r, const char *want)
{
    char got[2048];
    events(r, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("events '%s', expected '%s'", got, want);
}

/* Issues and completes k items of stage id (all if k < 0); returns the
 * last item_done code. */
static int run_items(hs_request *r, uint32_t id, long k)
{
    hs_item it;
    int rc = -2;
    for (long i = 0; k < 0 || i < k; i++) {
        if (hs_request_next_item(r, id, &it) != 1)
            break;
        rc = hs_request_item_done(r, id);
        assert_true(rc >= 0);
        if (rc == 0)
            break;
    }
    return rc;
}

static void test_speculate_ready(void **state)
{
    (void)state;
    hs_workload *wl = chain_wl("1", "", "", "");
    hs_request *r = request(wl, 0, 7);
    hs_request_start(r);
    expect_events(r, "R:retrieve R:gen R:post Y:retrieve");
    uint32_t gen = find(r, "gen");
    const hs_stage_info *g = hs_request_node(r, gen);
    assert_int_equal(g->state, HS_NODE_PENDING);
    assert_false(g->speculative);
    assert_true(g->spec_accuracy == 1.0);
    hs_item it;
    assert_int_equal(hs_request_next_item(r, gen, &it), -1);   /* not ready yet */
    assert_int_equal(hs_request_speculate(r, gen), 0);
    expect_events(r, "Y:gen");
    assert_int_equal(g->state, HS_NODE_READY);
    assert_true(g->speculative);
    assert_int_equal(hs_request_next_item(r, gen, &it), 1);
    assert_int_equal(it.phase, HS_PHASE_PREFILL);
    assert_int_equal(it.layer, 0);
    assert_int_equal(hs_request_next_item(r, gen, &it), 0);   /* one outstanding */
    assert_int_equal(hs_request_item_done(r, gen), 1);
    assert_int_equal(g->items_done, 1);
    hs_request_free(r);
    hs_workload_free(wl);
}

/* Held, the stage having finished all its items first: it waits (no DONE,
 * successors untouched), then completes at its inputs' completion and its
 * successors are revealed and run. */
static void test_held_after_finishing(void **state)
{
    (void)state;
    /* post is a fan-out item of gen: revealed only when gen completes. */
    hs_workload *wl = chain_wl("1", ", emits: 1", ", foreach: gen", "");
    hs_request *r = request(wl, 0, 7);
    hs_request_start(r);
    expect_events(r, "R:retrieve R:gen Y:retrieve");
    uint32_t gen = find(r, "gen"), ret = find(r, "retrieve");
    assert_int_equal(hs_request_speculate(r, gen), 0);
    expect_events(r, "Y:gen");
    const hs_stage_info *g = hs_request_node(r, gen);
    assert_int_equal(run_items(r, gen, -1), 0);   /* all done: "no more items" */
    expect_events(r, "");                          /* but no DONE: it waits */
    assert_int_equal(g->state, HS_NODE_READY);
    assert_true(g->speculative);
    assert_int_equal(g->tokens_out, 4);
    assert_int_equal(g->items_done, 4 * 17);      /* 16 layers + head, 4 passes */
    assert_false(visible_named(r, "post"));
    hs_item it;
    assert_int_equal(hs_request_next_item(r, gen, &it), 0);
    assert_int_equal(hs_request_item_done(r, gen), -1);
    /* The inputs complete: resolved, held; DONE as a normal completion. */
    assert_int_equal(run_items(r, ret, -1), 0);
    expect_events(r, "D:retrieve S+:gen D:gen R:post Y:post");
    assert_int_equal(g->state, HS_NODE_DONE);
    assert_false(g->speculative);
    assert_int_equal(g->rollbacks, 0);
    assert_int_equal(g->items_done, 4 * 17);
    assert_int_equal(run_items(r, find(r, "post"), -1), 0);
    expect_events(r, "D:post X:");
    assert_true(hs_request_finished(r));
    hs_request_free(r);
    hs_workload_free(wl);
}

/* Held while still running: it goes on as a normal stage; its streaming
 * edges, held back while unresolved, are released at the resolution. */
static void test_held_while_running(void **state)
{
    (void)state;
    hs_workload *wl = chain_wl("1", "", "", ", stream: 2");
    hs_request *r = request(wl, 0, 7);
    hs_request_start(r);
    events(r, (char[256]){0}, 256);
    uint32_t gen = find(r, "gen"), ret = find(r, "retrieve"), post = find(r, "post");
    assert_int_equal(hs_request_speculate(r, gen), 0);
    expect_events(r, "Y:gen");
    assert_int_equal(run_items(r, gen, 3 * 17), 1);   /* 3 tokens: past the stream group */
    assert_int_equal(hs_request_node(r, gen)->tokens_out, 3);
    expect_events(r, "");                              /* post not released */
    assert_int_equal(hs_request_node(r, post)->state, HS_NODE_PENDING);
    assert_int_equal(run_items(r, ret, -1), 0);
    expect_events(r, "D:retrieve S+:gen Y:post");
    assert_false(hs_request_node(r, gen)->speculative);
    assert_int_equal(hs_request_node(r, gen)->state, HS_NODE_READY);
    assert_int_equal(run_items(r, gen, -1), 0);
    expect_events(r, "D:gen");
    assert_int_equal(run_items(r, post, -1), 0);
    expect_events(r, "D:post X:");
    hs_request_free(r);
    hs_workload_free(wl);
}

typedef struct item_rec {
    hs_phase phase;
    hs_slot slot;
    int32_t layer, emits;
    int64_t tokens, context;
    double flops, bytes;
} item_rec;

static item_rec rec_of(const hs_item *it)
{
    return (item_rec){it->phase, it->slot, it->layer, it->emits, it->tokens, it->context,
                      it->k.flops, it->k.bytes};
}

static void assert_rec_equal(item_rec a, item_rec b)
{
    assert_int_equal(a.phase, b.phase);
    assert_int_equal(a.slot, b.slot);
    assert_int_equal(a.layer, b.layer);
    assert_int_equal(a.emits, b.emits);
    assert_int_equal(a.tokens, b.tokens);
    assert_int_equal(a.context, b.context);
    assert_true(a.flops == b.flops);
    assert_true(a.bytes == b.bytes);
}

/* Not held, an item outstanding: progress is reset, the outstanding item
 * is forgotten (a late completion is refused), and the stage restarts from
 * item 0 with the very same items. */
static void test_rollback_restarts(void **state)
{
    (void)state;
    hs_workload *wl = chain_wl("0", "", "", "");
    hs_request *r = request(wl, 0, 7);
    hs_request_start(r);
    events(r, (char[256]){0}, 256);
    uint32_t gen = find(r, "gen"), ret = find(r, "retrieve");
    const hs_stage_info *g = hs_request_node(r, gen);
    assert_true(g->spec_accuracy == 0.0);
    assert_int_equal(hs_request_speculate(r, gen), 0);
    expect_events(r, "Y:gen");
    enum { K = 20 };   /* past the prefill (17 items): one token out */
    item_rec first[K + 1];
    hs_item it;
    for (int i = 0; i < K; i++) {
        assert_int_equal(hs_request_next_item(r, gen, &it), 1);
        first[i] = rec_of(&it);
        assert_int_equal(hs_request_item_done(r, gen), 1);
    }
    assert_int_equal(hs_request_next_item(r, gen, &it), 1);   /* item K outstanding */
    first[K] = rec_of(&it);
    assert_int_equal(g->items_done, K);
    assert_int_equal(g->tokens_out, 1);
    expect_events(r, "");   /* gen is not the answer (post follows): no first token anyway */
    assert_int_equal(run_items(r, ret, -1), 0);
    expect_events(r, "D:retrieve S-:gen Y:gen");
    assert_int_equal(g->state, HS_NODE_READY);
    assert_false(g->speculative);
    assert_int_equal(g->items_done, 0);
    assert_int_equal(g->tokens_out, 0);
    assert_int_equal(g->rollbacks, 1);
    /* The stale item: refused, nothing changes. */
    assert_int_equal(hs_request_item_done(r, gen), -1);
    assert_int_equal(g->items_done, 0);
    /* A rolled-back stage is not PENDING: it cannot be speculated again. */
    assert_int_equal(hs_request_speculate(r, gen), -1);
    for (int i = 0; i <= K; i++) {
        assert_int_equal(hs_request_next_item(r, gen, &it), 1);
        assert_rec_equal(rec_of(&it), first[i]);
        assert_int_equal(hs_request_item_done(r, gen), 1);
    }
    assert_int_equal(g->items_done, K + 1);
    assert_int_equal(run_items(r, gen, -1), 0);
    assert_int_equal(g->items_done, 4 * 17);
    assert_int_equal(g->tokens_out, 4);
    expect_events(r, "D:gen Y:post");
    assert_int_equal(run_items(r, find(r, "post"), -1), 0);
    expect_events(r, "D:post X:");
    hs_request_free(r);
    hs_workload_free(wl);
}

/* Not held after finishing early: it waited, then restarts. */
static void test_rollback_after_finishing(void **state)
{
    (void)state;
    hs_workload *wl = chain_wl("0", "", "", "");
    hs_request *r = request(wl, 0, 7);
    hs_request_start(r);
    events(r, (char[256]){0}, 256);
    uint32_t gen = find(r, "gen"), ret = find(r, "retrieve"), post = find(r, "post");
    assert_int_equal(hs_request_speculate(r, gen), 0);
    expect_events(r, "Y:gen");
    assert_int_equal(run_items(r, gen, -1), 0);
    expect_events(r, "");
    assert_int_equal(hs_request_node(r, post)->state, HS_NODE_PENDING);
    assert_int_equal(run_items(r, ret, -1), 0);
    expect_events(r, "D:retrieve S-:gen Y:gen");
    assert_int_equal(hs_request_node(r, gen)->items_done, 0);
    assert_int_equal(hs_request_node(r, post)->state, HS_NODE_PENDING);
    assert_int_equal(run_items(r, gen, -1), 0);
    expect_events(r, "D:gen Y:post");
    hs_request_free(r);
    hs_workload_free(wl);
}

/* A speculative answer's first token counts only once it holds. */
static void test_first_token(void **state)
{
    (void)state;
    const char *stages1 = "      - {name: retrieve, kind: compute, flops: 1e9}\n"
                          "      - {name: gen, kind: llm, model: llama-3.2-1b, prompt: 16,"
                          " output: 4, spec_accuracy: 1}\n";
    const char *stages0 = "      - {name: retrieve, kind: compute, flops: 1e9}\n"
                          "      - {name: gen, kind: llm, model: llama-3.2-1b, prompt: 16,"
                          " output: 4, spec_accuracy: 0}\n";
    const char *edges = "      - {from: retrieve, to: gen}\n";
    for (int held = 0; held < 2; held++) {
        hs_workload *wl = inline_wl("layer", "", held ? stages1 : stages0, edges);
        hs_request *r = request(wl, 0, 3);
        hs_request_start(r);
        events(r, (char[256]){0}, 256);
        uint32_t gen = find(r, "gen"), ret = find(r, "retrieve");
        assert_true(hs_request_node(r, gen)->answer);
        assert_int_equal(hs_request_speculate(r, gen), 0);
        expect_events(r, "Y:gen");
        assert_int_equal(run_items(r, gen, 17), 1);   /* the prefill: token 1 */
        assert_int_equal(hs_request_node(r, gen)->tokens_out, 1);
        expect_events(r, "");                          /* no FIRST_TOKEN yet */
        assert_int_equal(run_items(r, ret, -1), 0);
        if (held) {
            expect_events(r, "D:retrieve S+:gen F:gen");
            assert_int_equal(run_items(r, gen, -1), 0);
            expect_events(r, "D:gen X:");
        } else {
            expect_events(r, "D:retrieve S-:gen Y:gen");
            assert_int_equal(run_items(r, gen, 16), 1);
            expect_events(r, "");
            assert_int_equal(run_items(r, gen, 1), 1);   /* the new prefill's token */
            expect_events(r, "F:gen");
            assert_int_equal(run_items(r, gen, -1), 0);
            expect_events(r, "D:gen X:");
        }
        hs_request_free(r);
        hs_workload_free(wl);
    }
}

/* |observed - expected| within 4.5 standard deviations of a binomial. */
static void assert_binomial(int hits, int n, double p)
{
    double sd = sqrt(n * p * (1 - p));
    if (fabs(hits - n * p) > 4.5 * sd + 1e-9)
        fail_msg("%d of %d, expected %.1f +- %.1f", hits, n, n * p, 4.5 * sd);
}

/* Speculates gen and completes retrieve: was it held? */
static bool held_once(hs_request *r, const char *stage)
{
    hs_request_start(r);
    events(r, (char[256]){0}, 256);
    assert_int_equal(hs_request_speculate(r, find(r, stage)), 0);
    assert_int_equal(run_items(r, find(r, "retrieve"), -1), 0);
    hs_req_event ev;
    while (hs_request_poll(r, &ev))
        if (ev.type == HS_EV_SPEC_RESOLVED)
            return ev.held;
    fail_msg("no SPEC_RESOLVED");
    return false;
}

enum { N = 4000 };

static void test_frequency(void **state)
{
    (void)state;
    const double ps[] = {0.3, 0.52, 0.9};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        /* Given through a param and an expression: "$p". */
        char params[64];
        snprintf(params, sizeof params, "p: %g", ps[k]);
        hs_workload *wl = inline_wl("stage", params,
                                    "      - {name: retrieve, kind: compute, flops: 1e9}\n"
                                    "      - {name: gen, kind: llm, model: llama-3.2-1b,"
                                    " prompt: 16, output: 4, spec_accuracy: $p}\n",
                                    "      - {from: retrieve, to: gen}\n");
        int held = 0;
        for (uint64_t i = 0; i < N; i++) {
            hs_request *r = request(wl, i, 2025);
            held += held_once(r, "gen");
            hs_request_free(r);
        }
        assert_binomial(held, N, ps[k]);
        hs_workload_free(wl);
    }
}

/* Two stages after one retrieval, both speculable. */
static hs_workload *fork_wl(void)
{
    return inline_wl("stage", "",
                     "      - {name: retrieve, kind: compute, flops: 1e9}\n"
                     "      - {name: g1, kind: compute, flops: 1, spec_accuracy: 0.5}\n"
                     "      - {name: g2, kind: compute, flops: 1, spec_accuracy: 0.5}\n",
                     "      - {from: retrieve, to: g1}\n"
                     "      - {from: retrieve, to: g2}\n");
}

/* The outcomes of g1 (and g2 when speculated) for requests 0..n-1. */
static void outcomes(const hs_workload *wl, uint64_t seed, bool also_g2, bool *g1, bool *g2,
                     int n)
{
    for (int i = 0; i < n; i++) {
        hs_request *r = request(wl, (uint64_t)i, seed);
        hs_request_start(r);
        events(r, (char[256]){0}, 256);
        if (also_g2)
            assert_int_equal(hs_request_speculate(r, find(r, "g2")), 0);
        assert_int_equal(hs_request_speculate(r, find(r, "g1")), 0);
        assert_int_equal(run_items(r, find(r, "retrieve"), -1), 0);
        hs_req_event ev;
        while (hs_request_poll(r, &ev))
            if (ev.type == HS_EV_SPEC_RESOLVED) {
                if (strcmp(hs_request_node(r, ev.node)->name, "g1") == 0)
                    g1[i] = ev.held;
                else
                    g2[i] = ev.held;
            }
        hs_request_free(r);
    }
}

static void test_determinism(void **state)
{
    (void)state;
    enum { M = 200 };
    hs_workload *wl = fork_wl();
    bool a1[M], a2[M], b1[M], b2[M], c1[M], c2[M], d1[M], d2[M];
    outcomes(wl, 11, true, a1, a2, M);
    outcomes(wl, 11, true, b1, b2, M);
    assert_memory_equal(a1, b1, sizeof a1);   /* same seed, same outcomes */
    assert_memory_equal(a2, b2, sizeof a2);
    /* g1's outcome does not depend on whether g2 was speculated too. */
    outcomes(wl, 11, false, c1, c2, M);
    assert_memory_equal(a1, c1, sizeof a1);
    /* The two stages draw separately, and another seed draws otherwise. */
    assert_memory_not_equal(a1, a2, sizeof a1);
    outcomes(wl, 12, true, d1, d2, M);
    assert_memory_not_equal(a1, d1, sizeof a1);
    hs_workload_free(wl);
}

/* ---- The DAG is the same with and without speculation. ------------------ */

typedef struct out_item {
    uint32_t stage;
    int32_t epoch;   /* the stage's rollbacks when issued */
} out_item;

typedef struct run_stats {
    int speculated, held, rolled, stale, first_tokens;
} run_stats;

/* Drives a request like an engine: items stay outstanding and complete in
 * a pseudo-random order (several stages at once); with spec, every stage is
 * speculated as soon as it is revealed PENDING; stale work (issued before a
 * rollback) is dropped, never reported. */
static void drive(hs_request *r, bool spec, uint64_t lcg, run_stats *st)
{
    out_item out[4096];
    size_t n = 0;
    hs_req_event ev;
    hs_item it;
    memset(st, 0, sizeof *st);
    hs_request_start(r);
    for (;;) {
        while (hs_request_poll(r, &ev)) {
            const hs_stage_info *s = hs_request_node(r, ev.node);
            switch (ev.type) {
            case HS_EV_REVEALED:
                if (spec && s->state == HS_NODE_PENDING) {
                    assert_int_equal(hs_request_speculate(r, ev.node), 0);
                    st->speculated++;
                }
                break;
            case HS_EV_READY:
                if (hs_request_next_item(r, ev.node, &it) == 1) {
                    assert_true(n < 4096);
                    out[n++] = (out_item){ev.node, s->rollbacks};
                }
                break;
            case HS_EV_SPEC_RESOLVED:
                st->held += ev.held;
                st->rolled += !ev.held;
                break;
            case HS_EV_FIRST_TOKEN:
                st->first_tokens++;
                break;
            default:
                break;
            }
        }
        if (n == 0)
            break;
        lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
        size_t k = (size_t)((lcg >> 33) % n);
        out_item o = out[k];
        out[k] = out[--n];
        if (o.epoch != hs_request_node(r, o.stage)->rollbacks) {
            st->stale++;   /* thrown away */
            continue;
        }
        int rc = hs_request_item_done(r, o.stage);
        assert_true(rc >= 0);
        if (rc == 1 && hs_request_next_item(r, o.stage, &it) == 1)
            out[n++] = (out_item){o.stage, hs_request_node(r, o.stage)->rollbacks};
    }
    assert_true(hs_request_finished(r));
}

typedef struct stage_rec {
    char name[32];
    int32_t iteration, item;
    int64_t context, prompt, output, batch, seq, tokens_out, items_done;
    hs_node_state state;
} stage_rec;

static int by_identity(const void *a, const void *b)
{
    const stage_rec *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    if (x->iteration != y->iteration)
        return x->iteration < y->iteration ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

/* The revealed stages, in a canonical order (completion order, and so
 * reveal order, depends on the timing). */
static size_t stages_of(const hs_request *r, stage_rec *recs, size_t cap)
{
    size_t n = hs_request_nvisible(r);
    assert_true(n <= cap);
    for (uint32_t i = 0; i < n; i++) {
        const hs_stage_info *s = hs_request_node(r, i);
        stage_rec *x = &recs[i];
        memset(x, 0, sizeof *x);
        snprintf(x->name, sizeof x->name, "%s", s->name);
        x->iteration = s->iteration, x->item = s->item;
        x->context = s->context, x->prompt = s->prompt, x->output = s->output;
        x->batch = s->batch, x->seq = s->seq;
        x->tokens_out = s->tokens_out, x->items_done = s->items_done;
        x->state = s->state;
    }
    qsort(recs, n, sizeof *recs, by_identity);
    return n;
}

static void check_same_dag(const char *workflow, int requests, int *rolled_total)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "granularity: stage\nrequests: 1000000\nclasses:\n - name: c\n"
             "   workflow: %s\n   arrival: {process: poisson, rate: 1}\n",
             workflow);
    hs_workload *wl = wl_from_text(yaml);
    stage_rec a[512], b[512];
    for (int i = 0; i < requests; i++) {
        run_stats sa, sb;
        hs_request *r = request(wl, (uint64_t)i, 99);
        drive(r, false, (uint64_t)i, &sa);
        size_t na = stages_of(r, a, 512);
        hs_request_free(r);
        r = request(wl, (uint64_t)i, 99);
        drive(r, true, (uint64_t)i * 7 + 1, &sb);
        size_t nb = stages_of(r, b, 512);
        hs_request_free(r);
        assert_int_equal(na, nb);
        for (size_t k = 0; k < na; k++) {
            if (memcmp(&a[k], &b[k], sizeof a[k]) != 0)
                fail_msg("%s request %d: stage %s (iteration %d, item %d) differs", workflow, i,
                         a[k].name, a[k].iteration, a[k].item);
            assert_int_equal(a[k].state, HS_NODE_DONE);
        }
        assert_int_equal(sa.speculated, 0);
        assert_true(sb.speculated > 0);
        assert_int_equal(sb.held + sb.rolled, sb.speculated);   /* each resolved once */
        assert_int_equal(sa.first_tokens, sb.first_tokens);     /* once, or never */
        assert_true(sb.first_tokens <= 1);
        *rolled_total += sb.rolled;
    }
    hs_workload_free(wl);
}

static void test_dag_unchanged(void **state)
{
    (void)state;
    /* Loops with a random round count, fan-out with streaming edges and
     * conditional edges, and a plain chain. */
    const char *flows[] = {"hedrarag-multistep", "hedrarag-irg", "hero-docqa",
                           "hero-researcher", "hedrarag-recomp"};
    int rolled = 0;
    for (size_t k = 0; k < sizeof flows / sizeof flows[0]; k++)
        check_same_dag(flows[k], 40, &rolled);
    assert_true(rolled > 0);   /* rollbacks happened, and changed no draw */
}

/* ---- Misuse and the template key. -------------------------------------- */

static void test_misuse(void **state)
{
    (void)state;
    hs_workload *wl = chain_wl("0.5", "", "", "");
    hs_request *r = request(wl, 0, 7);
    assert_int_equal(hs_request_speculate(NULL, 0), -1);
    assert_int_equal(hs_request_speculate(r, 0), -1);   /* nothing revealed yet */
    hs_request_start(r);
    events(r, (char[256]){0}, 256);
    uint32_t ret = find(r, "retrieve"), gen = find(r, "gen");
    assert_int_equal(hs_request_speculate(r, hs_request_nvisible(r)), -1);   /* bad id */
    assert_int_equal(hs_request_speculate(r, UINT32_MAX), -1);
    assert_int_equal(hs_request_speculate(r, ret), -1);                      /* READY */
    expect_events(r, "");
    assert_int_equal(hs_request_speculate(r, gen), 0);
    assert_int_equal(hs_request_speculate(r, gen), -1);                      /* twice */
    expect_events(r, "Y:gen");                                               /* one READY */
    assert_int_equal(run_items(r, ret, -1), 0);
    events(r, (char[256]){0}, 256);
    assert_int_equal(hs_request_node(r, ret)->state, HS_NODE_DONE);
    assert_int_equal(hs_request_speculate(r, ret), -1);                      /* DONE */
    hs_request_free(r);
    hs_workload_free(wl);
}

static void test_template_key(void **state)
{
    (void)state;
    /* Default, constant, expression (clamped), per iteration. */
    hs_workload *wl = inline_wl("stage", "p: 0.8",
                                "      - {name: a, kind: compute, flops: 1}\n"
                                "      - {name: b, kind: compute, flops: 1, spec_accuracy: 0.25}\n"
                                "      - {name: c, kind: compute, flops: 1,"
                                " spec_accuracy: \"$p * 2\"}\n"
                                "      - {name: d, kind: compute, flops: 1,"
                                " spec_accuracy: \"0.1 + 0.2 * $iter\"}\n",
                                "      - {from: a, to: b}\n      - {from: b, to: c}\n"
                                "      - {from: c, to: d}\n      - {from: d, to: a, loop: 2}\n");
    hs_request *r = request(wl, 0, 1);
    wl_drive(r, false);
    for (uint32_t i = 0; i < hs_request_nvisible(r); i++) {
        const hs_stage_info *s = hs_request_node(r, i);
        double want = s->name[0] == 'a'   ? HS_SPEC_ACCURACY_DEFAULT
                      : s->name[0] == 'b' ? 0.25
                      : s->name[0] == 'c' ? 1.0
                                          : 0.1 + 0.2 * s->iteration;
        assert_float_equal(s->spec_accuracy, want, 1e-12);
        assert_false(s->speculative);
        assert_int_equal(s->rollbacks, 0);
    }
    assert_true(HS_SPEC_ACCURACY_DEFAULT == 0.5);
    hs_request_free(r);
    hs_workload_free(wl);

    /* The HedraRAG templates: 0.52 on generations after a retrieval. */
    hs_err err;
    assert_int_equal(hs_workload_load("hedrarag-recomp", &wl, &err), 0);
    r = request(wl, 0, 1);
    wl_drive(r, false);
    assert_float_equal(hs_request_node(r, find(r, "compress"))->spec_accuracy, 0.52, 1e-12);
    assert_float_equal(hs_request_node(r, find(r, "answer"))->spec_accuracy, 0.5, 1e-12);
    assert_float_equal(hs_request_node(r, find(r, "retrieve"))->spec_accuracy, 0.5, 1e-12);
    hs_request_free(r);
    hs_workload_free(wl);

    /* dag tasks: the default. */
    wl = wl_from_text("kind: dag\ntasks: [{name: n1, work: 1}, {name: n2, work: 1}]\n"
                      "edges: [{from: n1, to: n2}]\n");
    r = request(wl, 0, 1);
    hs_request_start(r);
    assert_float_equal(hs_request_node(r, 1)->spec_accuracy, 0.5, 1e-12);
    assert_int_equal(hs_request_speculate(r, 1), 0);
    hs_request_free(r);
    hs_workload_free(wl);
}

static void test_template_errors(void **state)
{
    (void)state;
    static const struct {
        const char *value, *msg;
    } cases[] = {
        {"1.5", "spec_accuracy must lie in [0, 1]"},
        {"-0.1", "spec_accuracy must lie in [0, 1]"},
        {"{dist: uniform, lo: 0, hi: 1}", "not a distribution"},
        {"\"$nope\"", "nope"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "requests: 1\nclasses:\n - name: c\n   arrival: {process: poisson, rate: 1}\n"
                 "   workflow:\n     name: t\n     stages:\n"
                 "      - {name: a, kind: compute, flops: 1, spec_accuracy: %s}\n",
                 cases[i].value);
        hs_err err;
        wl_text_error(yaml, &err);
        assert_contains(err.msg, cases[i].msg);
        assert_contains(err.msg, "<test>:");
    }
    /* A misspelt key names the right one. */
    hs_err err;
    wl_text_error("requests: 1\nclasses:\n - name: c\n   arrival: {process: poisson, rate: 1}\n"
                  "   workflow:\n     name: t\n     stages:\n"
                  "      - {name: a, kind: compute, flops: 1, spec_acuracy: 0.5}\n",
                  &err);
    assert_contains(err.msg, "spec_accuracy");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speculate_ready),
        cmocka_unit_test(test_held_after_finishing),
        cmocka_unit_test(test_held_while_running),
        cmocka_unit_test(test_rollback_restarts),
        cmocka_unit_test(test_rollback_after_finishing),
        cmocka_unit_test(test_first_token),
        cmocka_unit_test(test_frequency),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_dag_unchanged),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_template_key),
        cmocka_unit_test(test_template_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
