/* hetsoc workloads: request-trace readers (arrival: {process: trace}).
 *
 * Formats:
 *   azure-csv  header `TIMESTAMP,ContextTokens,GeneratedTokens`, then
 *              `YYYY-MM-DD HH:MM:SS[.fffffff],PROMPT,OUTPUT` (Azure LLM
 *              inference traces, Splitwise); a plain number is also
 *              accepted as the timestamp, in `time_unit`.
 *   jsonl      one object per line with "timestamp" (a number or a string
 *              holding one, in `time_unit`: Mooncake writes integer
 *              milliseconds, RAGPulse seconds as strings), "input_length"
 *              and "output_length"; other keys are ignored.
 * Blank lines are skipped (RAGPulse ends with one).  Times are made
 * relative to the first record.  A timestamp smaller than the previous
 * one restarts the clock: RAGPulse holds two runs (3,800 then 3,306
 * requests, the second from 0 again), and the second is appended as a
 * continuation, its zero placed at the previous record's time.  Then
 * records before `start` seconds are skipped, gaps are multiplied by
 * `time_scale`, and `limit` keeps the first N.
 *
 * Token counts are positive: a row with 0 tokens is an error, not 1 token.
 * The file is streamed: memory does not grow with the trace.  A bad line
 * is reported as "PATH:LINE: error: MESSAGE" (a bad token count as
 * "PATH:LINE:COL: error: MESSAGE"). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

static int line_err(const wl_trace_rd *rd, hs_err *err, const char *msg)
{
    return hs_err_at(err, rd->spec->path, (int)rd->line, 0, "%s", msg);
}

/* ---- Fields. ------------------------------------------------------------ */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD HH:MM:SS[.frac]" to seconds since 2020-01-01 (kept small so
 * a double holds the fraction). */
