/* hetsoc: the YAML configuration tree (see conf.h): loading with libyaml's
 * event API, building, copying, comparing, emitting, dotted paths, and the
 * interned file names.
 *
 * The loader is iterative (an explicit stack of open collections, capped at
 * HS_CONF_MAX_DEPTH) so hostile input cannot overflow the C stack; the
 * recursive helpers below (free, copy, equal, emit) only ever see trees
 * whose depth that cap bounds, or trees built deliberately in code. */
#define _GNU_SOURCE /* vasprintf */
#include "sim/conf/conf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define BUILTIN_FILE "<built-in>"

/* ---- Interned file names. --------------------------------------------- */

/* Open addressing over strdup'd strings.  The table lives in statics so a
 * leak checker sees every string as reachable at exit. */
static struct {
    char **slot;
    size_t cap, len;
    pthread_mutex_t lock;
} intern_tab = {.lock = PTHREAD_MUTEX_INITIALIZER};

static size_t str_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603u;  /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return (size_t)h;
}

static int intern_grow(void)
{
    size_t cap = intern_tab.cap ? 2 * intern_tab.cap : 64;
    char **slot = calloc(cap, sizeof *slot);
    if (!slot)
        return -1;
    for (size_t i = 0; i < intern_tab.cap; i++) {
        char *s = intern_tab.slot[i];
        if (!s)
            continue;
        size_t j = str_hash(s, strlen(s)) & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = s;
    }
    free(intern_tab.slot);
    intern_tab.slot = slot;
    intern_tab.cap = cap;
    return 0;
}

static const char *intern_locked(const char *s)
{
    if (2 * (intern_tab.len + 1) > intern_tab.cap && intern_grow() < 0)
        return NULL;
    size_t mask = intern_tab.cap - 1, j = str_hash(s, strlen(s)) & mask;
    for (; intern_tab.slot[j]; j = (j + 1) & mask)
        if (strcmp(intern_tab.slot[j], s) == 0)
            return intern_tab.slot[j];
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    intern_tab.slot[j] = copy;
    intern_tab.len++;
    return copy;
}

const char *hs_conf_intern(const char *s)
{
    if (!s)
        return NULL;
    pthread_mutex_lock(&intern_tab.lock);
    const char *r = intern_locked(s);
    pthread_mutex_unlock(&intern_tab.lock);
    return r;
}

/* ---- Nodes. ----------------------------------------------------------- */

/* file must already be interned (or NULL). */
static hs_node *node_alloc(hs_node_kind kind, const char *file, int line, int col)
{
    hs_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->file = file ? file : BUILTIN_FILE;
    n->line = line;
    n->col = col;
    return n;
}

static hs_node *scalar_alloc(const char *text, size_t len, const char *file, int line, int col)
{
    hs_node *n = node_alloc(HS_NODE_SCALAR, file, line, col);
    if (!n)
        return NULL;
    n->scalar = strndup(text ? text : "", text ? len : 0);
    if (!n->scalar) {
        free(n);
        return NULL;
    }
    return n;
}

static const char *intern_or_builtin(const char *file)
{
    return file ? hs_conf_intern(file) : BUILTIN_FILE;
}

hs_node *hs_node_new_scalar(const char *text, const char *file, int line, int col)
{
    const char *f = intern_or_builtin(file);
    return f ? scalar_alloc(text, text ? strlen(text) : 0, f, line, col) : NULL;
}

hs_node *hs_node_new_seq(const char *file, int line, int col)
{
    const char *f = intern_or_builtin(file);
    return f ? node_alloc(HS_NODE_SEQ, f, line, col) : NULL;
}

hs_node *hs_node_new_map(const char *file, int line, int col)
{
    const char *f = intern_or_builtin(file);
    return f ? node_alloc(HS_NODE_MAP, f, line, col) : NULL;
}

hs_node *hs_node_new_f64(double v, const char *file, int line, int col)
{
    char text[32];
    if (isnan(v))
        snprintf(text, sizeof text, ".nan");
    else if (isinf(v))
        snprintf(text, sizeof text, v > 0 ? ".inf" : "-.inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(text, sizeof text, "%.0f", v);   /* 20, not 2e+01 */
    else
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(text, sizeof text, "%.*g", prec, v);
            if (strtod(text, NULL) == v)
                break;
        }
    return hs_node_new_scalar(text, file, line, col);
}

hs_node *hs_node_new_i64(int64_t v, const char *file, int line, int col)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, v);
    return hs_node_new_scalar(text, file, line, col);
}

int hs_node_set_comment(hs_node *n, const char *fmt, ...)
{
    if (!n)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int rc = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    free(n->comment);
    n->comment = text;
    return 0;
}

/* Makes room for one more item (and key, for a map).  Each array is
 * reallocated separately; cap only moves once all have grown, so a failure
 * half-way leaves a consistent node. */
