/* Tests of run records and the HDF5 results file: the byte encoding round
 * trip (and its refusal of damaged input), and writing runs -- with sweep
 * columns of both kinds, requests, PUs, kernels, failed runs, NaNs and
 * odd strings -- then reading exactly the same back. */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "experiments/results/h5io.h"
#include "experiments/results/run_record.h"

/* A record of run i with rows; failed when i is odd. */
static void make_record(hs_run_record *r, int64_t i, bool kernels)
{
    hs_record_init(r);
    r->run = i;
    snprintf(r->key, sizeof r->key, "%016llx", (unsigned long long)(0x1234abcdULL * (uint64_t)(i + 1)));
    assert_int_equal(hs_record_set_identity(r, i ? "eft" : "gpu-only", "snapdragon-8gen3", "agentxpu-mixed",
                                            "sim", 100 + i), 0);
    r->nvalues = 3;
    r->values = calloc(3, sizeof *r->values);
    r->values[0] = (hs_rec_value){.numeric = true, .num = 0.5 * (double)i};
    r->values[1] = (hs_rec_value){.text = strdup(i % 2 ? "deterministic" : "a \"quoted\", multi\nline ü")};
    r->values[2] = (hs_rec_value){.numeric = true, .num = 40 + (double)i};
    /* Parameter columns: int64 (none in run 3), float64, string. */
    r->policy_name = strdup(i ? "eft" : "fifo");
    r->nparams = 3;
    r->params = calloc(3, sizeof *r->params);
    r->params[0] = (hs_rec_value){.numeric = true, .num = i == 3 ? NAN : 256 + (double)i};
    r->params[1] = (hs_rec_value){.numeric = true, .num = 0.25 * (double)i};
    r->params[2] = (hs_rec_value){.text = strdup(i % 2 ? "gpu" : "{prefill: npu, decode: gpu}")};
    r->config = strdup("hw: {name: x}\nseed: 3\n");
    r->ok = i % 2 == 0;
    r->message = strdup(r->ok ? "" : "a.yaml:3:7: error: something, failed");
    if (!r->ok)
        return;
    r->m = (hs_rec_metrics){.requests = 3, .events = 12345, .mean_latency_s = 1.5, .p50_latency_s = 1.25,
                            .p90_latency_s = 2, .p99_latency_s = 2.5, .mean_ttft_s = NAN,
                            .slo_attainment = 0.75, .makespan_s = 10, .throughput_rps = 0.3,
                            .energy_j = 42.0 + (double)i, .wall_s = 0.001};
    for (int q = 0; q < 3; q++) {
        hs_rec_req row = {.request = q, .cls = hs_record_str(r, q == 1 ? "proactive" : "reactive"),
                          .warmup = q == 0, .arrival_s = q, .first_token_s = q == 2 ? NAN : q + 0.1,
                          .finish_s = q + 1.5, .latency_s = 1.5};
        assert_int_equal(hs_record_add_req(r, &row), 0);
    }
    hs_rec_pu cpu = {.name = hs_record_str(r, "cpu"), .busy_s = 1, .utilization = 0.1, .energy_j = 2};
    hs_rec_pu gpu = {.name = hs_record_str(r, "gpu"), .busy_s = 9, .utilization = 0.9, .energy_j = 20};
    assert_int_equal(hs_record_add_pu(r, &cpu), 0);
    assert_int_equal(hs_record_add_pu(r, &gpu), 0);
    hs_rec_class cls = {.name = hs_record_str(r, "proactive"), .requests = 2, .mean_latency_s = 2.5};
    assert_int_equal(hs_record_add_class(r, &cls), 0);
    hs_rec_dram dram = {.name = hs_record_str(r, "dram"), .bytes = 1e9 + (double)i, .mean_bps = 1e8, .peak_bps = 5e9,
                        .achievable_bps = 6e10, .theoretical_bps = 7e10};
    assert_int_equal(hs_record_add_dram(r, &dram), 0);
    for (int k = 0; kernels && k < 5000; k++) {
        hs_rec_kernel row = {.work = k, .request = k % 7 == 0 ? -1 : k / 3,
                             .stage = hs_record_str(r, k % 2 ? "respond" : "batch"),
                             .slot = hs_record_str(r, "attn"), .pu = hs_record_str(r, k % 3 ? "gpu" : "npu"),
                             .batch = 1 + k % 4, .part = k % 5 == 0, .ready_s = k, .start_s = k + 0.25,
                             .end_s = k + 1, .flops = 1e9 * k, .bytes = 3e6};
        assert_int_equal(hs_record_add_kernel(r, &row), 0);
    }
}

