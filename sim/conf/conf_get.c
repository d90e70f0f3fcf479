/* hetsoc: typed access to the configuration tree (see conf.h): numbers,
 * booleans, strings and enumerations with range checks, unknown-key
 * detection with "did you mean", and the lookup of built-in files.
 *
 * Numbers are parsed with strtod/strtoll in the C locale the process
 * starts in; hetsoc never calls setlocale(LC_NUMERIC), and a program that
 * embeds the library must not either, or "0.5" would stop parsing at '.'
 * (the full-consumption check then reports it instead of misreading it). */
#define _GNU_SOURCE /* asprintf */
#include "sim/conf/conf.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#ifndef HS_SOURCE_DIR
#define HS_SOURCE_DIR "."
#endif
#ifndef HS_DATA_DIR
#define HS_DATA_DIR "/usr/local/share/hetsoc"
#endif
#ifndef HS_LIB_TO_DATA
#define HS_LIB_TO_DATA "../share/hetsoc"
#endif

/* ---- Messages. -------------------------------------------------------- */

/* What a message calls the value: "'rate'" when it came from a key, else
 * "value". */
static const char *subject(const char *key, char *buf, size_t size)
{
    if (!key)
        return "value";
    char q[HS_CONF_QUOTE_BUF];
    snprintf(buf, size, "'%s'", hs_conf_quote(key, q, sizeof q));
    return buf;
}

/* How a message describes what was found instead of the wanted type. */
static const char *found_desc(const hs_node *n, char *buf, size_t size)
{
    char q[HS_CONF_QUOTE_BUF];
    if (n->kind != HS_NODE_SCALAR)
        snprintf(buf, size, "a %s", hs_node_kind_name(n->kind));
    else if (n->quoted)
        snprintf(buf, size, "a string '%s'", hs_conf_quote(n->scalar, q, sizeof q));
    else if (!n->scalar[0])
        snprintf(buf, size, "an empty value");
    else
        snprintf(buf, size, "'%s'", hs_conf_quote(n->scalar, q, sizeof q));
    return buf;
}

static int wrong_type(const hs_node *n, const char *key, const char *wanted, hs_err *err)
{
    char s[HS_CONF_QUOTE_BUF + 2], f[HS_CONF_QUOTE_BUF + 16];
    return hs_node_err(n, err, "%s must be %s, found %s", subject(key, s, sizeof s), wanted,
                       found_desc(n, f, sizeof f));
}

/* Shortest "%g" form that reads back as v, so bounds print as 0.1, not
 * 0.10000000000000001. */
static const char *fmt_f64(double v, char *buf, size_t size)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

/* Joins names as "a, b, c" into buf, ending in "..." when it does not fit. */
static const char *join_names(const char *const *names, size_t count, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(names[i]);
        if (o + n + 2 + 4 >= size) {
            snprintf(buf + o, size - o, "...");
            break;
        }
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", names[i]);
    }
    return buf;
}

static size_t count_names(const char *const *names)
{
    size_t n = 0;
    while (names && names[n])
        n++;
    return n;
}

/* ---- Edit distance. --------------------------------------------------- */

enum { NEAREST_MAX_LEN = 256 };  /* longer words get no suggestion: O(n*m) */

/* Optimal-string-alignment distance (Levenshtein plus adjacent
 * transpositions, the commonest typo), case-insensitive. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t rows[3][NEAREST_MAX_LEN + 1];
    size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < best)
                best = pp[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[m];
}

/* A candidate is close enough when the distance is at most a third of the
 * word's length (1 to 4 edits), and smaller than either string, so that a
 * one-letter word never "suggests" an unrelated one-letter name.  A word
 * of 3 or more letters that begins a candidate also counts ("snapdragon"
 * for "snapdragon-8gen3").  Ties go to the earlier candidate. */
const char *hs_nearest(const char *word, const char *const *candidates)
{
    if (!word || !candidates)
        return NULL;
    size_t wl = strlen(word);
    if (wl == 0 || wl > NEAREST_MAX_LEN)
        return NULL;
    size_t limit = (wl + 2) / 3;
    limit = limit < 1 ? 1 : limit > 4 ? 4 : limit;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; candidates[i]; i++) {
        const char *c = candidates[i];
        size_t cl = strlen(c);
        if (cl > NEAREST_MAX_LEN)
            continue;
        size_t d = edit_distance(word, c);
        bool close = d <= limit && d < wl && d < cl;
        bool prefix = wl >= 3 && cl > wl && strncasecmp(c, word, wl) == 0;
        if ((close || prefix) && d < best_d) {
            best = c;
            best_d = d;
        }
    }
    return best;
}

