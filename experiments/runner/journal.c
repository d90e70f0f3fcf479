/* hetsoc: the sweep's journal, OUT.journal -- an append-only log of the
 * finished runs that survives a SIGKILL at any instant (runner.h: crash
 * consistency).
 *
 * Frame format (native byte order, as the machine that resumes is the
 * machine that wrote):
 *
 *     u32 magic "JRNL" (0x4c4e524a) | u32 type | u64 payload length
 *     | u64 FNV-1a 64 of the payload | payload
 *
 * The first frame is the header (type 1), its payload three strings, each
 * a u32 length then its bytes: the hetsoc version, the experiment file's
 * text, the shard ("i/n", or "" for all runs).  Then one frame per
 * finished run (type 2), its payload the run's record as run_record.h
 * encodes it.  A frame is one write(2); a torn frame (short, bad magic,
 * bad checksum) ends the journal: reading stops there and `--resume`
 * rewrites the journal without it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "experiments/runner/sweep_internal.h"
#include "hs_version.h"

#define J_MAGIC 0x4c4e524au /* "JRNL" */
enum { J_HEADER = HS_JOURNAL_HEADER, J_RUN = HS_JOURNAL_RUN, J_FRAME = 24 };

/* ---- Writing -------------------------------------------------------------- */
int hs_journal_write_frame(int fd, uint32_t type, const uint8_t *p, size_t len)
{
    uint8_t *b = malloc(J_FRAME + len);
    if (!b)
        return -1;
    uint32_t magic = J_MAGIC;
    uint64_t l = len, h = hs_fnv1a64(p, len, HS_FNV1A64_INIT);
    memcpy(b, &magic, 4);
    memcpy(b + 4, &type, 4);
    memcpy(b + 8, &l, 8);
    memcpy(b + 16, &h, 8);
    if (len)
        memcpy(b + J_FRAME, p, len);
    int rc = hs_runner_write_all(fd, b, J_FRAME + len);
    free(b);
    return rc;
}

static void put_str(uint8_t **p, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    memcpy(*p, &n, 4);
    memcpy(*p + 4, s, n);
    *p += 4 + n;
}

int hs_journal_write_header(int fd, const hs_experiment *e, const char *shard)
{
    size_t len = 12 + strlen(HS_VERSION_STRING) + strlen(e->text) + strlen(shard);
    uint8_t *b = malloc(len), *p = b;
    if (!b)
        return -1;
    put_str(&p, HS_VERSION_STRING);
    put_str(&p, e->text);
    put_str(&p, shard);
    int rc = hs_journal_write_frame(fd, J_HEADER, b, len);
    free(b);
    return rc;
}

/* 0; -1 when r cannot be encoded (out of memory); -2 when the write
 * fails (errno set). */
static int j_run(int fd, const hs_run_record *r)
{
    uint8_t *buf;
    size_t len;
    if (hs_record_encode(r, &buf, &len) != 0)
        return -1;
    int rc = hs_journal_write_frame(fd, J_RUN, buf, len);
    free(buf);
    return rc != 0 ? -2 : 0;
}

int hs_journal_append(sweep *s, const hs_run_record *r, hs_err *err)
{
    int rc = j_run(s->jfd, r);
    if (rc == -1)
        return hs_errf(err, "out of memory");
    if (rc != 0)
        return hs_err_at(err, s->jpath, 0, 0, "cannot write the journal: %s", strerror(errno));
    return 0;
}