static bool same_f(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void expect_same_values(const hs_rec_value *a, size_t na, const hs_rec_value *b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t v = 0; v < na; v++) {
        assert_int_equal(a[v].numeric, b[v].numeric);
        if (a[v].numeric)
            assert_true(same_f(a[v].num, b[v].num));
        else
            assert_string_equal(a[v].text, b[v].text);
    }
}

/* Compares the result halves (and, with identity, the /runs identity). */
static void expect_same(const hs_run_record *a, const hs_run_record *b, bool identity, bool rows)
{
    assert_int_equal(a->run, b->run);
    assert_string_equal(a->key, b->key);
    assert_int_equal(a->ok, b->ok);
    assert_string_equal(a->message, b->message);
    const hs_rec_metrics *x = &a->m, *y = &b->m;
    assert_int_equal(x->requests, y->requests);
    assert_int_equal(x->events, y->events);
#define SAME(f) assert_true(same_f(x->f, y->f))
    SAME(mean_latency_s);
    SAME(p50_latency_s);
    SAME(p90_latency_s);
    SAME(p99_latency_s);
    SAME(mean_ttft_s);
    SAME(slo_attainment);
    SAME(makespan_s);
    SAME(throughput_rps);
    SAME(energy_j);
    SAME(wall_s);
#undef SAME
    if (identity) {
        assert_string_equal(a->policy, b->policy);
        assert_string_equal(a->hw, b->hw);
        assert_string_equal(a->workload, b->workload);
        assert_string_equal(a->backend, b->backend);
        assert_int_equal(a->seed, b->seed);
        assert_string_equal(a->policy_name, b->policy_name);
        expect_same_values(a->values, a->nvalues, b->values, b->nvalues);
        expect_same_values(a->params, a->nparams, b->params, b->nparams);
    }
    if (!rows)
        return;
    if (identity)
        assert_string_equal(a->config, b->config);
    assert_int_equal(a->nreqs, b->nreqs);
    for (size_t i = 0; i < a->nreqs; i++) {
        const hs_rec_req *p = &a->reqs[i], *q = &b->reqs[i];
        assert_int_equal(p->request, q->request);
        assert_string_equal(a->strs[p->cls], b->strs[q->cls]);
        assert_int_equal(p->warmup, q->warmup);
        assert_true(same_f(p->arrival_s, q->arrival_s) && same_f(p->first_token_s, q->first_token_s) &&
                    same_f(p->finish_s, q->finish_s) && same_f(p->latency_s, q->latency_s));
    }
    assert_int_equal(a->npus, b->npus);
    for (size_t i = 0; i < a->npus; i++) {
        assert_string_equal(a->strs[a->pus[i].name], b->strs[b->pus[i].name]);
        assert_true(a->pus[i].busy_s == b->pus[i].busy_s && a->pus[i].utilization == b->pus[i].utilization &&
                    a->pus[i].energy_j == b->pus[i].energy_j);
    }
    assert_int_equal(a->nclasses, b->nclasses);
    for (size_t i = 0; i < a->nclasses; i++) {
        assert_string_equal(a->strs[a->classes[i].name], b->strs[b->classes[i].name]);
        assert_int_equal(a->classes[i].requests, b->classes[i].requests);
        assert_true(same_f(a->classes[i].mean_latency_s, b->classes[i].mean_latency_s));
    }
    assert_int_equal(a->ndram, b->ndram);
    for (size_t i = 0; i < a->ndram; i++) {
        const hs_rec_dram *p = &a->dram[i], *q = &b->dram[i];
        assert_string_equal(a->strs[p->name], b->strs[q->name]);
        assert_true(p->bytes == q->bytes && p->mean_bps == q->mean_bps && p->peak_bps == q->peak_bps &&
                    p->achievable_bps == q->achievable_bps && p->theoretical_bps == q->theoretical_bps);
    }
    assert_int_equal(a->nkernels, b->nkernels);
    for (size_t i = 0; i < a->nkernels; i++) {
        const hs_rec_kernel *p = &a->kernels[i], *q = &b->kernels[i];
        assert_int_equal(p->work, q->work);
        assert_int_equal(p->request, q->request);
        assert_string_equal(a->strs[p->stage], b->strs[q->stage]);
        assert_string_equal(a->strs[p->slot], b->strs[q->slot]);
        assert_string_equal(a->strs[p->pu], b->strs[q->pu]);
        assert_int_equal(p->batch, q->batch);
        assert_int_equal(p->part, q->part);
        assert_true(p->ready_s == q->ready_s && p->start_s == q->start_s && p->end_s == q->end_s &&
                    p->flops == q->flops && p->bytes == q->bytes);
    }
}