/* ---- Kinds and keys. -------------------------------------------------- */

int hs_node_expect(const hs_node *n, hs_node_kind k, hs_err *err)
{
    if (!n)
        return hs_errf(err, "expected a %s, found nothing", hs_node_kind_name(k));
    if (n->kind == k)
        return 0;
    if (n->kind == HS_NODE_SCALAR && !n->quoted && !n->scalar[0])
        return hs_node_err(n, err, "expected a %s, found an empty value", hs_node_kind_name(k));
    return hs_node_err(n, err, "expected a %s, found a %s", hs_node_kind_name(k), hs_node_kind_name(n->kind));
}

static bool in_list(const char *word, const char *const *names, int *index)
{
    for (int i = 0; names && names[i]; i++) {
        if (strcmp(word, names[i]) == 0) {
            if (index)
                *index = i;
            return true;
        }
    }
    return false;
}

int hs_map_check_keys(const hs_node *map, const char *const *allowed, hs_err *err)
{
    if (hs_node_expect(map, HS_NODE_MAP, err) < 0)
        return -1;
    for (size_t i = 0; i < map->len; i++) {
        const char *key = map->keys[i];
        if (in_list(key, allowed, NULL))
            continue;
        char q[HS_CONF_QUOTE_BUF], list[HS_ERR_MSG_MAX / 2];
        const char *near = hs_nearest(key, allowed);
        hs_conf_quote(key, q, sizeof q);
        if (near)
            return hs_err_at(err, map->file, map->key_line[i], map->key_col[i],
                             "unknown key '%s' (did you mean '%s'?)", q, near);
        return hs_err_at(err, map->file, map->key_line[i], map->key_col[i], "unknown key '%s'; valid keys: %s",
                         q, join_names(allowed, count_names(allowed), list, sizeof list));
    }
    return 0;
}

/* ---- Scalars. --------------------------------------------------------- */

/* YAML 1.2 core schema float (integers included):
 * [-+]? ( .DIGITS | DIGITS [. DIGITS*] ) ( [eE] [-+]? DIGITS )? */
static bool float_syntax(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    size_t before = strspn(s, "0123456789");
    s += before;
    size_t after = 0;
    if (*s == '.') {
        after = strspn(s + 1, "0123456789");
        s += 1 + after;
    }
    if (before == 0 && after == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        size_t exp = strspn(s, "0123456789");
        if (exp == 0)
            return false;
        s += exp;
    }
    return *s == '\0';
}