int hs_journal_create(sweep *s, hs_err *err)
{
    int fd = open(s->jtmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return hs_err_at(err, s->jtmp, 0, 0, "cannot create: %s", strerror(errno));
    int rc = hs_journal_write_header(fd, s->e, s->shard);
    for (size_t p = 0; rc == 0 && p < s->nmine; p++)
        if (s->pending[p])
            rc = j_run(fd, s->pending[p]);
    if (rc != 0 || rename(s->jtmp, s->jpath) != 0) {
        rc = hs_err_at(err, s->jpath, 0, 0, "cannot write the journal: %s", strerror(errno));
        close(fd);
        unlink(s->jtmp);
        return rc;
    }
    s->jfd = fd;
    return 0;
}

/* ---- Reading -------------------------------------------------------------- */
/* Whether the rest of f holds len bytes: a torn or corrupted length must
 * end the journal, not allocate what the file cannot hold. */
static bool rest_holds(FILE *f, uint64_t len)
{
    struct stat st;
    long at = ftell(f);
    return at >= 0 && fstat(fileno(f), &st) == 0 && st.st_size >= at && len <= (uint64_t)(st.st_size - at);
}

/* Reads one frame; 0 ok, 1 end or torn frame. */
static int j_next(FILE *f, uint32_t *type, uint8_t **payload, size_t *len)
{
    uint8_t h[J_FRAME];
    if (fread(h, 1, J_FRAME, f) != J_FRAME)
        return 1;
    uint32_t magic;
    uint64_t l, hash;
    memcpy(&magic, h, 4);
    memcpy(type, h + 4, 4);
    memcpy(&l, h + 8, 8);
    memcpy(&hash, h + 16, 8);
    if (magic != J_MAGIC || !rest_holds(f, l))
        return 1;
    uint8_t *p = malloc(l ? (size_t)l : 1);
    if (!p)
        return 1;
    if (fread(p, 1, (size_t)l, f) != l || hs_fnv1a64(p, (size_t)l, HS_FNV1A64_INIT) != hash) {
        free(p);
        return 1;
    }
    *payload = p;
    *len = (size_t)l;
    return 0;
}

static char *get_str(const uint8_t **p, const uint8_t *end)
{
    uint32_t n;
    if (end - *p < 4)
        return NULL;
    memcpy(&n, *p, 4);
    if ((size_t)(end - *p - 4) < n)
        return NULL;
    char *s = strndup((const char *)*p + 4, n);
    *p += 4 + n;
    return s;
}

/* The header's payload: the journal of this experiment text and shard? */
static int check_header(sweep *s, const uint8_t *p, size_t len, hs_err *err)
{
    const uint8_t *q = p, *end = p + len;
    char *version = get_str(&q, end), *text = get_str(&q, end), *shard = get_str(&q, end);
    int rc = 0;
    if (!version || !text || !shard)
        rc = hs_err_at(err, s->jpath, 0, 0, "malformed journal header");
    else if (strcmp(text, s->e->text) != 0)
        rc = hs_err_at(err, s->jpath, 0, 0,
                       "this sweep's journal belongs to a different experiment text than %s; start afresh without "
                       "--resume, or use another -o",
                       s->e->path);
    else if (strcmp(shard, s->shard) != 0)
        rc = hs_err_at(err, s->jpath, 0, 0, "this journal is of shard '%s', not '%s'", shard[0] ? shard : "(all)",
                       s->shard[0] ? s->shard : "(all)");
    free(version);
    free(text);
    free(shard);
    return rc;
}

/* The run frames after the header, up to the end or the first torn one. */
static int replay_runs(sweep *s, FILE *f, hs_err *err)
{
    uint32_t type;
    uint8_t *p;
    size_t len;
    int rc = 0;
    while (rc == 0 && j_next(f, &type, &p, &len) == 0) {
        if (type == J_RUN) {
            hs_run_record *r = hs_sweep_new_record();
            hs_err derr;
            if (!r) {
                rc = hs_errf(err, "out of memory");
            } else if (hs_record_decode(p, len, r, &derr) != 0) {
                /* A frame whose checksum holds but whose record does not
                 * decode was written by another version of hetsoc. */
                free(r);
                const char *why = strncmp(derr.msg, "error: ", 7) == 0 ? derr.msg + 7 : derr.msg;
                rc = hs_err_at(err, s->jpath, 0, 0, "%s; start afresh without --resume", why);
            } else {
                rc = hs_sweep_recover_record(s, r, s->jpath, err);
            }
        }
        free(p);
    }
    return rc;
}

int hs_journal_replay(sweep *s, hs_err *err)
{
    FILE *f = fopen(s->jpath, "rb");
    if (!f)
        return errno == ENOENT ? 1 : hs_err_at(err, s->jpath, 0, 0, "cannot read: %s", strerror(errno));
    uint32_t type;
    uint8_t *p;
    size_t len;
    int got = j_next(f, &type, &p, &len);
    if (got != 0 || type != J_HEADER) {
        if (got == 0)
            free(p);
        fclose(f);
        return 2;   /* empty, torn at creation or not a journal: nothing to recover */
    }
    int rc = check_header(s, p, len, err);
    free(p);
    if (rc == 0)
        rc = replay_runs(s, f, err);
    fclose(f);
    return rc;
}

long hs_journal_count_runs(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    uint32_t type;
    uint8_t *p;
    size_t len;
    long n = 0;
    for (bool first = true; j_next(f, &type, &p, &len) == 0; first = false) {
        bool header = type == J_HEADER;
        free(p);
        if (first != header)
            break;
        n += !header;
    }
    fclose(f);
    return n;
}
