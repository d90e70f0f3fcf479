/* hetsoc: writes the seed corpora of the harnesses that do not read the
 * built-in YAML files (tests/fuzz/CMakeLists.txt copies those):
 *   results/        a results file of FUZZ_EXPERIMENT (summary, merge, resume)
 *   journal/        its runs as journal payloads (fuzz_journal's input form)
 *   params/         every built-in policy with its parameters at their defaults
 *   trace-csv/, trace-jsonl/   short traces in each format
 * Usage: fuzz_seeds CORPUS_DIR (its subfolders must exist). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/runner/runner.h"
#include "experiments/runner/sweep_internal.h"
#include "policies/registry.h"
#include "tests/fuzz/fuzz_util.h"

static const char *root;

static FILE *create(const char *sub, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", root, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

static void text_seed(const char *sub, const char *name, const char *text)
{
    FILE *f = create(sub, name);
    fputs(text, f);
    fclose(f);
}

static void fail(const hs_err *err)
{
    hs_err_print(err, stderr);
    exit(1);
}

/* One journal seed per run: byte 0 even (framed payloads), then the
 * record's u32 length and bytes. */
static void journal_seeds(const char *results)
{
    hs_err err;
    hs_h5 *h;
    hs_run_record *runs;
    size_t n;
    if (hs_runner_load_file_runs(results, &h, &runs, &n, true, &err) != 0)
        fail(&err);
    for (size_t i = 0; i < n; i++) {
        uint8_t *buf;
        size_t len;
        if (hs_record_encode(&runs[i], &buf, &len) != 0)
            exit(1);
        char name[32];
        snprintf(name, sizeof name, "run-%zu", i);
        FILE *f = create("journal", name);
        uint32_t l = (uint32_t)len;
        fputc(0, f);
        fwrite(&l, 4, 1, f);
        fwrite(buf, 1, len, f);
        fclose(f);
        free(buf);
        hs_record_clear(&runs[i]);
    }
    free(runs);
    hs_h5_close(h, NULL);
}

static void results_seed(void)
{
    char out[1024];
    snprintf(out, sizeof out, "%s/results/seed.h5", root);
    hs_err err;
    hs_experiment *e = hs_experiment_parse(FUZZ_EXPERIMENT, strlen(FUZZ_EXPERIMENT), "fuzz-seed.yaml", &err);
    hs_sweep_opts o = {.out = out, .jobs = 1};
    hs_sweep_stats st;
    if (!e || hs_sweep_run(e, &o, &st, &err) != 0)
        fail(&err);
    hs_experiment_free(e);
    journal_seeds(out);
}

static void params_seeds(void)
{
    for (size_t i = 0; i < hs_policy_count(); i++) {
        const hs_policy_ops *p = hs_policy_at(i);
        FILE *f = create("params", p->name);
        fprintf(f, "policy: %s\nparams:\n", p->name);
        for (const hs_param_spec *s = p->params; s && s->name; s++)
            fprintf(f, "  %s: %s\n", s->name, s->def ? s->def : "1");
        fclose(f);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds CORPUS_DIR\n");
        return 2;
    }
    root = argv[1];
    results_seed();
    params_seeds();
    text_seed("trace-csv", "azure", "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                    "2023-11-16 18:17:03.9799600,4808,10\n"
                                    "2023-11-16 18:17:05.0319600,100,0\r\n"
                                    "2023-11-16 23:59:59.5000000,7,3\n");
    text_seed("trace-jsonl", "mooncake",
              "{\"timestamp\": 0, \"input_length\": 6758, \"output_length\": 500, \"hash_ids\": [0, 1, 2]}\n"
              "{\"timestamp\": 1500, \"input_length\": 12, \"output_length\": 34, \"hash_ids\": []}\n");
    text_seed("trace-jsonl", "ragpulse",
              "{\"timestamp\": \"82\", \"input_length\": 3112, \"output_length\": 192, \"hash_ids\": "
              "{\"sys_prompt\": [8302], \"user_input\": [26923]}, \"session_id\": \"17574-a\\\"b\"}\n"
              "{\"timestamp\": \"0\", \"input_length\": 2926, \"output_length\": 154, \"hash_ids\": {}}\n\n");
    return 0;
}