static void test_encode_round_trip(void **state)
{
    (void)state;
    for (int64_t i = 0; i < 2; i++) {
        hs_run_record r, back;
        make_record(&r, i, true);
        uint8_t *buf;
        size_t len;
        assert_int_equal(hs_record_encode(&r, &buf, &len), 0);
        hs_record_init(&back);
        hs_err err = {{0}};
        assert_int_equal(hs_record_decode(buf, len, &back, &err), 0);
        expect_same(&r, &back, false, true);
        hs_record_clear(&back);
        /* Every truncation and a flipped magic are refused, never read past. */
        for (size_t cut = 0; cut < len; cut += 1 + cut / 3) {
            hs_record_init(&back);
            assert_int_equal(hs_record_decode(buf, cut, &back, &err), -1);
            hs_record_clear(&back);
        }
        buf[0] ^= 0xff;
        hs_record_init(&back);
        assert_int_equal(hs_record_decode(buf, len, &back, &err), -1);
        assert_string_equal(err.msg, "error: malformed run record (bad magic)");
        hs_record_clear(&back);
        /* A record of the previous format is named as such. */
        memcpy(buf, "HSR3", 4);
        hs_record_init(&back);
        assert_int_equal(hs_record_decode(buf, len, &back, &err), -1);
        assert_string_equal(err.msg, "error: a run record of an earlier hetsoc (HSR3, without memory domain rows)");
        hs_record_clear(&back);
        free(buf);
        hs_record_clear(&r);
    }
}

static void test_strings_interned(void **state)
{
    (void)state;
    hs_run_record r;
    hs_record_init(&r);
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "s%d", i % 300);
        assert_int_equal(hs_record_str(&r, name), (uint32_t)(i % 300));
    }
    assert_int_equal(r.nstrs, 300);
    hs_record_clear(&r);
}