static int node_reserve(hs_node *n)
{
    if (n->len < n->cap)
        return 0;
    size_t cap = n->cap ? 2 * n->cap : 4;
    hs_node **items = realloc(n->items, cap * sizeof *items);
    if (!items)
        return -1;
    n->items = items;
    if (n->kind == HS_NODE_MAP) {
        char **keys = realloc(n->keys, cap * sizeof *keys);
        if (!keys)
            return -1;
        n->keys = keys;
        int *kl = realloc(n->key_line, cap * sizeof *kl);
        if (!kl)
            return -1;
        n->key_line = kl;
        int *kc = realloc(n->key_col, cap * sizeof *kc);
        if (!kc)
            return -1;
        n->key_col = kc;
    }
    n->cap = cap;
    return 0;
}

int hs_seq_append(hs_node *seq, hs_node *item)
{
    if (!seq || seq->kind != HS_NODE_SEQ || !item || node_reserve(seq) < 0)
        return -1;
    seq->items[seq->len++] = item;
    return 0;
}

/* Appends a pair without looking for the key; takes key (malloc'd). */
static int map_push(hs_node *map, char *key, int kline, int kcol, hs_node *value)
{
    if (node_reserve(map) < 0)
        return -1;
    map->keys[map->len] = key;
    map->key_line[map->len] = kline;
    map->key_col[map->len] = kcol;
    map->items[map->len++] = value;
    return 0;
}

static long map_find(const hs_node *map, const char *key, size_t klen)
{
    for (size_t i = 0; i < map->len; i++)
        if (strncmp(map->keys[i], key, klen) == 0 && map->keys[i][klen] == '\0')
            return (long)i;
    return -1;
}

int hs_map_set(hs_node *map, const char *key, hs_node *value)
{
    if (!map || map->kind != HS_NODE_MAP || !key || !value)
        return -1;
    long i = map_find(map, key, strlen(key));
    if (i >= 0) {
        if (map->items[i] != value)
            hs_node_free(map->items[i]);
        map->items[i] = value;
        return 0;
    }
    char *k = strdup(key);
    if (!k || map_push(map, k, value->line, value->col, value) < 0) {
        free(k);
        return -1;
    }
    return 0;
}

hs_node *hs_map_get(const hs_node *map, const char *key)
{
    if (!map || map->kind != HS_NODE_MAP || !key)
        return NULL;
    long i = map_find(map, key, strlen(key));
    return i >= 0 ? map->items[i] : NULL;
}

void hs_node_free(hs_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->len; i++) {
        hs_node_free(n->items[i]);
        if (n->keys)
            free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->key_line);
    free(n->key_col);
    free(n->scalar);
    free(n->comment);
    free(n);
}

hs_node *hs_node_copy(const hs_node *n)
{
    if (!n)
        return NULL;
    hs_node *c = n->kind == HS_NODE_SCALAR
                     ? scalar_alloc(n->scalar, strlen(n->scalar), n->file, n->line, n->col)
                     : node_alloc(n->kind, n->file, n->line, n->col);
    if (!c)
        return NULL;
    c->quoted = n->quoted;
    c->flow = n->flow;
    if (n->comment && !(c->comment = strdup(n->comment))) {
        hs_node_free(c);
        return NULL;
    }
    for (size_t i = 0; i < n->len; i++) {
        hs_node *item = hs_node_copy(n->items[i]);
        int rc = -1;
        if (item && n->kind == HS_NODE_SEQ) {
            rc = hs_seq_append(c, item);
        } else if (item) {
            char *k = strdup(n->keys[i]);
            rc = k ? map_push(c, k, n->key_line[i], n->key_col[i], item) : -1;
            if (rc < 0)
                free(k);
        }
        if (rc < 0) {
            hs_node_free(item);
            hs_node_free(c);
            return NULL;
        }
    }
    return c;
}

bool hs_node_equal(const hs_node *a, const hs_node *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || a->len != b->len)
        return false;
    if (a->kind == HS_NODE_SCALAR)
        return a->quoted == b->quoted && strcmp(a->scalar, b->scalar) == 0;
    for (size_t i = 0; i < a->len; i++) {
        if (a->kind == HS_NODE_MAP && strcmp(a->keys[i], b->keys[i]) != 0)
            return false;
        if (!hs_node_equal(a->items[i], b->items[i]))
            return false;
    }
    return true;
}

const char *hs_node_kind_name(hs_node_kind k)
{
    switch (k) {
    case HS_NODE_SCALAR:
        return "scalar";
    case HS_NODE_SEQ:
        return "sequence";
    case HS_NODE_MAP:
        return "mapping";
    }
    return "node";
}

int hs_node_err(const hs_node *n, hs_err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char msg[HS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!n)
        return hs_errf(err, "%s", msg);
    return hs_err_at(err, n->file, n->line, n->col, "%s", msg);
}

/* ---- Positions in raw text. ------------------------------------------- */

/* 1-based line and column of byte offset off, counted the way libyaml
 * counts: breaks are LF, CRLF or CR, columns are characters (UTF-8 lead
 * bytes), and a leading byte-order mark takes no column. */