static bool int_syntax(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* The core schema's spellings only: ".inf", ".Inf", ".INF". */
static bool special_word(const char *s, const char *lower)
{
    char upper[8], title[8];
    size_t n = strlen(lower);
    for (size_t i = 0; i <= n; i++) {
        upper[i] = (char)toupper((unsigned char)lower[i]);
        title[i] = i == 1 ? upper[i] : lower[i];
    }
    return strcmp(s, lower) == 0 || strcmp(s, upper) == 0 || strcmp(s, title) == 0;
}

/* +1 or -1 for an infinity, 0 otherwise. */
static int inf_sign(const char *s)
{
    int sign = 1;
    if (*s == '-' || *s == '+')
        sign = *s++ == '-' ? -1 : 1;
    return special_word(s, ".inf") ? sign : 0;
}

/* "'rate' must be >= 0, found -1" and friends.  Bounds at the type's
 * extremes are open ends and go unmentioned. */
static int range_error(const hs_node *n, const char *key, const char *lo, const char *hi, bool lo_open,
                       bool hi_open, bool lo_exclusive, hs_err *err)
{
    char s[HS_CONF_QUOTE_BUF + 2], q[HS_CONF_QUOTE_BUF];
    const char *subj = subject(key, s, sizeof s);
    hs_conf_quote(n->scalar, q, sizeof q);
    if (hi_open)
        return lo_exclusive ? hs_node_err(n, err, "%s must be > 0, found %s", subj, q)
                            : hs_node_err(n, err, "%s must be >= %s, found %s", subj, lo, q);
    if (lo_open)
        return hs_node_err(n, err, "%s must be <= %s, found %s", subj, hi, q);
    if (lo_exclusive)
        return hs_node_err(n, err, "%s must be > 0 and <= %s, found %s", subj, hi, q);
    return hs_node_err(n, err, "%s must be between %s and %s, found %s", subj, lo, hi, q);
}

static int to_f64(const hs_node *n, const char *key, double lo, double hi, double *out, hs_err *err)
{
    if (!n)
        return hs_errf(err, "missing value");
    if (n->kind != HS_NODE_SCALAR || n->quoted)
        return wrong_type(n, key, "a number", err);
    const char *s = n->scalar;
    double v;
    if (inf_sign(s)) {
        v = inf_sign(s) > 0 ? INFINITY : -INFINITY;
    } else if (special_word(s, ".nan")) {
        char sb[HS_CONF_QUOTE_BUF + 2];
        return hs_node_err(n, err, "%s must be a number, found '%s' (NaN is not allowed)",
                           subject(key, sb, sizeof sb), s);
    } else if (!float_syntax(s)) {
        return wrong_type(n, key, "a number", err);
    } else {
        char *end;
        errno = 0;
        v = strtod(s, &end);
        if (*end != '\0')
            return wrong_type(n, key, "a number", err);
        /* Underflow to 0 or a subnormal is harmless; overflow is not. */
        if (errno == ERANGE && isinf(v)) {
            char q[HS_CONF_QUOTE_BUF];
            return hs_node_err(n, err, "number '%s' out of range", hs_conf_quote(s, q, sizeof q));
        }
    }
    if (v < lo || v > hi) {
        char a[32], b[32];
        return range_error(n, key, fmt_f64(lo, a, sizeof a), fmt_f64(hi, b, sizeof b), lo <= -DBL_MAX,
                           hi >= DBL_MAX, lo > 0 && lo <= DBL_MIN, err);
    }
    *out = v;
    return 0;
}

/* 2^53: beyond it a double no longer holds every integer. */
#define EXACT_INT_MAX 9007199254740992.0

static int to_i64(const hs_node *n, const char *key, int64_t lo, int64_t hi, int64_t *out, hs_err *err)
{
    if (!n)
        return hs_errf(err, "missing value");
    if (n->kind != HS_NODE_SCALAR || n->quoted)
        return wrong_type(n, key, "an integer", err);
    const char *s = n->scalar;
    char q[HS_CONF_QUOTE_BUF];
    int64_t v;
    if (int_syntax(s)) {
        char *end;
        errno = 0;
        long long r = strtoll(s, &end, 10);
        if (errno == ERANGE || *end != '\0')
            return hs_node_err(n, err, "integer '%s' out of range", hs_conf_quote(s, q, sizeof q));
        v = r;
    } else if (float_syntax(s)) {
        /* "requests: 1e6" is common in simulation configs; accept an
         * integral value written with a fraction or exponent while the
         * double holds it exactly. */
        double d = strtod(s, NULL);
        if (d != floor(d))
            return wrong_type(n, key, "an integer", err);
        if (fabs(d) > EXACT_INT_MAX)
            return hs_node_err(n, err, "integer '%s' out of range (write large integers with digits only)",
                               hs_conf_quote(s, q, sizeof q));
        v = (int64_t)d;
    } else {
        return wrong_type(n, key, "an integer", err);
    }
    if (v < lo || v > hi) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%" PRId64, lo);
        snprintf(b, sizeof b, "%" PRId64, hi);
        return range_error(n, key, a, b, lo == INT64_MIN, hi == INT64_MAX, false, err);
    }
    *out = v;
    return 0;
}

static int to_bool(const hs_node *n, const char *key, bool *out, hs_err *err)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    if (!n)
        return hs_errf(err, "missing value");
    if (n->kind == HS_NODE_SCALAR && !n->quoted) {
        for (int i = 0; i < 3; i++) {
            if (strcasecmp(n->scalar, yes[i]) == 0 || strcasecmp(n->scalar, no[i]) == 0) {
                *out = strcasecmp(n->scalar, yes[i]) == 0;
                return 0;
            }
        }
    }
    return wrong_type(n, key, "true or false", err);
}

