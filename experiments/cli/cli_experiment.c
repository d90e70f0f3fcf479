/* hetsoc run, hetsoc summary, hetsoc merge: experiments, their HDF5
 * results and their summary table.
 *   hetsoc run EXP [-o OUT.h5] [-j N] [--resume] [--shard I/N] [--quiet]
 *   hetsoc summary OUT.h5 [--csv TABLE] | hetsoc summary --schema
 *   hetsoc merge OUT.h5 PART.h5... */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/cli/cli.h"
#include "experiments/sweep/expand.h"
#include "experiments/results/h5io.h"
#include "experiments/results/run_summary.h"
#include "experiments/runner/runner.h"

/* Prints the summary of a results file and, on stderr, the first failure. */
static int print_results(const char *path, bool table, size_t *failed)
{
    hs_err err;
    hs_h5 *h = hs_h5_open(path, &err);
    hs_run_record *runs = NULL;
    size_t n = 0;
    if (!h || hs_h5_read_runs(h, &runs, &n, &err) != 0) {
        hs_err_print(&err, stderr);
        hs_h5_close(h, NULL);
        return -1;
    }
    if (table)
        hs_summary_table(hs_h5_get_meta(h), runs, n, stdout);
    size_t nf = 0, nt = 0;
    const hs_run_record *first = NULL, *cut = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!runs[i].ok && nf++ == 0)
            first = &runs[i];
        if (strcmp(hs_record_status(&runs[i]), "truncated") == 0 && nt++ == 0)
            cut = &runs[i];
    }
    if (cut) {
        fflush(stdout);
        fprintf(stderr,
                "hetsoc: warning: %zu of %zu runs truncated (status 'truncated' in /runs); run %lld (%s, seed %lld) "
                "stopped at engine.%s with %lld request(s) in flight\n",
                nt, n, (long long)cut->run, cut->policy, (long long)cut->seed, cut->strs[cut->m.truncated],
                (long long)cut->m.in_flight);
    }
    if (first) {
        fflush(stdout);
        fprintf(stderr, "hetsoc: %zu of %zu runs failed (status 'error' in /runs); run %lld (%s, seed %lld): %s\n", nf,
                n, (long long)first->run, first->policy, (long long)first->seed, first->message);
    }
    if (failed)
        *failed = nf;
    for (size_t i = 0; i < n; i++)
        hs_record_clear(&runs[i]);
    free(runs);
    hs_h5_close(h, NULL);
    return 0;
}

/* ---- hetsoc run ------------------------------------------------------------------- */
static int parse_shard(const char *s, unsigned *i, unsigned *n)
{
    const char *slash = strchr(s, '/');
    if (!slash)
        return -1;
    char a[32];
    unsigned long long x, y;
    if ((size_t)(slash - s) >= sizeof a)
        return -1;
    snprintf(a, sizeof a, "%.*s", (int)(slash - s), s);
    if (hs_cli_parse_u64(a, 0, 1000000, &x) != 0 || hs_cli_parse_u64(slash + 1, 1, 1000000, &y) != 0 || x >= y)
        return -1;
    *i = (unsigned)x;
    *n = (unsigned)y;
    return 0;
}

/* --list: the expansion, one run per line (tab-separated). */
static void list_runs(const hs_experiment *e, unsigned shard_i, unsigned shard_n)
{
    printf("run\tkey\tpolicy\thw\tworkload\tseed");
    for (size_t a = 0; a < e->naxes; a++)
        printf("\t%s", e->axes[a].name);
    putchar('\n');
    for (size_t i = 0; i < e->nruns; i++) {
        if (shard_n > 1 && i % shard_n != shard_i)
            continue;
        hs_run_record r;
        hs_record_init(&r);
        hs_err err;
        if (hs_experiment_identity(e, i, &r, false, &err) != 0) {
            hs_err_print(&err, stderr);
            return;
        }
        printf("%zu\t%s\t%s\t%s\t%s\t%lld", i, r.key, r.policy, r.hw, r.workload, (long long)r.seed);
        for (size_t a = 0; a < r.nvalues; a++) {
            if (r.values[a].numeric)
                printf("\t%.17g", r.values[a].num);
            else
                printf("\t%s", r.values[a].text);
        }
        putchar('\n');
        hs_record_clear(&r);
    }
}