static void text_pos(const char *text, size_t off, int *line, int *col)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    int l = 1, c = 1;
    if (off >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        i = 3;
    for (; i < off; i++) {
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= off || s[i + 1] != '\n'))) {
            l++;
            c = 1;
        } else if (s[i] != '\r' && (s[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Length of the valid UTF-8 character at s (n bytes left), or 0 when it is
 * invalid: truncated, overlong, a surrogate, or above U+10FFFF. */
static size_t utf8_char_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len;
    uint32_t cp, min;
    if ((s[0] & 0xE0) == 0xC0)
        len = 2, cp = s[0] & 0x1F, min = 0x80;
    else if ((s[0] & 0xF0) == 0xE0)
        len = 3, cp = s[0] & 0x0F, min = 0x800;
    else if ((s[0] & 0xF8) == 0xF0)
        len = 4, cp = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* A NUL or a byte that is not UTF-8 means the user pointed us at the wrong
 * file (an HDF5 result, a .so); say so plainly instead of letting libyaml
 * report some puzzling token error. */
static int check_text(const char *text, size_t len, const char *file, hs_err *err)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        size_t n = s[i] ? utf8_char_len(s + i, len - i) : 0;
        if (n == 0) {
            int line, col;
            text_pos(text, i, &line, &col);
            if (s[i] == 0)
                return hs_err_at(err, file, line, col,
                                 "binary content: NUL byte at offset %zu (expected UTF-8 YAML text)", i);
            return hs_err_at(err, file, line, col,
                             "binary content: invalid UTF-8 byte 0x%02x at offset %zu "
                             "(expected UTF-8 YAML text)",
                             s[i], i);
        }
        i += n;
    }
    return 0;
}

/* ---- Loading. --------------------------------------------------------- */

/* One open collection.  A mapping alternates key and value: key is NULL
 * while a key is expected, else the pending key (owned) awaiting its value.
 * seen indexes the mapping's keys by hash so that duplicate detection stays
 * linear even for huge mappings. */
typedef struct frame {
    hs_node *node;
    char *key;
    int key_line, key_col;
    char *anchor;        /* registered when the collection ends */
    size_t nodes_before; /* loader's node count before this collection */
    int height;          /* collection levels in the subtree so far */
    size_t *seen;        /* slots hold key index + 1; 0 is empty */
    size_t seen_cap;
} frame;

/* An anchored node, for aliases to copy.  Key anchors have no node in the
 * tree, so their scalar is owned here. */
typedef struct anchor {
    char *name;
    hs_node *node;
    bool owned;
    size_t nodes;  /* nodes in the subtree */
    int height;    /* collection levels: 0 for a scalar */
} anchor;

typedef struct loader {
    const char *file;
    hs_err *err;
    frame stack[HS_CONF_MAX_DEPTH];
    int depth;
    anchor *anchors;
    size_t nanchors, anchors_cap;
    size_t *anchor_hash, anchor_hash_cap;
    size_t nodes;
    int docs;
    hs_node *root;
} loader;

/* "<--set x>" or "<string>" names text that is not a file. */
static const char *source_noun(const char *name)
{
    return name[0] == '<' ? "input" : "file";
}

static void mark_pos(yaml_mark_t m, int *line, int *col)
{
    *line = (int)m.line + 1;
    *col = (int)m.column + 1;
}

static int err_mark(loader *L, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int err_mark(loader *L, yaml_mark_t m, const char *fmt, ...)
{
    char msg[HS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line, col;
    mark_pos(m, &line, &col);
    return hs_err_at(L->err, L->file, line, col, "%s", msg);
}

static int err_oom(loader *L)
{
    return hs_err_at(L->err, L->file, 0, 0, "out of memory while loading");
}

static frame *top(loader *L)
{
    return L->depth > 0 ? &L->stack[L->depth - 1] : NULL;
}

static bool expecting_key(loader *L)
{
    frame *f = top(L);
    return f && f->node->kind == HS_NODE_MAP && !f->key;
}

static int count_nodes(loader *L, size_t add, yaml_mark_t m)
{
    if (add > HS_CONF_MAX_NODES - L->nodes)
        return err_mark(L, m, "document too large: more than %d nodes after expanding aliases",
                        HS_CONF_MAX_NODES);
    L->nodes += add;
    return 0;
}

/* Anchors are found through a hash of their names (slots hold index + 1
 * into L->anchors), so a file with many anchors and aliases stays linear. */
static size_t *anchor_slot(loader *L, const char *name)
{
    size_t mask = L->anchor_hash_cap - 1, j = str_hash(name, strlen(name)) & mask;
    while (L->anchor_hash[j] && strcmp(L->anchors[L->anchor_hash[j] - 1].name, name) != 0)
        j = (j + 1) & mask;
    return &L->anchor_hash[j];
}

static int anchor_rehash(loader *L)
{
    size_t cap = L->anchor_hash_cap ? 2 * L->anchor_hash_cap : 16;
    size_t *h = calloc(cap, sizeof *h);
    if (!h)
        return -1;
    free(L->anchor_hash);
    L->anchor_hash = h;
    L->anchor_hash_cap = cap;
    for (size_t i = 0; i < L->nanchors; i++)
        *anchor_slot(L, L->anchors[i].name) = i + 1;  /* later ones overwrite */
    return 0;
}

/* A redefined name keeps both entries (the older copy may own its node)
 * but the hash points at the latest, as YAML says aliases refer to the
 * most recent anchor of that name. */
static int add_anchor(loader *L, const char *name, hs_node *node, bool owned, size_t nodes, int height)
{
    if (L->nanchors == L->anchors_cap) {
        size_t cap = L->anchors_cap ? 2 * L->anchors_cap : 8;
        anchor *a = realloc(L->anchors, cap * sizeof *a);
        if (!a)
            return -1;
        L->anchors = a;
        L->anchors_cap = cap;
    }
    if (2 * (L->nanchors + 1) > L->anchor_hash_cap && anchor_rehash(L) < 0)
        return -1;
    char *nm = strdup(name);
    if (!nm)
        return -1;
    L->anchors[L->nanchors++] = (anchor){nm, node, owned, nodes, height};
    *anchor_slot(L, nm) = L->nanchors;
    return 0;
}

static const anchor *find_anchor(loader *L, const char *name)
{
    if (L->anchor_hash_cap == 0)
        return NULL;
    size_t i = *anchor_slot(L, name);
    return i ? &L->anchors[i - 1] : NULL;
}

/* Records key as the pending key of the top mapping; a key already in the
 * mapping is an error here, at the second occurrence. */
static int take_key(loader *L, char *key, yaml_mark_t m)
{
    frame *f = top(L);
    hs_node *map = f->node;
    if (2 * (map->len + 1) > f->seen_cap) {
        size_t cap = f->seen_cap ? 2 * f->seen_cap : 16;
        size_t *seen = calloc(cap, sizeof *seen);
        if (!seen) {
            free(key);
            return err_oom(L);
        }
        for (size_t i = 0; i < map->len; i++) {
            size_t j = str_hash(map->keys[i], strlen(map->keys[i])) & (cap - 1);
            while (seen[j])
                j = (j + 1) & (cap - 1);
            seen[j] = i + 1;
        }
        free(f->seen);
        f->seen = seen;
        f->seen_cap = cap;
    }
    size_t mask = f->seen_cap - 1, j = str_hash(key, strlen(key)) & mask;
    for (; f->seen[j]; j = (j + 1) & mask) {
        size_t i = f->seen[j] - 1;
        if (strcmp(map->keys[i], key) == 0) {
            char q[HS_CONF_QUOTE_BUF];
            err_mark(L, m, "duplicate key '%s' (first defined at line %d, column %d)",
                     hs_conf_quote(key, q, sizeof q), map->key_line[i], map->key_col[i]);
            free(key);
            return -1;
        }
    }
    f->seen[j] = map->len + 1;  /* the index the pair will get */
    f->key = key;
    mark_pos(m, &f->key_line, &f->key_col);
    return 0;
}

/* Places a finished or just-opened node into the top collection, or makes
 * it the root.  height counts collection levels: 0 for a scalar, 1 for a
 * collection of scalars. */
static int attach(loader *L, hs_node *n, int height)
{
    frame *f = top(L);
    if (!f) {
        L->root = n;
        return 0;
    }
    int rc;
    if (f->node->kind == HS_NODE_SEQ) {
        rc = hs_seq_append(f->node, n);
    } else {
        rc = map_push(f->node, f->key, f->key_line, f->key_col, n);
        if (rc == 0)
            f->key = NULL;
    }
    if (rc < 0) {
        hs_node_free(n);
        return err_oom(L);
    }
    if (height + 1 > f->height)
        f->height = height + 1;
    return 0;
}

static bool plain_ok(const char *s);

static bool is_string_tag(const yaml_char_t *tag)
{
    return tag && (strcmp((const char *)tag, YAML_STR_TAG) == 0 || strcmp((const char *)tag, "!") == 0);
}

static int on_scalar(loader *L, const yaml_event_t *ev)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(value, '\0', len))
        return err_mark(L, ev->start_mark, "a scalar may not contain a NUL character");
    if (count_nodes(L, 1, ev->start_mark) < 0)
        return -1;
    const char *anchor_name = (const char *)ev->data.scalar.anchor;
    int line, col;
    mark_pos(ev->start_mark, &line, &col);
    hs_node *n = scalar_alloc(value, len, L->file, line, col);
    if (!n)
        return err_oom(L);
    /* A plain scalar the emitter could not write plain ("-" from a flow
     * sequence, text folded from several lines) can only be a string;
     * marking it so keeps load -> emit -> load exact. */
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || is_string_tag(ev->data.scalar.tag) ||
                (len > 0 && !plain_ok(n->scalar));
    if (expecting_key(L)) {
        /* A key anchor lives only in the anchor table. */
        if (anchor_name && add_anchor(L, anchor_name, n, true, 1, 0) < 0) {
            hs_node_free(n);
            return err_oom(L);
        }
        char *key = anchor_name ? strdup(n->scalar) : n->scalar;
        if (!anchor_name)
            free(n);  /* keep only its text */
        return key ? take_key(L, key, ev->start_mark) : err_oom(L);
    }
    if (attach(L, n, 0) < 0)
        return -1;
    if (anchor_name && add_anchor(L, anchor_name, n, false, 1, 0) < 0)
        return err_oom(L);
    return 0;
}

static int on_alias(loader *L, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    char q[HS_CONF_QUOTE_BUF];
    const anchor *a = find_anchor(L, name);
    if (!a)
        return err_mark(L, ev->start_mark, "undefined alias '*%s'", hs_conf_quote(name, q, sizeof q));
    if (expecting_key(L)) {
        if (a->node->kind != HS_NODE_SCALAR)
            return err_mark(L, ev->start_mark, "mapping keys must be scalars, found an alias to a %s",
                            hs_node_kind_name(a->node->kind));
        char *key = strdup(a->node->scalar);
        return key ? take_key(L, key, ev->start_mark) : err_oom(L);
    }
    if (L->depth + a->height > HS_CONF_MAX_DEPTH)
        return err_mark(L, ev->start_mark, "nesting too deep: more than %d levels", HS_CONF_MAX_DEPTH);
    if (count_nodes(L, a->nodes, ev->start_mark) < 0)
        return -1;
    hs_node *c = hs_node_copy(a->node);
    if (!c)
        return err_oom(L);
    mark_pos(ev->start_mark, &c->line, &c->col);
    return attach(L, c, a->height);
}

static int on_collection_start(loader *L, const yaml_event_t *ev)
{
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    hs_node_kind kind = is_map ? HS_NODE_MAP : HS_NODE_SEQ;
    if (expecting_key(L))
        return err_mark(L, ev->start_mark, "mapping keys must be scalars, found a %s", hs_node_kind_name(kind));
    if (L->depth >= HS_CONF_MAX_DEPTH)
        return err_mark(L, ev->start_mark, "nesting too deep: more than %d levels", HS_CONF_MAX_DEPTH);
    size_t before = L->nodes;
    if (count_nodes(L, 1, ev->start_mark) < 0)
        return -1;
    const yaml_char_t *anchor_name = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    char *anchor_copy = anchor_name ? strdup((const char *)anchor_name) : NULL;
    int line, col;
    mark_pos(ev->start_mark, &line, &col);
    hs_node *n = node_alloc(kind, L->file, line, col);
    if (!n || (anchor_name && !anchor_copy)) {
        free(n);
        free(anchor_copy);
        return err_oom(L);
    }
    /* Attached now (height fixed up at the end) so that on any later error
     * freeing the root frees this node too. */
    if (attach(L, n, 1) < 0) {
        free(anchor_copy);
        return -1;
    }
    L->stack[L->depth++] = (frame){.node = n, .anchor = anchor_copy, .nodes_before = before, .height = 1};
    return 0;
}

static int on_collection_end(loader *L)
{
    frame f = L->stack[--L->depth];
    free(f.seen);
    free(f.key);  /* never set: libyaml always pairs keys with values */
    frame *parent = top(L);
    if (parent && f.height + 1 > parent->height)
        parent->height = f.height + 1;
    int rc = 0;
    if (f.anchor && add_anchor(L, f.anchor, f.node, false, L->nodes - f.nodes_before, f.height) < 0)
        rc = err_oom(L);
    free(f.anchor);
    return rc;
}

static int on_event(loader *L, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (L->docs++ > 0)
            return err_mark(L, ev->start_mark,
                            "a second YAML document starts here (a file holds exactly one)");
        return 0;
    case YAML_SCALAR_EVENT:
        return on_scalar(L, ev);
    case YAML_ALIAS_EVENT:
        return on_alias(L, ev);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        return on_collection_start(L, ev);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_collection_end(L);
    case YAML_STREAM_END_EVENT:
        if (L->docs == 0)
            return hs_err_at(L->err, L->file, 1, 1, "no YAML document (the %s holds only blank lines or comments)",
                             source_noun(L->file));
        return 0;
    default:
        return 0;
    }
}

