/* hetsoc: user-facing errors and the YAML configuration tree.
 *
 * Every loader (hardware profiles, workloads, policies' parameters,
 * experiments) reads YAML through this module, so that every mistake in an
 * input file is reported the same way:
 *
 *     PATH:LINE:COL: error: MESSAGE
 *
 * Library code never prints or exits: a failing call fills an hs_err and
 * returns -1 (or NULL); the command line prints hs_err.msg and exits 1.
 *
 * The tree is our own (built from libyaml's event stream) rather than
 * libyaml's document, because configurations are edited after loading
 * (`--set a.b=v`, sweep parameters, inline profiles copied between files)
 * and every node must keep the file, line and column it came from.
 */
#ifndef HS_SIM_CONF_H
#define HS_SIM_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Public API: exported from libhetsoc.so, built with -fvisibility=hidden. */
#pragma GCC visibility push(default)

/* ---- Errors. --------------------------------------------------------- */
enum { HS_ERR_MSG_MAX = 1024 };

typedef struct hs_err {
    char msg[HS_ERR_MSG_MAX];  /* full line, e.g. "a.yaml:3:7: error: ..." */
} hs_err;

/* Sets err->msg to "error: MESSAGE" (no position).  Returns -1. */
int hs_errf(hs_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets err->msg to "PATH:LINE:COL: error: MESSAGE" (1-based line and
 * column; line 0 omits ":LINE:COL", col 0 omits ":COL", a NULL path gives
 * "error: MESSAGE").  Returns -1.  A message too long for msg is cut.
 * Every function of this header accepts err == NULL (nothing is kept). */
int hs_err_at(hs_err *err, const char *path, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Prints err->msg and a newline to f. */
void hs_err_print(const hs_err *err, FILE *f);
/* Writes text into buf (size bytes, at least 8) as it should appear between
 * quotes in a message: control characters escaped (\n, \xHH), cut after
 * about 60 bytes with "...".  Returns buf. */
const char *hs_conf_quote(const char *text, char *buf, size_t size);
enum { HS_CONF_QUOTE_BUF = 96 };  /* a buf size that never cuts early */

/* Writes s to f as a JSON string literal, quotes included (escaping '"',
 * '\\' and control characters); NULL writes "". */
void hs_json_string(FILE *f, const char *s);

/* ---- The tree. ------------------------------------------------------- */
typedef enum hs_node_kind {
    HS_NODE_SCALAR = 1,
    HS_NODE_SEQ,
    HS_NODE_MAP,
} hs_node_kind;

typedef struct hs_node hs_node;
struct hs_node {
    hs_node_kind kind;
    const char *file;   /* where it came from; lives as long as the process */
    int line, col;      /* 1-based */
    char *scalar;       /* HS_NODE_SCALAR: the text (never NULL) */
    bool quoted;        /* scalar was quoted: "1" is a string, not a number
                         * (also block scalars, !!str, and plain text that
                         * could only be a string, e.g. folded lines) */
    size_t len;         /* HS_NODE_SEQ: items; HS_NODE_MAP: pairs */
    size_t cap;
    char **keys;        /* HS_NODE_MAP: key of each pair (scalar keys only) */
    int *key_line, *key_col;
    hs_node **items;    /* SEQ items, or MAP values in key order */
    /* Presentation, for trees built to be emitted (loading sets neither;
     * hs_node_equal ignores both, hs_node_copy keeps both): */
    char *comment;      /* written as "# " lines before the node; NULL: none */
    bool flow;          /* a collection written on one line: [a, b], {k: v} */
};

/* Limits of a loaded document: nesting levels (collections inside
 * collections; so that nothing recursive can overflow the stack) and total
 * nodes after alias expansion (so that "billion laughs" cannot exhaust
 * memory).  Files above HS_CONF_MAX_BYTES are refused as well. */
enum { HS_CONF_MAX_DEPTH = 256, HS_CONF_MAX_NODES = 1000000 };
#define HS_CONF_MAX_BYTES ((size_t)256 << 20)

/* Parses a file holding exactly one YAML document.  A missing or
 * unreadable file, an empty file, binary content (NUL bytes, invalid
 * UTF-8), a syntax error, a non-scalar mapping key, a duplicate key, or a
 * second document: each is an error at its position.  Aliases are
 * expanded to copies (the copy's root carries the alias's position, its
 * inner nodes their anchored originals').  A plain scalar that is empty
 * (`key:`) is the text "", unquoted.  Tags are ignored except `!!str` and
 * `!`, which make a scalar quoted (a string).  Merge keys (`<<`) are not
 * expanded: `<<` is an ordinary key.  Returns the root or NULL with err set. */
hs_node *hs_conf_load_file(const char *path, hs_err *err);
/* Same for a string; name is used as PATH in messages (e.g. "<--set>";
 * NULL gives "<string>"; a name in <angle brackets> is not a file, so
 * "empty file" reads "empty input"). */
hs_node *hs_conf_load_string(const char *text, size_t len, const char *name, hs_err *err);
void hs_node_free(hs_node *n);                 /* NULL is fine */
hs_node *hs_node_copy(const hs_node *n);       /* deep; NULL on OOM */
/* Same kind, text, quoted flag, keys (in order) and items, recursively;
 * positions and files are ignored. */
bool hs_node_equal(const hs_node *a, const hs_node *b);
/* Interns a file name for hs_node.file: equal strings give one pointer,
 * kept until the process exits (reachable, so leak checkers stay quiet).
 * Thread-safe (one mutex); NULL on OOM or for NULL. */
const char *hs_conf_intern(const char *s);

/* Constructors, for trees built in code.  file may be NULL ("<built-in>");
 * it is interned, so a temporary buffer is fine.  A new scalar is unquoted:
 * its text is read as a number or a boolean where one belongs. */
hs_node *hs_node_new_scalar(const char *text, const char *file, int line, int col);
hs_node *hs_node_new_seq(const char *file, int line, int col);
hs_node *hs_node_new_map(const char *file, int line, int col);
/* A plain scalar holding v in the shortest decimal text that reads back as
 * exactly v (integers below 1e15 as such, "20"; else printf's %.{1..17}g:
 * "0.1", "1e+20"); infinities are ".inf"
 * and "-.inf", NaN ".nan" (which hs_node_f64 refuses).  NULL on OOM. */
hs_node *hs_node_new_f64(double v, const char *file, int line, int col);
hs_node *hs_node_new_i64(int64_t v, const char *file, int line, int col);
/* Sets n's comment to the formatted text (replacing any); lines are split
 * at '\n'.  Returns 0, or -1 on OOM (n keeps its old comment) or NULL n. */
int hs_node_set_comment(hs_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends item to a sequence (takes ownership).  Returns 0 or -1 (OOM, or
 * seq is not a sequence); on -1 the caller still owns item. */
int hs_seq_append(hs_node *seq, hs_node *item);
/* Sets key to value in a map, replacing (and freeing) an existing value;
 * takes ownership of value.  Returns 0 or -1 (OOM, or map is not a
 * mapping); on -1 the caller still owns value. */
int hs_map_set(hs_node *map, const char *key, hs_node *value);

/* Emits n as YAML text (block style), ending in a newline.  Scalars are
 * quoted when needed, and always when n->quoted, so that loading the text
 * gives a tree hs_node_equal to n (scalar text must be valid UTF-8; an
 * unquoted scalar that cannot be written plain, "a: b", comes back
 * quoted).  Loaded trees always round-trip.  A collection with `flow` is
 * written on one line, its descendants too, when that reads back the same
 * (else in block style: an unquoted scalar that is empty or holds one of
 * ",[]{}:", a long key); comments inside it are not written.  A comment
 * goes on the lines before its node: before the key in a mapping, the
 * dash in a sequence, at the top for n itself (control characters and
 * YAML line breaks in it become spaces).
 * Returns a malloc'd string, or NULL on OOM or for NULL. */
char *hs_node_to_yaml(const hs_node *n);

/* ---- Navigation. ----------------------------------------------------- */
const char *hs_node_kind_name(hs_node_kind k);  /* "scalar", "sequence", "mapping" */
/* Value of key in map; NULL when absent or map is not a mapping. */
hs_node *hs_map_get(const hs_node *map, const char *key);
/* The value at a dotted path ("policy.params.alpha"); NULL when absent.
 * A component that is a decimal number indexes a sequence ("pus.0.speed");
 * in a mapping every component is a key.  Keys holding '.' cannot be
 * named.  An empty path or component gives NULL. */
hs_node *hs_node_at_path(const hs_node *root, const char *dotted);
/* Sets the value at a dotted path, creating intermediate mappings (placed
 * at value's position), replacing (and freeing) an existing value.  In a
 * sequence, the last component may also be its length (appends).  Errors
 * when an intermediate node exists and is neither a mapping nor a sequence
 * indexed by a number in range, or when root is a scalar.  Takes ownership
 * of value on success; on -1 the caller still owns it. */
int hs_node_set_path(hs_node *root, const char *dotted, hs_node *value, hs_err *err);

/* Error positioned at node n (its file, line and column). Returns -1. */
int hs_node_err(const hs_node *n, hs_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Requires n to be of kind k, else "expected a K, found a J". */
int hs_node_expect(const hs_node *n, hs_node_kind k, hs_err *err);
/* Checks every key of map against the NULL-terminated list of allowed
 * keys.  An unknown key is an error at that key naming the nearest allowed
 * one (edit distance): "unknown key 'bandwdith' (did you mean
 * 'bandwidth'?)".  Also errors if map is not a mapping. */
int hs_map_check_keys(const hs_node *map, const char *const *allowed, hs_err *err);
/* The allowed key nearest to word, or NULL when none is close enough:
 * optimal-string-alignment distance (Levenshtein plus transpositions),
 * case-insensitive, at most a third of word's length (1 to 4) and less
 * than either length; a word of 3+ letters that begins a candidate also
 * matches.  Ties go to the earlier candidate.  With no suggestion,
 * hs_map_check_keys lists the valid keys instead. */
const char *hs_nearest(const char *word, const char *const *candidates);

/* ---- Typed scalar conversion with range checks. ---------------------- */
/* Each converts scalar node n; a wrong kind, text that is not a number,
 * overflow, or a value outside [lo, hi] is an error at n.  Messages name
 * the key for the hs_get_* forms and say "value" for the hs_node_* ones:
 *     'rate' must be a number, found 'fast'
 *     'rate' must be a number, found a string '5'     (quoted: a string)
 *     'rate' must be >= 0, found -1     (also "<= HI", "between LO and HI")
 *     integer '99999999999999999999' out of range
 * Numbers are YAML 1.2 core-schema plain scalars: [-+]?(DIGITS[.DIGITS*]
 * | .DIGITS)([eE][-+]?DIGITS)?, plus .inf/-.inf (then only [lo, hi]
 * decides); .nan, hex, "inf" and underscores are refused.  A bound at the
 * type's extreme (±INFINITY or ±DBL_MAX, INT64_MIN/MAX) is open and not
 * mentioned; lo = DBL_MIN means "> 0" (the message says so).  Integers are
 * [-+]?DIGITS, or an integral number such as 1e6 up to 2^53 in magnitude.
 * Underflow of a double (1e-400) gives 0 without error.  Parsing uses
 * strtod in the C locale: never setlocale(LC_NUMERIC, ...) in a process
 * using this. */
int hs_node_f64(const hs_node *n, double lo, double hi, double *out, hs_err *err);
int hs_node_i64(const hs_node *n, int64_t lo, int64_t hi, int64_t *out, hs_err *err);
int hs_node_bool(const hs_node *n, bool *out, hs_err *err);   /* true/false/yes/no/on/off */
/* The scalar's text (owned by the tree); quoted or not; "" for `key:`. */
int hs_node_str(const hs_node *n, const char **out, hs_err *err);
/* One of the NULL-terminated names (exact match, quoted or not); an
 * unknown one is an error listing the valid names and suggesting the
 * nearest: "unknown kind 'gpuu' (did you mean 'gpu'?); valid: cpu, gpu,
 * npu" (the key's name, or "value").  *out is its index. */
int hs_node_enum(const hs_node *n, const char *const *names, int *out, hs_err *err);

/* Map getters.  When the key is absent: with required, an error at the
 * map ("missing key 'K'"); otherwise *out is left untouched (set the
 * default before the call) and 0 is returned.  On any error *out is left
 * untouched too.  map not being a mapping is an error. */
int hs_get_f64(const hs_node *map, const char *key, bool required, double lo, double hi,
               double *out, hs_err *err);
int hs_get_i64(const hs_node *map, const char *key, bool required, int64_t lo, int64_t hi,
               int64_t *out, hs_err *err);
int hs_get_bool(const hs_node *map, const char *key, bool required, bool *out, hs_err *err);
int hs_get_str(const hs_node *map, const char *key, bool required, const char **out, hs_err *err);
int hs_get_enum(const hs_node *map, const char *key, bool required, const char *const *names,
                int *out, hs_err *err);

/* ---- Built-in files. ------------------------------------------------- */
/* Resolves a built-in name or a path.  arg is taken as a path when it
 * contains '/' or ends in ".yaml"/".yml"; otherwise it names a built-in
 * file DIR/ARG.yaml (dir is e.g. "hw", "workloads", "experiments"), looked
 * up in order in: each folder of $HETSOC_DATA_PATH (colon-separated), the
 * source tree the binary was built from, the installed data folder.
 * Writes the path found to buf (a path argument is copied unchecked: the
 * loader reports a missing file).  An unknown name is an error listing the
 * built-in names and suggesting the nearest:
 *     error: unknown hw 'snapdragn-8gen3' (did you mean 'snapdragon-8gen3'?); built-in: a, b
 * (the noun is dir's last component, singular: "workloads" -> workload). */
int hs_conf_resolve(const char *dir, const char *arg, char *buf, size_t bufsize, hs_err *err);
/* Calls fn(name, path, ctx) for each built-in DIR/NAME.yaml, sorted by
 * name, the first folder of the search order winning (hidden files and
 * non-regular files are skipped; fn may be NULL).  Returns the count, or
 * -1 on OOM. */
int hs_conf_list_builtin(const char *dir, void (*fn)(const char *name, const char *path, void *ctx),
                         void *ctx);

#pragma GCC visibility pop

#endif