static int run_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},
        {"resume", no_argument, NULL, 'r'},
        {"shard", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"list", no_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    bool list = false;
    long jobs = -1;
    bool resume = false, quiet = false;
    unsigned shard_i = 0, shard_n = 0;
    unsigned long long v;
    int c;
    while ((c = getopt_long(argc, argv, "o:j:q", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'j':
            if (hs_cli_parse_u64(optarg, 1, 4096, &v) != 0)
                return hs_cli_misuse(&hs_cli_run_exp, "-j must be an integer from 1 to 4096, got '%s'", optarg);
            jobs = (long)v;
            break;
        case 'r': resume = true; break;
        case 's':
            if (parse_shard(optarg, &shard_i, &shard_n) != 0)
                return hs_cli_misuse(&hs_cli_run_exp, "--shard expects I/N with 0 <= I < N, got '%s'", optarg);
            break;
        case 'q': quiet = true; break;
        case 'l': list = true; break;
        default: return hs_cli_misuse(&hs_cli_run_exp, "bad option");
        }
    }
    if (optind != argc - 1)
        return hs_cli_misuse(&hs_cli_run_exp, optind == argc ? "expected an experiment file or name"
                                                             : "expected one experiment, got more arguments");
    const char *exp = argv[optind];

    int rank = 0, size = 1;
    hs_err err;
    if (list) {
        hs_experiment *e = hs_experiment_load(exp, &err);
        if (!e) {
            hs_err_print(&err, stderr);
            return HS_EXIT_FAIL;
        }
        list_runs(e, shard_i, shard_n);
        hs_experiment_free(e);
        return HS_EXIT_OK;
    }
    int launched = hs_mpi_launch_size();
#ifdef HS_HAVE_MPI
    if (launched != 0 && hs_mpi_init(&rank, &size, &err) != 0) {
        hs_err_print(&err, stderr);
        return HS_EXIT_FAIL;
    }
#else
    /* Every rank would run the whole sweep into the same file. */
    if (launched > 1) {
        fprintf(stderr, "hetsoc run: started as %d MPI ranks, but this hetsoc was built without MPI "
                        "(install OpenMPI and rebuild, or use --shard I/N)\n", launched);
        return HS_EXIT_FAIL;
    }
#endif
    hs_experiment *e = hs_experiment_load(exp, &err);
    if (rank != 0) {
        hs_mpi_serve(e, e ? NULL : err.msg);
        hs_experiment_free(e);
        hs_mpi_finish();
        return HS_EXIT_OK;
    }
    if (!e) {
        hs_err_print(&err, stderr);
        hs_mpi_finish();
        return HS_EXIT_FAIL;
    }
    char defout[4096];
    if (!out && shard_n > 1) {
        const char *base = e->output ? e->output : e->name;
        size_t bl = strlen(base);
        if (bl > 3 && strcmp(base + bl - 3, ".h5") == 0)
            bl -= 3;
        snprintf(defout, sizeof defout, "%.*s.shard%u-of-%u.h5", (int)bl, base, shard_i, shard_n);
        out = defout;
    } else if (!out) {
        if (e->output)
            snprintf(defout, sizeof defout, "%s", e->output);
        else
            snprintf(defout, sizeof defout, "%s.h5", e->name);
        out = defout;
    }
    if (jobs < 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = size > 1 ? 1 : cores > 0 ? cores : 1;
    }
    hs_sweep_opts o = {
        .out = out, .jobs = (int)jobs, .resume = resume, .shard_i = shard_i, .shard_n = shard_n,
        .progress = !quiet && isatty(STDERR_FILENO), .mpi_size = size,
    };
    hs_sweep_stats st;
    int rc = hs_sweep_run(e, &o, &st, &err);
    hs_experiment_free(e);
    if (rc != 0) {
        hs_err_print(&err, stderr);
        if (st.done)
            fprintf(stderr, "hetsoc run: %zu of %zu runs are recorded; 'hetsoc run %s -o %s --resume' continues\n",
                    st.done, st.total, exp, out);
        hs_mpi_finish();
        return HS_EXIT_FAIL;
    }
    size_t failed = 0;
    if (print_results(out, !quiet, &failed) != 0) {
        hs_mpi_finish();
        return HS_EXIT_FAIL;
    }
    fflush(stdout);
    if (!quiet) {
        double ran = (double)(st.done - st.recovered);
        fprintf(stderr, "hetsoc run: wrote %s: %zu runs", out, st.total);
        if (st.recovered)
            fprintf(stderr, " (%zu resumed)", st.recovered);
        fprintf(stderr, " in %.1f s", st.wall_s);
        if (ran > 0 && st.wall_s > 0)
            fprintf(stderr, ", %.2f runs/s with %ld worker%s%s", ran / st.wall_s, jobs, jobs == 1 ? "" : "s",
                    size > 1 ? " and MPI ranks" : "");
        fputc('\n', stderr);
    }
    hs_mpi_finish();
    return failed ? HS_EXIT_FAIL : HS_EXIT_OK;
}

const hs_cli_cmd hs_cli_run_exp = {
    .name = "run",
    .summary = "run an experiment sweep into an HDF5 file and print its summary table",
    .usage = "usage: hetsoc run EXPERIMENT [-o OUT.h5] [-j N] [--resume] [--shard I/N] [--quiet] [--list]\n"
             "\n"
             "  EXPERIMENT       built-in experiment name (hetsoc list experiments) or a YAML path\n"
             "  -o, --output F   results file (default: the experiment's `output:`, else NAME.h5)\n"
             "  -j, --jobs N     worker processes (default: the number of cores; 1 per MPI rank)\n"
             "  --resume         keep the finished runs of an interrupted sweep, run only the rest\n"
             "  --shard I/N      run only runs i with i % N == I (join the slices with hetsoc merge)\n"
             "  -q, --quiet      no progress line, no table\n"
             "  --list           print the runs the experiment expands to (tab-separated) and exit\n"
             "\n"
             "Results are identical whatever -j, MPI rank count or sharding (except wall_s).  While it\n"
             "runs, OUT.partial and OUT.journal hold the finished runs; OUT appears when all are done.\n"
             "Under mpirun, rank 0 writes and hands runs to the other ranks.  Exit status 1 when a run\n"
             "failed (its status and message are in /runs; the sweep goes on).\n",
    .run = run_run,
};

/* ---- hetsoc summary ----------------------------------------------------------------- */
static int summary_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"csv", required_argument, NULL, 'c'},
        {"exclude", required_argument, NULL, 'x'},
        {"schema", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *csv = NULL, *exclude = NULL;
    bool schema = false;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': csv = optarg; break;
        case 'x': exclude = optarg; break;
        case 's': schema = true; break;
        default: return hs_cli_misuse(&hs_cli_summary, "bad option");
        }
    }
    if (schema) {
        if (optind != argc || csv || exclude)
            return hs_cli_misuse(&hs_cli_summary, "--schema takes no results file and no other option");
        hs_schema_markdown(stdout);
        return HS_EXIT_OK;
    }
    if (optind != argc - 1)
        return hs_cli_misuse(&hs_cli_summary, "expected one results file");
    if (exclude && !csv)
        return hs_cli_misuse(&hs_cli_summary, "--exclude goes with --csv");
    hs_err err;
    hs_h5 *h = hs_h5_open(argv[optind], &err);
    if (!h) {
        hs_err_print(&err, stderr);
        return HS_EXIT_FAIL;
    }
    int rc = csv ? hs_h5_csv(h, csv, exclude, stdout, &err) : hs_summary_print(h, stdout, &err);
    if (rc != 0)
        hs_err_print(&err, stderr);
    hs_h5_close(h, NULL);
    return rc == 0 ? HS_EXIT_OK : HS_EXIT_FAIL;
}