/* libyaml's own diagnostics, moved to our format.  Its marks are 0-based;
 * a reader error (bad encoding, control character) only has an offset. */
static int syntax_error(loader *L, const yaml_parser_t *p, const char *text)
{
    int line, col;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return err_oom(L);
    case YAML_READER_ERROR:
        text_pos(text, p->problem_offset, &line, &col);
        if (p->problem_value >= 0)
            return hs_err_at(L->err, L->file, line, col, "%s (character 0x%x)", problem, p->problem_value);
        return hs_err_at(L->err, L->file, line, col, "%s", problem);
    default:
        mark_pos(p->problem_mark, &line, &col);
        /* The context adds nothing when it points at the problem itself. */
        if (p->context && (p->context_mark.line != p->problem_mark.line ||
                           p->context_mark.column != p->problem_mark.column)) {
            int cl, cc;
            mark_pos(p->context_mark, &cl, &cc);
            return hs_err_at(L->err, L->file, line, col, "%s (%s at line %d, column %d)", problem,
                             p->context, cl, cc);
        }
        return hs_err_at(L->err, L->file, line, col, "%s", problem);
    }
}

static void loader_cleanup(loader *L)
{
    while (L->depth > 0) {
        frame *f = &L->stack[--L->depth];
        free(f->seen);
        free(f->key);
        free(f->anchor);
    }
    for (size_t i = 0; i < L->nanchors; i++) {
        free(L->anchors[i].name);
        if (L->anchors[i].owned)
            hs_node_free(L->anchors[i].node);
    }
    free(L->anchors);
    free(L->anchor_hash);
}