static int parse_datetime(const char *s, size_t len, double *out)
{
    int y, mo, d, h, mi, n = 0;
    double sec;
    char buf[64];
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (sscanf(buf, "%4d-%2d-%2d %2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        (size_t)n != len || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec < 0 || sec >= 61)
        return -1;
    int64_t days = days_from_civil(y, mo, d) - days_from_civil(2020, 1, 1);
    *out = (double)days * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
    return 0;
}

static int parse_number(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_count(const char *s, size_t len, int64_t *out)
{
    double v;
    if (parse_number(s, len, &v) < 0 || v < 0 || v != floor(v) || v > 1e12)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* A token count at column COL (1-based) of the line: a positive integer.
 * A row with 0 tokens is refused rather than raised to 1, which would
 * replay a request the trace does not hold (the Azure code, Mooncake
 * conversation and RAGPulse traces have none). */
static int token_count(const wl_trace_rd *rd, int col, const char *s, size_t len, const char *name,
                       int64_t *out, hs_err *err)
{
    const char *path = rd->spec->path;
    if (parse_count(s, len, out) < 0)
        return hs_err_at(err, path, (int)rd->line, col, "%s is not a non-negative integer", name);
    if (*out == 0)
        return hs_err_at(err, path, (int)rd->line, col,
                         "%s is 0: a request's LLM call needs at least 1 token (drop the row or "
                         "give it a count)", name);
    return 0;
}

/* ---- azure-csv. --------------------------------------------------------- */

static int read_line(wl_trace_rd *rd, hs_err *err);

/* Skips the header: a first line whose first field is not a timestamp. */
static int csv_open(wl_trace_rd *rd, hs_err *err)
{
    int rc = read_line(rd, err);
    if (rc < 0)
        return -1;
    double t;
    const char *c = rc ? strchr(rd->buf, ',') : NULL;
    size_t tl = c ? (size_t)(c - rd->buf) : 0;
    if (rc && c && (parse_datetime(rd->buf, tl, &t) == 0 || parse_number(rd->buf, tl, &t) == 0))
        rewind(rd->f), rd->line = 0;
    return 0;
}

static int csv_record(wl_trace_rd *rd, const char *l, double *t, int64_t *in, int64_t *out,
                      hs_err *err)
{
    const char *c1 = strchr(l, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    if (!c2 || strchr(c2 + 1, ','))
        return line_err(rd, err, "expected 3 comma-separated fields "
                                 "(TIMESTAMP,ContextTokens,GeneratedTokens)");
    size_t tl = (size_t)(c1 - l);
    if (parse_datetime(l, tl, t) == 0) {
        /* seconds already */
    } else if (parse_number(l, tl, t) == 0) {
        *t *= rd->spec->time_unit;
    } else {
        return line_err(rd, err, "TIMESTAMP is neither 'YYYY-MM-DD HH:MM:SS' nor a number");
    }
    const char *end = l + strlen(l);
    if (token_count(rd, (int)(c1 + 2 - l), c1 + 1, (size_t)(c2 - c1 - 1), "ContextTokens", in, err) < 0 ||
        token_count(rd, (int)(c2 + 2 - l), c2 + 1, (size_t)(end - c2 - 1), "GeneratedTokens", out, err) < 0)
        return -1;
    return 1;
}

/* ---- jsonl. ------------------------------------------------------------- */

typedef struct jp {
    const char *p;
} jp;

static void jws(jp *j)
{
    while (*j->p == ' ' || *j->p == '\t')
        j->p++;
}

/* Scans a string starting at '"'; sets [*s, *s + *len) to its raw body. */
static int jstring(jp *j, const char **s, size_t *len)
{
    if (*j->p != '"')
        return -1;
    const char *b = ++j->p;
    while (*j->p && *j->p != '"') {
        if (*j->p == '\\' && j->p[1])
            j->p++;
        j->p++;
    }
    if (*j->p != '"')
        return -1;
    *s = b;
    *len = (size_t)(j->p - b);
    j->p++;
    return 0;
}

static int jskip(jp *j, int depth)
{
    const char *s;
    size_t n;
    jws(j);
    if (depth > 64)
        return -1;
    if (*j->p == '"')
        return jstring(j, &s, &n);
    if (*j->p == '{' || *j->p == '[') {
        char close = *j->p == '{' ? '}' : ']';
        j->p++;
        jws(j);
        if (*j->p == close) {
            j->p++;
            return 0;
        }
        for (;;) {
            if (close == '}') {
                jws(j);
                if (jstring(j, &s, &n) < 0)
                    return -1;
                jws(j);
                if (*j->p++ != ':')
                    return -1;
            }
            if (jskip(j, depth + 1) < 0)
                return -1;
            jws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p != close)
                return -1;
            j->p++;
            return 0;
        }
    }
    const char *b = j->p;
    while (*j->p && !strchr(",}] \t", *j->p))
        j->p++;
    return j->p > b ? 0 : -1;
}

/* A number value, bare or inside a string: [*s, *s + *len). */
static int jnumber(jp *j, const char **s, size_t *len)
{
    jws(j);
    if (*j->p == '"')
        return jstring(j, s, len);
    const char *b = j->p;
    while (*j->p && (isdigit((unsigned char)*j->p) || strchr("+-.eE", *j->p)))
        j->p++;
    *s = b;
    *len = (size_t)(j->p - b);
    return *len ? 0 : -1;
}

enum { K_TS, K_IN, K_OUT, NKEYS };
static const char *const json_keys[NKEYS] = {"timestamp", "input_length", "output_length"};

static int json_record(wl_trace_rd *rd, const char *l, double *t, int64_t *in, int64_t *out,
                       hs_err *err)
{
    jp j = {l};
    const char *v[NKEYS] = {0};
    size_t vl[NKEYS] = {0};
    jws(&j);
    if (*j.p++ != '{')
        return line_err(rd, err, "expected a JSON object");
    jws(&j);
    if (*j.p == '}')
        j.p++;
    else
        for (;;) {
            const char *k;
            size_t kl;
            jws(&j);
            if (jstring(&j, &k, &kl) < 0)
                return line_err(rd, err, "expected a key string");
            jws(&j);
            if (*j.p++ != ':')
                return line_err(rd, err, "expected ':' after a key");
            int which = -1;
            for (int i = 0; i < NKEYS; i++)
                if (strlen(json_keys[i]) == kl && strncmp(json_keys[i], k, kl) == 0)
                    which = i;
            int rc = which >= 0 ? jnumber(&j, &v[which], &vl[which]) : jskip(&j, 0);
            if (rc < 0)
                return line_err(rd, err, "malformed JSON value");
            jws(&j);
            if (*j.p == ',') {
                j.p++;
                continue;
            }
            if (*j.p++ != '}')
                return line_err(rd, err, "expected ',' or '}'");
            break;
        }
    jws(&j);
    if (*j.p && *j.p != '\r')
        return line_err(rd, err, "text after the JSON object");
    for (int i = 0; i < NKEYS; i++)
        if (!v[i]) {
            char msg[64];
            snprintf(msg, sizeof msg, "missing \"%s\"", json_keys[i]);
            return line_err(rd, err, msg);
        }
    if (parse_number(v[K_TS], vl[K_TS], t) < 0)
        return line_err(rd, err, "\"timestamp\" is not a number");
    *t *= rd->spec->time_unit;
    if (token_count(rd, (int)(v[K_IN] + 1 - l), v[K_IN], vl[K_IN], "\"input_length\"", in, err) < 0 ||
        token_count(rd, (int)(v[K_OUT] + 1 - l), v[K_OUT], vl[K_OUT], "\"output_length\"", out, err) < 0)
        return -1;
    return 1;
}

/* ---- The formats. -------------------------------------------------------- */

/* A new format is one row here plus its reader functions; `format:` names
 * and the error for an unknown one come from this table. */
static const wl_trace_format trace_formats[] = {
    {"azure-csv", csv_open, csv_record},
    {"jsonl", NULL, json_record},
};
enum { NFORMATS = sizeof trace_formats / sizeof *trace_formats };

const wl_trace_format *wl_trace_format_find(const char *name)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (strcmp(name, trace_formats[i].name) == 0)
            return &trace_formats[i];
    return NULL;
}

const char *wl_trace_format_list(char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NFORMATS && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", trace_formats[i].name);
    return buf;
}

/* ---- Reading. ----------------------------------------------------------- */

/* Reads the next line into rd->buf without its newline; 0 at EOF. */
static int read_line(wl_trace_rd *rd, hs_err *err)
{
    size_t n = 0;
    int c;
    while ((c = fgetc(rd->f)) != EOF && c != '\n') {
        if (n + 2 > rd->cap) {
            char *b = wl_grow(rd->buf, &rd->cap, n + 2, 1);
            if (!b)
                return hs_errf(err, "out of memory");
            rd->buf = b;
        }
        if (c == 0)
            return hs_err_at(err, rd->spec->path, (int)rd->line + 1, 0, "NUL byte in the trace");
        rd->buf[n++] = (char)c;
    }
    if (ferror(rd->f))
        return hs_err_at(err, rd->spec->path, (int)rd->line + 1, 0, "read error: %s",
                         strerror(errno));
    if (c == EOF && n == 0)
        return 0;
    if (!rd->buf && !(rd->buf = malloc(rd->cap = 16)))
        return hs_errf(err, "out of memory");
    if (n > 0 && rd->buf[n - 1] == '\r')
        n--;
    rd->buf[n] = 0;
    rd->line++;
    return 1;
}

static bool blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == 0;
}

int wl_trace_open(const wl_trace_spec *s, wl_trace_rd *rd, hs_err *err)
{
    memset(rd, 0, sizeof *rd);
    rd->spec = s;
    rd->f = fopen(s->path, "rb");
    if (!rd->f)
        return hs_errf(err, "cannot open trace '%s': %s", s->path, strerror(errno));
    return s->format->open ? s->format->open(rd, err) : 0;
}

/* The next record, any time: 1, 0 at EOF, -1. */
static int next_raw(wl_trace_rd *rd, double *t, int64_t *in, int64_t *out, hs_err *err)
{
    for (;;) {
        int rc = read_line(rd, err);
        if (rc <= 0)
            return rc;
        if (blank(rd->buf))
            continue;
        return rd->spec->format->record(rd, rd->buf, t, in, out, err);
    }
}

int wl_trace_next(wl_trace_rd *rd, double *t, int64_t *in, int64_t *out, hs_err *err)
{
    const wl_trace_spec *s = rd->spec;
    for (;;) {
        if (s->limit > 0 && rd->kept >= s->limit)
            return 0;
        double raw;
        int rc = next_raw(rd, &raw, in, out, err);
        if (rc <= 0)
            return rc;
        if (rd->have_prev && raw < rd->prev_raw)
            rd->offset = rd->last;            /* the clock restarted */
        double adj = rd->offset + raw;
        rd->prev_raw = raw;
        rd->last = adj;
        rd->have_prev = true;
        if (!rd->have_first) {
            rd->first = adj;
            rd->have_first = true;
        }
        double rel = adj - rd->first;
        if (rel < s->start)
            continue;
        *t = (rel - s->start) * s->time_scale;
        rd->kept++;
        return 1;
    }
}

void wl_trace_close(wl_trace_rd *rd)
{
    if (rd->f)
        fclose(rd->f);
    free(rd->buf);
    rd->f = NULL;
    rd->buf = NULL;
}

int wl_trace_validate(wl_trace_spec *s, hs_err *err)
{
    wl_trace_rd rd;
    if (wl_trace_open(s, &rd, err) < 0) {
        wl_trace_close(&rd);
        return -1;
    }
    double t;
    int64_t in, out, n = 0;
    int rc;
    while ((rc = wl_trace_next(&rd, &t, &in, &out, err)) == 1)
        n++;
    wl_trace_close(&rd);
    if (rc < 0)
        return -1;
    s->records = n;
    return 0;
}
