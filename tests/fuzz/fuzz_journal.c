/* Fuzzes the sweep journal as `--resume` replays it (hs_sweep_recover:
 * frames, checksums, run records, their match with the experiment).
 * The journal is of FUZZ_EXPERIMENT: a valid header frame, then the
 * input.  Input byte 0 chooses how: odd, the rest is appended as it is
 * (torn frames, bad magic, lengths, checksums); even, the rest is a list
 * of run payloads, each a u32 length then its bytes, framed here with
 * valid checksums so that the record decoder sees them. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/runner/sweep_internal.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hs_experiment *experiment(void)
{
    static hs_experiment *e;
    hs_err err;
    if (!e && !(e = hs_experiment_parse(FUZZ_EXPERIMENT, strlen(FUZZ_EXPERIMENT), "fuzz-seed.yaml", &err)))
        __builtin_trap();
    return e;
}

static void write_payloads(int fd, const uint8_t *p, const uint8_t *end)
{
    while (end - p >= 4) {
        uint32_t n;
        memcpy(&n, p, 4);
        p += 4;
        if (n > (size_t)(end - p))
            n = (uint32_t)(end - p);
        if (hs_journal_write_frame(fd, HS_JOURNAL_RUN, p, n) != 0)
            return;
        p += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[1024], out[1024];
    int fd = open(fuzz_path("out.h5.journal", path, sizeof path), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || size == 0 || hs_journal_write_header(fd, experiment(), "") != 0) {
        if (fd >= 0)
            close(fd);
        fuzz_remove("out.h5.journal");
        return 0;
    }
    if (data[0] & 1)
        (void)!write(fd, data + 1, size - 1);
    else
        write_payloads(fd, data + 1, data + size);
    close(fd);
    hs_sweep_opts o = {.out = fuzz_path("out.h5", out, sizeof out), .jobs = 1};
    hs_sweep_stats st;
    hs_err err;
    (void)hs_sweep_recover(experiment(), &o, &st, &err);
    fuzz_remove("out.h5.journal");
    return 0;
}