static bool only_blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", text[i]))
            return false;
    return true;
}

hs_node *hs_conf_load_string(const char *text, size_t len, const char *name, hs_err *err)
{
    const char *file = hs_conf_intern(name ? name : "<string>");
    if (!file) {
        hs_errf(err, "out of memory");
        return NULL;
    }
    if (!text)
        len = 0;
    if (check_text(text, len, file, err) < 0)
        return NULL;
    /* A UTF-8 byte-order mark (some editors write one) is no content: libyaml
     * is given the text after it (the check above counts offsets with it). */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3, len -= 3;
    if (len == 0 || only_blank(text, len)) {
        hs_err_at(err, file, 1, 1, "empty %s (expected a YAML document)", source_noun(file));
        return NULL;
    }
    loader *L = calloc(1, sizeof *L);  /* the frame stack is too big for the C stack */
    yaml_parser_t p;
    if (!L || !yaml_parser_initialize(&p)) {
        free(L);
        hs_errf(err, "out of memory");
        return NULL;
    }
    L->file = file;
    L->err = err;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    int rc = 0;
    for (bool done = false; !done && rc == 0;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = syntax_error(L, &p, text);
            break;
        }
        rc = on_event(L, &ev);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    loader_cleanup(L);
    hs_node *root = L->root;
    free(L);
    if (rc < 0) {
        hs_node_free(root);
        return NULL;
    }
    return root;
}