static int to_str(const hs_node *n, const char *key, const char **out, hs_err *err)
{
    if (!n)
        return hs_errf(err, "missing value");
    if (n->kind != HS_NODE_SCALAR)
        return wrong_type(n, key, "a string", err);
    *out = n->scalar;
    return 0;
}

static int to_enum(const hs_node *n, const char *key, const char *const *names, int *out, hs_err *err)
{
    if (!n)
        return hs_errf(err, "missing value");
    if (n->kind != HS_NODE_SCALAR)
        return wrong_type(n, key, "a name", err);
    if (in_list(n->scalar, names, out))
        return 0;
    char what[HS_CONF_QUOTE_BUF], q[HS_CONF_QUOTE_BUF], list[HS_ERR_MSG_MAX / 2];
    if (key)
        hs_conf_quote(key, what, sizeof what);
    else
        strcpy(what, "value");
    hs_conf_quote(n->scalar, q, sizeof q);
    join_names(names, count_names(names), list, sizeof list);
    const char *near = hs_nearest(n->scalar, names);
    if (near)
        return hs_node_err(n, err, "unknown %s '%s' (did you mean '%s'?); valid: %s", what, q, near, list);
    return hs_node_err(n, err, "unknown %s '%s'; valid: %s", what, q, list);
}

int hs_node_f64(const hs_node *n, double lo, double hi, double *out, hs_err *err)
{
    return to_f64(n, NULL, lo, hi, out, err);
}

int hs_node_i64(const hs_node *n, int64_t lo, int64_t hi, int64_t *out, hs_err *err)
{
    return to_i64(n, NULL, lo, hi, out, err);
}

int hs_node_bool(const hs_node *n, bool *out, hs_err *err)
{
    return to_bool(n, NULL, out, err);
}

int hs_node_str(const hs_node *n, const char **out, hs_err *err)
{
    return to_str(n, NULL, out, err);
}

int hs_node_enum(const hs_node *n, const char *const *names, int *out, hs_err *err)
{
    return to_enum(n, NULL, names, out, err);
}

/* ---- Map getters. ----------------------------------------------------- */

/* The value of key, or NULL: 0 with *v NULL when it may be absent, -1 when
 * it must be present or map is not a mapping. */
static int lookup(const hs_node *map, const char *key, bool required, const hs_node **v, hs_err *err)
{
    *v = NULL;
    if (hs_node_expect(map, HS_NODE_MAP, err) < 0)
        return -1;
    *v = hs_map_get(map, key);
    if (!*v && required) {
        char q[HS_CONF_QUOTE_BUF];
        return hs_node_err(map, err, "missing key '%s'", hs_conf_quote(key, q, sizeof q));
    }
    return 0;
}

int hs_get_f64(const hs_node *map, const char *key, bool required, double lo, double hi, double *out,
               hs_err *err)
{
    const hs_node *v;
    if (lookup(map, key, required, &v, err) < 0)
        return -1;
    return v ? to_f64(v, key, lo, hi, out, err) : 0;
}

int hs_get_i64(const hs_node *map, const char *key, bool required, int64_t lo, int64_t hi, int64_t *out,
               hs_err *err)
{
    const hs_node *v;
    if (lookup(map, key, required, &v, err) < 0)
        return -1;
    return v ? to_i64(v, key, lo, hi, out, err) : 0;
}

int hs_get_bool(const hs_node *map, const char *key, bool required, bool *out, hs_err *err)
{
    const hs_node *v;
    if (lookup(map, key, required, &v, err) < 0)
        return -1;
    return v ? to_bool(v, key, out, err) : 0;
}

int hs_get_str(const hs_node *map, const char *key, bool required, const char **out, hs_err *err)
{
    const hs_node *v;
    if (lookup(map, key, required, &v, err) < 0)
        return -1;
    return v ? to_str(v, key, out, err) : 0;
}

int hs_get_enum(const hs_node *map, const char *key, bool required, const char *const *names, int *out,
                hs_err *err)
{
    const hs_node *v;
    if (lookup(map, key, required, &v, err) < 0)
        return -1;
    return v ? to_enum(v, key, names, out, err) : 0;
}

/* ---- Built-in files. -------------------------------------------------- */

/* The folders searched, in order: $HETSOC_DATA_PATH's entries, the data
 * folder of the installation this library belongs to (found relative to
 * the library file itself, so an installed tree can be moved), the source
 * tree it was built from, the configured installation folder.  roots[] is
 * malloc'd, its strings too. */