const hs_cli_cmd hs_cli_summary = {
    .name = "summary",
    .summary = "print the summary table of an experiment's results file",
    .usage = "usage: hetsoc summary OUT.h5 [--csv TABLE [--exclude COLUMNS]]\n"
             "       hetsoc summary --schema\n"
             "\n"
             "Prints the table `hetsoc run` printed: per policy (and hw, workload, swept values) the\n"
             "mean and 95% confidence interval across seeds, and the speed-up against the baseline.\n"
             "  --csv TABLE   print a table of the file as CSV instead: runs, configs, requests, pus,\n"
             "                kernels\n"
             "  --exclude C   leave out these comma-separated columns (e.g. wall_s, the one column\n"
             "                that differs between two runs of the same sweep)\n"
             "  --schema      print the table of every results column (markdown), from which the\n"
             "                single-run JSON, the HDF5 tables and their CSV are derived\n",
    .run = summary_run,
};

/* ---- hetsoc merge -------------------------------------------------------------------- */
static int merge_run(int argc, char **argv)
{
    int c;
    while ((c = getopt_long(argc, argv, "", (const struct option[]){{NULL, 0, NULL, 0}}, NULL)) != -1)
        return hs_cli_misuse(&hs_cli_merge, "bad option");
    if (argc - optind < 2)
        return hs_cli_misuse(&hs_cli_merge, "expected an output file and at least one part");
    const char *out = argv[optind];
    hs_err err;
    hs_sweep_stats st;
    if (hs_sweep_merge(out, argv + optind + 1, (size_t)(argc - optind - 1), &st, &err) != 0) {
        hs_err_print(&err, stderr);
        return HS_EXIT_FAIL;
    }
    if (print_results(out, true, NULL) != 0)
        return HS_EXIT_FAIL;
    fflush(stdout);
    fprintf(stderr, "hetsoc merge: wrote %s: %zu of %zu runs from %d parts\n", out, st.done, st.total,
            argc - optind - 1);
    if (st.done < st.total)
        fprintf(stderr, "hetsoc merge: warning: %zu runs are missing (a shard that did not finish?)\n",
                st.total - st.done);
    return HS_EXIT_OK;
}

const hs_cli_cmd hs_cli_merge = {
    .name = "merge",
    .summary = "join the results files of an experiment's shards",
    .usage = "usage: hetsoc merge OUT.h5 PART.h5...\n"
             "\n"
             "Joins results files of one experiment (the slices of `hetsoc run --shard I/N`, or any\n"
             "subsets) into OUT.h5: every run once, in run order, as `hetsoc run` would have written it.\n",
    .run = merge_run,
};