/* Reads the whole file: configurations are small, and the binary check
 * needs all bytes before libyaml sees any. */
static char *read_all(FILE *f, const char *path, size_t *len, hs_err *err)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            hs_err_at(err, path, 0, 0, "cannot read: %s", strerror(errno));
            free(buf);
            return NULL;
        }
        if (n < cap)
            break;  /* fread stopped short without an error: end of file */
        if (cap >= HS_CONF_MAX_BYTES) {
            hs_err_at(err, path, 0, 0, "file too large (more than %zu MiB)", HS_CONF_MAX_BYTES >> 20);
            free(buf);
            return NULL;
        }
        char *bigger = realloc(buf, 2 * cap);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    if (!buf)
        hs_err_at(err, path, 0, 0, "out of memory reading the file");
    *len = n;
    return buf;
}

hs_node *hs_conf_load_file(const char *path, hs_err *err)
{
    if (!path) {
        hs_errf(err, "no file name given");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        hs_err_at(err, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    errno = 0;
    size_t len = 0;
    char *text = read_all(f, path, &len, err);
    fclose(f);
    if (!text)
        return NULL;
    hs_node *root = hs_conf_load_string(text, len, path, err);
    free(text);
    return root;
}

/* ---- Emitting. -------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_indent(sbuf *b, int n)
{
    for (int i = 0; i < n; i++)
        sb_put(b, " ", 1);
}

/* Code point of a multi-byte character YAML treats specially: C1
 * controls, the Unicode line and paragraph separators, the byte-order
 * mark.  0 when it is an ordinary character. */
static uint32_t special_char(const unsigned char *s)
{
    if (s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F)
        return s[1];
    if (s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9))
        return 0x2000u + s[2] - 0x80u;
    if (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        return 0xFEFF;
    return 0;
}

/* Whether s can be written as a plain scalar in block context and read
 * back as the same text.  This mirrors libyaml's scanner: a plain scalar
 * cannot start with an indicator (but "-x", "?x", ":x" are fine) or a
 * document marker, cannot hold ": " or " #" (a tab counts as a space),
 * end with ':', or carry leading or trailing blanks, and holds printable
 * characters only (tabs inside are kept as they are). */
static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static bool plain_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!u[0] || is_blank(u[0]))
        return false;
    if (strchr("-?:", u[0])) {
        if (!u[1] || is_blank(u[1]))
            return false;
    } else if (strchr(",[]{}#&*!|>'\"%@`", u[0])) {
        return false;
    }
    if (strncmp(s, "---", 3) == 0 || strncmp(s, "...", 3) == 0)
        return false;
    for (size_t i = 0; u[i]; i++) {
        if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
            return false;
        if (u[i] == ':' && (is_blank(u[i + 1]) || !u[i + 1]))
            return false;
        if (u[i] == '#' && i > 0 && is_blank(u[i - 1]))
            return false;
        if (is_blank(u[i]) && !u[i + 1])
            return false;
        if (u[i] >= 0xC2 && special_char(u + i))
            return false;
    }
    return true;
}

static void emit_quoted(sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        char esc[16];
        uint32_t sp = *u >= 0xC2 ? special_char(u) : 0;
        if (*u == '"' || *u == '\\') {
            esc[0] = '\\', esc[1] = (char)*u, esc[2] = '\0';
        } else if (*u == '\n') {
            strcpy(esc, "\\n");
        } else if (*u == '\t') {
            strcpy(esc, "\\t");
        } else if (*u < 0x20 || *u == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", *u);
        } else if (sp) {
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)sp);
            u += sp >= 0x2000 ? 2 : 1;
        } else {
            sb_put(b, (const char *)u, 1);
            continue;
        }
        sb_str(b, esc);
    }
    sb_put(b, "\"", 1);
}

static void emit_scalar_text(sbuf *b, const char *s, bool quoted)
{
    if (!quoted && plain_ok(s))
        sb_str(b, s);
    else
        emit_quoted(b, s);
}

static bool is_empty_collection(const hs_node *n)
{
    return n->kind != HS_NODE_SCALAR && n->len == 0;
}