typedef struct roots {
    char **dir;
    size_t len;
} roots;

static void roots_free(roots *r)
{
    for (size_t i = 0; i < r->len; i++)
        free(r->dir[i]);
    free(r->dir);
}

static int roots_add(roots *r, const char *s, size_t n)
{
    char **d = realloc(r->dir, (r->len + 1) * sizeof *d);
    if (!d)
        return -1;
    r->dir = d;
    if (!(d[r->len] = strndup(s, n)))
        return -1;
    r->len++;
    return 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* LIBDIR/HS_LIB_TO_DATA beside the loaded library, when it exists (an
 * installed library; a build tree has no such folder). */
static int roots_add_installed(roots *r)
{
    Dl_info info;
    if (!dladdr((void *)roots_add, &info) || !info.dli_fname)
        return 0;
    const char *slash = strrchr(info.dli_fname, '/');
    if (!slash)
        return 0;
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%.*s/%s", (int)(slash - info.dli_fname), info.dli_fname,
                     HS_LIB_TO_DATA);
    if (n <= 0 || (size_t)n >= sizeof dir || !is_dir(dir))
        return 0;
    return roots_add(r, dir, (size_t)n);
}

static int roots_get(roots *r)
{
    *r = (roots){0};
    const char *env = getenv("HETSOC_DATA_PATH");
    for (const char *s = env; s && *s;) {
        size_t n = strcspn(s, ":");
        if (n > 0 && roots_add(r, s, n) < 0)
            goto oom;
        s += n + (s[n] == ':');
    }
    if (roots_add_installed(r) < 0 || roots_add(r, HS_SOURCE_DIR, strlen(HS_SOURCE_DIR)) < 0 ||
        roots_add(r, HS_DATA_DIR, strlen(HS_DATA_DIR)) < 0)
        goto oom;
    return 0;
oom:
    roots_free(r);
    return -1;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

typedef struct builtin {
    char *name, *path;
} builtin;

typedef struct builtins {
    builtin *v;
    size_t len, cap;
} builtins;

static void builtins_free(builtins *b)
{
    for (size_t i = 0; i < b->len; i++) {
        free(b->v[i].name);
        free(b->v[i].path);
    }
    free(b->v);
}

static bool builtins_has(const builtins *b, const char *name, size_t n)
{
    for (size_t i = 0; i < b->len; i++)
        if (strncmp(b->v[i].name, name, n) == 0 && b->v[i].name[n] == '\0')
            return true;
    return false;
}

/* Adds FOLDER/NAME.yaml unless an earlier folder already gave NAME. */
static int builtins_add(builtins *b, const char *folder, const char *file)
{
    size_t n = strlen(file);
    if (n <= 5 || file[0] == '.' || strcmp(file + n - 5, ".yaml") != 0 || builtins_has(b, file, n - 5))
        return 0;
    char *path = NULL;
    if (asprintf(&path, "%s/%s", folder, file) < 0)
        return -1;
    if (!is_file(path)) {
        free(path);
        return 0;
    }
    if (b->len == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        builtin *v = realloc(b->v, cap * sizeof *v);
        if (!v) {
            free(path);
            return -1;
        }
        b->v = v;
        b->cap = cap;
    }
    char *name = strndup(file, n - 5);
    if (!name) {
        free(path);
        return -1;
    }
    b->v[b->len++] = (builtin){name, path};
    return 0;
}

static int builtin_cmp(const void *a, const void *b)
{
    return strcmp(((const builtin *)a)->name, ((const builtin *)b)->name);
}

/* Every built-in DIR/NAME.yaml, sorted by name (readdir's order is the
 * file system's, not ours). */
static int builtins_collect(const char *dir, const roots *r, builtins *b)
{
    *b = (builtins){0};
    for (size_t i = 0; i < r->len; i++) {
        char *folder = NULL;
        if (asprintf(&folder, "%s/%s", r->dir[i], dir) < 0)
            goto oom;
        DIR *d = opendir(folder);
        for (struct dirent *e; d && (e = readdir(d));) {
            if (builtins_add(b, folder, e->d_name) < 0) {
                closedir(d);
                free(folder);
                goto oom;
            }
        }
        if (d)
            closedir(d);
        free(folder);
    }
    if (b->len > 1)
        qsort(b->v, b->len, sizeof *b->v, builtin_cmp);
    return 0;
oom:
    builtins_free(b);
    return -1;
}

int hs_conf_list_builtin(const char *dir, void (*fn)(const char *name, const char *path, void *ctx), void *ctx)
{
    roots r;
    builtins b;
    if (!dir || roots_get(&r) < 0)
        return -1;
    int rc = builtins_collect(dir, &r, &b);
    roots_free(&r);
    if (rc < 0)
        return -1;
    for (size_t i = 0; fn && i < b.len; i++)
        fn(b.v[i].name, b.v[i].path, ctx);
    int count = (int)b.len;
    builtins_free(&b);
    return count;
}

static bool looks_like_path(const char *arg)
{
    size_t n = strlen(arg);
    return strchr(arg, '/') || (n >= 5 && strcmp(arg + n - 5, ".yaml") == 0) ||
           (n >= 4 && strcmp(arg + n - 4, ".yml") == 0);
}

/* "hw" -> "hw", "workloads" -> "workload": what one built-in file is. */
static void noun_of(const char *dir, char *buf, size_t size)
{
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    snprintf(buf, size, "%s", base);
    size_t n = strlen(buf);
    if (n > 3 && strcmp(buf + n - 3, "ies") == 0)
        strcpy(buf + n - 3, "y");
    else if (n > 1 && buf[n - 1] == 's')
        buf[n - 1] = '\0';
}

static int copy_path(const char *path, char *buf, size_t bufsize, hs_err *err)
{
    if (strlen(path) >= bufsize)
        return hs_err_at(err, path, 0, 0, "path too long");
    strcpy(buf, path);
    return 0;
}

/* The error for a name no folder holds, with the names that do exist. */
static int unknown_builtin(const char *dir, const char *arg, const roots *r, hs_err *err)
{
    char noun[64], q[HS_CONF_QUOTE_BUF], list[HS_ERR_MSG_MAX / 2];
    noun_of(dir, noun, sizeof noun);
    hs_conf_quote(arg, q, sizeof q);
    builtins b;
    if (builtins_collect(dir, r, &b) < 0)
        return hs_errf(err, "out of memory");
    if (b.len == 0) {
        size_t o = 0;
        list[0] = '\0';
        for (size_t i = 0; i < r->len && o + 8 < sizeof list; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s/%s", i ? ", " : "", r->dir[i], dir);
        builtins_free(&b);
        return hs_errf(err, "unknown %s '%s': no built-in %s files found (looked in %s)", noun, q, noun, list);
    }
    const char **names = malloc((b.len + 1) * sizeof *names);
    if (!names) {
        builtins_free(&b);
        return hs_errf(err, "out of memory");
    }
    for (size_t i = 0; i < b.len; i++)
        names[i] = b.v[i].name;
    names[b.len] = NULL;
    join_names(names, b.len, list, sizeof list);
    const char *near = hs_nearest(arg, names);
    if (near)
        hs_errf(err, "unknown %s '%s' (did you mean '%s'?); built-in: %s", noun, q, near, list);
    else
        hs_errf(err, "unknown %s '%s'; built-in: %s", noun, q, list);
    free(names);
    builtins_free(&b);
    return -1;
}

int hs_conf_resolve(const char *dir, const char *arg, char *buf, size_t bufsize, hs_err *err)
{
    if (!dir || !arg || !*arg || !buf || bufsize == 0) {
        char noun[64] = "file";
        if (dir)
            noun_of(dir, noun, sizeof noun);
        return hs_errf(err, "no %s name given", noun);
    }
    if (looks_like_path(arg))
        return copy_path(arg, buf, bufsize, err);
    roots r;
    if (roots_get(&r) < 0)
        return hs_errf(err, "out of memory");
    int rc = -1;
    for (size_t i = 0; i < r.len && rc < 0; i++) {
        char *path = NULL;
        if (asprintf(&path, "%s/%s/%s.yaml", r.dir[i], dir, arg) < 0)
            break;
        if (is_file(path))
            rc = copy_path(path, buf, bufsize, err) == 0 ? 0 : -2;
        free(path);
    }
    if (rc == -1)
        unknown_builtin(dir, arg, &r, err);
    roots_free(&r);
    return rc < 0 ? -1 : 0;
}