static void h5_round_trip(bool kernels)
{
    char path[] = "/tmp/hs-h5-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char *names[] = {"workload.arrival.rate", "workload.service.dist", "workload.requests"};
    bool numeric[] = {true, false, true}, integer[] = {false, false, true};
    char *params[] = {"param.max_batch", "param.alpha", "param.pu"};
    bool pnumeric[] = {true, true, false}, pinteger[] = {true, false, false};
    hs_h5_meta m = {.version = "9.9.9", .experiment_yaml = "name: t\nhw: x\n", .experiment = "t",
                    .baseline = "gpu-only", .shard = "1/3", .runs_total = 9, .kernels = kernels, .nsweep = 3,
                    .sweep = names, .numeric = numeric, .integer = integer, .nparams = 3, .params = params,
                    .param_numeric = pnumeric, .param_integer = pinteger};
    hs_err err = {{0}};
    hs_h5 *h = hs_h5_create(path, &m, &err);
    if (!h)
        fail_msg("%s", err.msg);
    hs_run_record in[4];
    for (int i = 0; i < 4; i++) {
        make_record(&in[i], i * 3, kernels);
        if (hs_h5_append(h, &in[i], &err) != 0 || hs_h5_flush(h, &err) != 0)
            fail_msg("%s", err.msg);
    }
    assert_int_equal(hs_h5_close(h, &err), 0);

    h = hs_h5_open(path, &err);
    if (!h)
        fail_msg("%s", err.msg);
    const hs_h5_meta *g = hs_h5_get_meta(h);
    assert_string_equal(g->version, "9.9.9");
    assert_string_equal(g->experiment_yaml, "name: t\nhw: x\n");
    assert_string_equal(g->experiment, "t");
    assert_string_equal(g->baseline, "gpu-only");
    assert_string_equal(g->shard, "1/3");
    assert_int_equal(g->runs_total, 9);
    assert_int_equal(g->kernels, kernels);
    assert_int_equal(g->nsweep, 3);
    assert_string_equal(g->sweep[0], "workload.arrival.rate");
    assert_true(g->numeric[0]);
    assert_string_equal(g->sweep[1], "workload.service.dist");
    assert_false(g->numeric[1]);
    /* An integer sweep comes back as an int64 column. */
    assert_true(g->integer[2] && g->numeric[2] && !g->integer[0]);
    assert_int_equal(g->nparams, 3);
    assert_string_equal(g->params[2], "param.pu");
    assert_true(g->param_integer[0] && g->param_numeric[1] && !g->param_integer[1] && !g->param_numeric[2]);
    assert_int_equal(hs_h5_nruns(h), 4);
    hs_run_record *out;
    size_t n;
    assert_int_equal(hs_h5_read_runs(h, &out, &n, &err), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        expect_same(&in[i], &out[i], true, false);
        assert_int_equal(hs_h5_read_rows(h, &out[i], &err), 0);
        if (!kernels) {
            hs_run_record tmp = in[i];
            tmp.nkernels = 0;
            expect_same(&tmp, &out[i], true, true);
        } else {
            expect_same(&in[i], &out[i], true, true);
        }
        hs_record_clear(&out[i]);
        hs_record_clear(&in[i]);
    }
    free(out);

    /* The CSV dump: header and quoting. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(hs_h5_csv(h, "runs", "wall_s,key", f, &err), 0);
    fclose(f);
    assert_non_null(strstr(text, "run,policy,policy_name,hw,workload,seed,backend,status,message,"
                                 "workload.arrival.rate,workload.service.dist,workload.requests,param.max_batch,param.alpha,param.pu,"
                                 "requests,mean_latency_s,"));
    /* Integer parameters as integers, a parameter a run's policy lacks as INT64_MIN. */
    assert_non_null(strstr(text, ",40,256,0,\"{prefill: npu, decode: gpu}\","));
    assert_non_null(strstr(text, ",43,-9223372036854775808,0.75,gpu,"));
    assert_null(strstr(text, "wall_s"));
    assert_non_null(strstr(text, "\"a \"\"quoted\"\", multi\nline ü\""));
    assert_non_null(strstr(text, ",error,\"a.yaml:3:7: error: something, failed\","));
    free(text);
    f = open_memstream(&text, &len);
    assert_int_equal(hs_h5_csv(h, "requests", NULL, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(text, "run,request,class,arrival_s,first_token_s,finish_s,latency_s,warmup,"
                                 "prompt_tokens,output_tokens,energy_j,deadline_s,slo_met,queue_s,service_s\n"
                                 "0,0,reactive,0,0.10000000000000001,1.5,1.5,1,0,0,0,0,0,0,0\n"));
    assert_non_null(strstr(text, "0,2,reactive,2,nan,3.5,1.5,0,0,0,0,0,0,0,0\n"));
    free(text);
    f = open_memstream(&text, &len);
    assert_int_equal(hs_h5_csv(h, "classes", NULL, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(text, "run,class,requests,mean_latency_s,"));
    assert_non_null(strstr(text, "\n0,proactive,2,2.5,"));
    free(text);
    f = open_memstream(&text, &len);
    assert_int_equal(hs_h5_csv(h, "kernels", NULL, f, &err), kernels ? 0 : -1);
    fclose(f);
    free(text);
    assert_int_equal(hs_h5_csv(h, "nope", NULL, stderr, &err), -1);
    assert_string_equal(err.msg,
                        "error: unknown table 'nope'; tables: runs, configs, requests, pus, kernels, classes, dram");
    f = open_memstream(&text, &len);
    assert_int_equal(hs_h5_csv(h, "dram", NULL, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(text, "run,domain,bytes,mean_bps,peak_bps,achievable_bps,theoretical_bps\n"
                                 "0,dram,1000000000,100000000,5000000000,60000000000,70000000000\n"));
    free(text);
    hs_h5_close(h, NULL);
    unlink(path);
}

static void test_h5_round_trip(void **state)
{
    (void)state;
    h5_round_trip(false);
    h5_round_trip(true);
}

static void test_h5_open_errors(void **state)
{
    (void)state;
    hs_err err = {{0}};
    assert_null(hs_h5_open("/nonexistent/r.h5", &err));
    assert_string_equal(err.msg, "/nonexistent/r.h5: error: cannot open: No such file or directory");
    char path[] = "/tmp/hs-h5-XXXXXX";
    int fd = mkstemp(path);
    assert_int_equal(write(fd, "not hdf5\n", 9), 9);
    close(fd);
    assert_null(hs_h5_open(path, &err));
    assert_non_null(strstr(err.msg, ": error: not an HDF5 file"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_round_trip),
        cmocka_unit_test(test_strings_interned),
        cmocka_unit_test(test_h5_round_trip),
        cmocka_unit_test(test_h5_open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