/* "# " lines at indent.  Whatever YAML would read as a line break (or a
 * control character) becomes a space, so the text cannot leak out of the
 * comment. */
static void emit_comment(sbuf *b, const char *text, int indent)
{
    const unsigned char *u = (const unsigned char *)text;
    while (u && *u) {
        sb_indent(b, indent);
        sb_put(b, "#", 1);
        if (*u != '\n')
            sb_put(b, " ", 1);
        for (; *u && *u != '\n'; u++) {
            uint32_t sp = *u >= 0xC2 ? special_char(u) : 0;
            if ((*u < 0x20 && *u != '\t') || *u == 0x7f || sp) {
                sb_put(b, " ", 1);
                u += sp ? (sp >= 0x2000 ? 2 : 1) : 0;
            } else {
                sb_put(b, (const char *)u, 1);
            }
        }
        sb_put(b, "\n", 1);
        u += *u == '\n';
    }
}

/* Whether s can be written plain inside a flow collection: as in block
 * context, and without the flow indicators or ':' (older libyaml refuses
 * "a:b" there). */
static bool flow_plain_ok(const char *s)
{
    return plain_ok(s) && !strpbrk(s, ",[]{}:");
}

enum { FLOW_KEY_MAX = 128 };

/* Whether n written in flow style reads back hs_node_equal to n. */
static bool flow_ok(const hs_node *n)
{
    if (n->kind == HS_NODE_SCALAR)
        return n->quoted || flow_plain_ok(n->scalar);
    for (size_t i = 0; i < n->len; i++)
        if ((n->kind == HS_NODE_MAP && strlen(n->keys[i]) > FLOW_KEY_MAX) || !flow_ok(n->items[i]))
            return false;
    return true;
}

static void emit_flow(sbuf *b, const hs_node *n)
{
    if (n->kind == HS_NODE_SCALAR) {
        if (!n->quoted && flow_plain_ok(n->scalar))
            sb_str(b, n->scalar);
        else
            emit_quoted(b, n->scalar);
        return;
    }
    bool map = n->kind == HS_NODE_MAP;
    sb_put(b, map ? "{" : "[", 1);
    for (size_t i = 0; i < n->len && !b->oom; i++) {
        if (i > 0)
            sb_str(b, ", ");
        if (map) {
            if (flow_plain_ok(n->keys[i]))
                sb_str(b, n->keys[i]);
            else
                emit_quoted(b, n->keys[i]);
            sb_str(b, ": ");
        }
        emit_flow(b, n->items[i]);
    }
    sb_put(b, map ? "}" : "]", 1);
}

static bool is_flow(const hs_node *n)
{
    return n->kind != HS_NODE_SCALAR && n->flow && flow_ok(n);
}

/* A block collection whose first entry can share the line of its dash
 * (its comment would have to go before the dash). */
static bool first_entry_inline(const hs_node *n)
{
    return !n->items[0]->comment;
}

static void emit_block(sbuf *b, const hs_node *n, int indent, bool first_inline);

/* A value after "key:" (after_dash false) or after "-". */
static void emit_value(sbuf *b, const hs_node *v, int indent, bool after_dash)
{
    if (v->kind == HS_NODE_SCALAR) {
        if (v->scalar[0] || v->quoted) {
            sb_put(b, " ", 1);
            emit_scalar_text(b, v->scalar, v->quoted);
        }
        sb_put(b, "\n", 1);
    } else if (is_empty_collection(v)) {
        sb_str(b, v->kind == HS_NODE_MAP ? " {}\n" : " []\n");
    } else if (is_flow(v)) {
        sb_put(b, " ", 1);
        emit_flow(b, v);
        sb_put(b, "\n", 1);
    } else if (after_dash && first_entry_inline(v)) {
        sb_put(b, " ", 1);  /* compact: the first entry shares the dash's line */
        emit_block(b, v, indent + 2, true);
    } else {
        sb_put(b, "\n", 1);
        emit_block(b, v, indent + 2, false);
    }
}

/* libyaml refuses implicit keys longer than 1024 characters; longer keys
 * use the explicit "? KEY" form. */
enum { IMPLICIT_KEY_MAX = 512 };

static void emit_key(sbuf *b, const char *key, const hs_node *value, int indent)
{
    sbuf k = {0};
    emit_scalar_text(&k, key, false);
    if (k.oom) {
        b->oom = true;
    } else if (k.len <= IMPLICIT_KEY_MAX) {
        sb_put(b, k.p, k.len);
        sb_put(b, ":", 1);
        emit_value(b, value, indent, false);
    } else {
        sb_str(b, "? ");
        sb_put(b, k.p, k.len);
        sb_put(b, "\n", 1);
        sb_indent(b, indent);
        sb_put(b, ":", 1);
        emit_value(b, value, indent, false);
    }
    free(k.p);
}

/* A non-empty collection, each entry at indent; with first_inline the
 * first entry's indentation is already on the line (after "- "). */
static void emit_block(sbuf *b, const hs_node *n, int indent, bool first_inline)
{
    for (size_t i = 0; i < n->len && !b->oom; i++) {
        if (i > 0 || !first_inline) {
            emit_comment(b, n->items[i]->comment, indent);
            sb_indent(b, indent);
        }
        if (n->kind == HS_NODE_MAP) {
            emit_key(b, n->keys[i], n->items[i], indent);
        } else {
            sb_put(b, "-", 1);
            emit_value(b, n->items[i], indent, true);
        }
    }
}

char *hs_node_to_yaml(const hs_node *n)
{
    if (!n)
        return NULL;
    sbuf b = {0};
    emit_comment(&b, n->comment, 0);
    if (n->kind == HS_NODE_SCALAR) {
        if (!n->scalar[0] && !n->quoted)
            sb_str(&b, "---\n");  /* an empty document, not an empty file */
        else
            emit_scalar_text(&b, n->scalar, n->quoted), sb_put(&b, "\n", 1);
    } else if (is_empty_collection(n)) {
        sb_str(&b, n->kind == HS_NODE_MAP ? "{}\n" : "[]\n");
    } else if (is_flow(n)) {
        emit_flow(&b, n);
        sb_put(&b, "\n", 1);
    } else {
        emit_block(&b, n, 0, false);
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---- Dotted paths. ---------------------------------------------------- */

/* A path component naming a sequence index: decimal digits only. */
static bool parse_index(const char *s, size_t n, size_t *out)
{
    if (n == 0 || n > 9)
        return false;
    size_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = 10 * v + (size_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* The child of n named by component s[0..len), or NULL. */
static hs_node *child(const hs_node *n, const char *s, size_t len)
{
    size_t i;
    if (n->kind == HS_NODE_MAP) {
        long k = map_find(n, s, len);
        return k >= 0 ? n->items[k] : NULL;
    }
    if (n->kind == HS_NODE_SEQ && parse_index(s, len, &i) && i < n->len)
        return n->items[i];
    return NULL;
}

hs_node *hs_node_at_path(const hs_node *root, const char *dotted)
{
    if (!root || !dotted || !*dotted)
        return NULL;
    const hs_node *cur = root;
    for (const char *s = dotted; cur;) {
        size_t len = strcspn(s, ".");
        if (len == 0)
            return NULL;
        cur = child(cur, s, len);
        if (!s[len])
            break;
        s += len + 1;
    }
    return (hs_node *)cur;
}

static bool valid_path(const char *dotted)
{
    if (!*dotted || *dotted == '.')
        return false;
    for (const char *s = dotted; *s; s++)
        if (s[0] == '.' && (s[1] == '.' || s[1] == '\0'))
            return false;
    return true;
}

/* Puts value as the child named by s[0..len) of cur (the last component). */
static int set_child(hs_node *cur, const char *dotted, const char *s, size_t len, hs_node *value,
                     hs_err *err)
{
    char q[HS_CONF_QUOTE_BUF];
    size_t i;
    if (cur->kind == HS_NODE_MAP) {
        char *key = strndup(s, len);
        int rc = key ? hs_map_set(cur, key, value) : -1;
        free(key);
        return rc < 0 ? hs_errf(err, "out of memory") : 0;
    }
    if (!parse_index(s, len, &i) || i > cur->len)
        return hs_node_err(cur, err, "cannot set '%s': this sequence has %zu items, '%.*s' is not an index",
                           hs_conf_quote(dotted, q, sizeof q), cur->len, (int)len, s);
    if (i == cur->len)
        return hs_seq_append(cur, value) < 0 ? hs_errf(err, "out of memory") : 0;
    if (cur->items[i] != value)
        hs_node_free(cur->items[i]);
    cur->items[i] = value;
    return 0;
}

int hs_node_set_path(hs_node *root, const char *dotted, hs_node *value, hs_err *err)
{
    char q[HS_CONF_QUOTE_BUF];
    if (!root || !value)
        return hs_errf(err, "cannot set a path: no tree or no value");
    if (!dotted || !valid_path(dotted))
        return hs_errf(err, "invalid parameter path '%s' (expected names joined by '.', e.g. a.b.c)",
                       hs_conf_quote(dotted ? dotted : "", q, sizeof q));
    if (root->kind == HS_NODE_SCALAR)
        return hs_node_err(root, err, "cannot set '%s': the document is a scalar, not a mapping",
                           hs_conf_quote(dotted, q, sizeof q));
    hs_node *cur = root;
    for (const char *s = dotted;;) {
        size_t len = strcspn(s, ".");
        if (!s[len])
            return set_child(cur, dotted, s, len, value, err);
        hs_node *next = child(cur, s, len);
        if (!next && cur->kind == HS_NODE_SEQ)
            return hs_node_err(cur, err, "cannot set '%s': '%.*s' is not an index of this sequence (%zu items)",
                               hs_conf_quote(dotted, q, sizeof q), (int)len, s, cur->len);
        if (next && next->kind == HS_NODE_SCALAR)
            return hs_node_err(next, err, "cannot set '%s': '%.*s' is a scalar, not a mapping",
                               hs_conf_quote(dotted, q, sizeof q), (int)(s + len - dotted), dotted);
        if (!next) {
            next = node_alloc(HS_NODE_MAP, value->file, value->line, value->col);
            if (!next || set_child(cur, dotted, s, len, next, err) < 0) {
                hs_node_free(next);
                return hs_errf(err, "out of memory");
            }
        }
        cur = next;
        s += len + 1;
    }
}
