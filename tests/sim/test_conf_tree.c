/* Tests of the configuration tree: structure errors at their exact
 * positions (duplicate keys, second documents, non-scalar keys, aliases,
 * nesting and expansion limits), copy, equality, constructors, interning,
 * the emitter's round trip, and dotted paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/conf/conf.h"

static hs_node *load(const char *text, hs_err *err)
{
    return hs_conf_load_string(text, strlen(text), "a.yaml", err);
}

static hs_node *load_ok(const char *text)
{
    hs_err err = {{0}};
    hs_node *n = load(text, &err);
    if (!n)
        fail_msg("unexpected error: %s", err.msg);
    return n;
}

static void expect_error(const char *text, const char *prefix)
{
    hs_err err = {{0}};
    hs_node *n = load(text, &err);
    if (n) {
        hs_node_free(n);
        fail_msg("loaded, but want an error starting \"%s\"", prefix);
    }
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("got \"%s\", want a message starting \"%s\"", err.msg, prefix);
}

/* A malloc'd string of n copies of s. */
static char *repeat(const char *s, size_t n)
{
    size_t len = strlen(s);
    char *r = malloc(n * len + 1);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++)
        memcpy(r + i * len, s, len);
    r[n * len] = '\0';
    return r;
}

static char *concat(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *r = malloc(n);
    assert_non_null(r);
    snprintf(r, n, "%s%s%s", a, b, c);
    return r;
}

/* ---- Loading. --------------------------------------------------------- */

static void test_load_structure(void **state)
{
    (void)state;
    hs_node *root = load_ok("name: demo\n"
                            "memory:\n"
                            "  bandwidth_gbps: 68.3\n"
                            "pus:\n"
                            "  - {name: cpu0, kind: cpu}\n"
                            "  - name: 'npu0'\n"
                            "    slots: \"2\"\n"
                            "note: |\n"
                            "  12\n"
                            "empty:\n");
    assert_int_equal(root->kind, HS_NODE_MAP);
    assert_int_equal(root->len, 5);
    assert_string_equal(root->file, "a.yaml");
    assert_int_equal(root->line, 1);
    assert_int_equal(root->col, 1);
    assert_string_equal(root->keys[1], "memory");
    assert_int_equal(root->key_line[1], 2);
    assert_int_equal(root->key_col[1], 1);

    hs_node *bw = hs_node_at_path(root, "memory.bandwidth_gbps");
    assert_non_null(bw);
    assert_string_equal(bw->scalar, "68.3");
    assert_false(bw->quoted);
    assert_int_equal(bw->line, 3);
    assert_int_equal(bw->col, 19);

    hs_node *pus = hs_map_get(root, "pus");
    assert_int_equal(pus->kind, HS_NODE_SEQ);
    assert_int_equal(pus->len, 2);
    assert_int_equal(pus->items[0]->line, 5);
    assert_int_equal(pus->items[0]->col, 5);
    assert_int_equal(pus->items[0]->key_col[1], 18);
    hs_node *npu = hs_node_at_path(root, "pus.1.name");
    assert_string_equal(npu->scalar, "npu0");
    assert_true(npu->quoted);
    assert_true(hs_node_at_path(root, "pus.1.slots")->quoted);
    /* A block scalar is text, never a number. */
    assert_string_equal(hs_map_get(root, "note")->scalar, "12\n");
    assert_true(hs_map_get(root, "note")->quoted);
    /* "empty:" is an empty plain scalar. */
    hs_node *e = hs_map_get(root, "empty");
    assert_int_equal(e->kind, HS_NODE_SCALAR);
    assert_string_equal(e->scalar, "");
    assert_false(e->quoted);
    hs_node_free(root);
}

static void test_tags(void **state)
{
    (void)state;
    hs_node *root = load_ok("a: !!str 5\nb: ! 6\nc: !custom 7\nd: 8\n");
    assert_true(hs_map_get(root, "a")->quoted);
    assert_true(hs_map_get(root, "b")->quoted);
    assert_false(hs_map_get(root, "c")->quoted);
    assert_false(hs_map_get(root, "d")->quoted);
    hs_node_free(root);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    expect_error("a:\n  x: 1\n  y: 2\n  x: 3\n",
                 "a.yaml:4:3: error: duplicate key 'x' (first defined at line 2, column 3)");
    expect_error("{a: 1, a: 2}\n", "a.yaml:1:8: error: duplicate key 'a' (first defined at line 1, column 2)");
    /* Quoting does not make a different key. */
    expect_error("'1': a\n1: b\n", "a.yaml:2:1: error: duplicate key '1' (first defined at line 1, column 1)");
    /* The same key in two mappings is fine. */
    hs_node_free(load_ok("a: {x: 1}\nb: {x: 2}\n"));

    /* Past the hashed index's first growth (many keys). */
    char *text = malloc(64 * 20 + 32);
    size_t o = 0;
    for (int i = 0; i < 64; i++)
        o += (size_t)sprintf(text + o, "key%d: %d\n", i, i);
    sprintf(text + o, "key17: again\n");
    expect_error(text, "a.yaml:65:1: error: duplicate key 'key17' (first defined at line 18, column 1)");
    free(text);
}

static void test_second_document(void **state)
{
    (void)state;
    expect_error("a: 1\n---\nb: 2\n", "a.yaml:2:1: error: a second YAML document starts here");
    expect_error("--- a\n...\n--- b\n", "a.yaml:3:1: error: a second YAML document starts here");
    /* One explicit document is fine, with or without its end marker. */
    hs_node_free(load_ok("%YAML 1.1\n---\na: 1\n...\n"));
}

static void test_non_scalar_keys(void **state)
{
    (void)state;
    expect_error("? [a]\n: 1\n", "a.yaml:1:3: error: mapping keys must be scalars, found a sequence");
    expect_error("{[a]: 1}\n", "a.yaml:1:2: error: mapping keys must be scalars, found a sequence");
    expect_error("top:\n  ? {x: 1}\n  : 2\n", "a.yaml:2:5: error: mapping keys must be scalars, found a mapping");
    expect_error("a: &m {x: 1}\n*m : 2\n",
                 "a.yaml:2:1: error: mapping keys must be scalars, found an alias to a mapping");
}

static void test_nul_in_scalar(void **state)
{
    (void)state;
    expect_error("a: \"x\\0y\"\n", "a.yaml:1:4: error: a scalar may not contain a NUL character");
}

static void test_aliases(void **state)
{
    (void)state;
    hs_node *root = load_ok("base: &b {rate: 1, list: [1, 2]}\n"
                            "x: *b\n"
                            "s: &s hello\n"
                            "t: *s\n"
                            "k: &k name\n"
                            "*k : 3\n");
    hs_node *base = hs_map_get(root, "base"), *x = hs_map_get(root, "x");
    assert_true(hs_node_equal(base, x));
    assert_ptr_not_equal(base, x);
    assert_ptr_not_equal(base->items[1], x->items[1]);
    /* The copy's root is at the alias; its insides where they were written. */
    assert_int_equal(x->line, 2);
    assert_int_equal(x->col, 4);
    assert_int_equal(x->items[0]->line, 1);
    assert_string_equal(hs_map_get(root, "t")->scalar, "hello");
    assert_string_equal(hs_map_get(root, "name")->scalar, "3");
    assert_int_equal(root->key_line[5], 6);
    /* Copies are independent. */
    free(x->items[0]->scalar);
    x->items[0]->scalar = strdup("2");
    assert_string_equal(base->items[0]->scalar, "1");
    hs_node_free(root);

    /* The latest anchor of a name wins. */
    root = load_ok("a: &x 1\nb: &x 2\nc: *x\n");
    assert_string_equal(hs_map_get(root, "c")->scalar, "2");
    hs_node_free(root);

    /* Many anchors (the lookup is hashed), each alias finding its own. */
    size_t cap = 5000 * 40, o = 0;
    char *many = malloc(cap);
    for (int i = 0; i < 5000; i++)
        o += (size_t)snprintf(many + o, cap - o, "a%d: &n%d v%d\nb%d: *n%d\n", i, i, i, i, i);
    root = load_ok(many);
    assert_string_equal(hs_map_get(root, "b4321")->scalar, "v4321");
    assert_string_equal(hs_map_get(root, "b0")->scalar, "v0");
    hs_node_free(root);
    free(many);

    expect_error("a: *nope\n", "a.yaml:1:4: error: undefined alias '*nope'");
    /* A node cannot contain itself: its anchor exists only once it ends. */
    expect_error("a: &x [1, *x]\n", "a.yaml:1:11: error: undefined alias '*x'");
}

static void test_billion_laughs(void **state)
{
    (void)state;
    /* Each level holds ten copies of the last: *e is 111111 nodes, and the
     * eighth copy on line 6 passes a million. */
    const char *lol = "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
                      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                      "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    expect_error(lol, "a.yaml:6:29: error: document too large: more than 1000000 nodes after expanding aliases");

    /* A small expansion loads, fully copied. */
    hs_node *root = load_ok("a: &a [x,x,x]\nb: &b [*a,*a,*a]\nc: [*b,*b]\n");
    hs_node *c = hs_map_get(root, "c");
    assert_int_equal(c->len, 2);
    assert_int_equal(c->items[1]->len, 3);
    assert_string_equal(hs_node_at_path(root, "c.1.2.0")->scalar, "x");
    hs_node_free(root);
}

static void test_depth_limit(void **state)
{
    (void)state;
    char *open = repeat("[", HS_CONF_MAX_DEPTH), *close = repeat("]", HS_CONF_MAX_DEPTH);
    char *ok = concat(open, "", close);
    hs_node_free(load_ok(ok));
    free(ok);
    char *deeper = concat(open, "[]", close);
    expect_error(deeper, "a.yaml:1:257: error: nesting too deep: more than 256 levels");
    free(deeper);
    free(open);
    free(close);

    /* Far deeper input must not overflow any stack. */
    char *huge = repeat("[", 200000);
    expect_error(huge, "a.yaml:1:257: error: nesting too deep");
    free(huge);

    /* Block mappings: line L holds the mapping of level L. */
    size_t cap = 300 * 310, o = 0;
    char *block = malloc(cap);
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(block + o, cap - o, "%*sk:\n", i, "");
    expect_error(block, "a.yaml:257:257: error: nesting too deep");
    free(block);
}

static void test_depth_limit_aliases(void **state)
{
    (void)state;
    /* A 200-level anchor fits at level 3 but not under 100 levels. */
    char *open = repeat("[", 200), *close = repeat("]", 200);
    char *anchored = concat("a: &d ", open, close);
    char *fits = concat(anchored, "\nb: [[*d]]", "\n");
    hs_node_free(load_ok(fits));
    char *o100 = repeat("[", 100), *c100 = repeat("]", 100);
    char *inner = concat(o100, "*d", c100);
    char *deep = concat(anchored, "\nb: ", inner);
    expect_error(deep, "a.yaml:2:104: error: nesting too deep: more than 256 levels");
    free(open), free(close), free(anchored), free(fits), free(o100), free(c100), free(inner), free(deep);
}

/* ---- Building, copying, comparing. ------------------------------------ */

static void test_constructors(void **state)
{
    (void)state;
    char file[32];
    strcpy(file, "gen.yaml");
    hs_node *map = hs_node_new_map(file, 3, 4);
    strcpy(file, "changed");  /* the node keeps its own (interned) name */
    assert_string_equal(map->file, "gen.yaml");
    assert_ptr_equal(map->file, hs_conf_intern("gen.yaml"));
    hs_node *seq = hs_node_new_seq(NULL, 0, 0);
    assert_string_equal(seq->file, "<built-in>");
    assert_int_equal(hs_seq_append(seq, hs_node_new_scalar("1", NULL, 0, 0)), 0);
    assert_int_equal(hs_seq_append(seq, hs_node_new_scalar(NULL, NULL, 0, 0)), 0);
    assert_string_equal(seq->items[1]->scalar, "");
    assert_int_equal(hs_map_set(map, "list", seq), 0);
    assert_int_equal(hs_map_set(map, "x", hs_node_new_scalar("a", NULL, 1, 1)), 0);
    /* Replacing frees the old value (ASan would see a leak otherwise). */
    assert_int_equal(hs_map_set(map, "x", hs_node_new_scalar("b", NULL, 1, 1)), 0);
    assert_int_equal(map->len, 2);
    assert_string_equal(hs_map_get(map, "x")->scalar, "b");
    assert_false(hs_map_get(map, "x")->quoted);
    assert_null(hs_map_get(map, "y"));
    assert_null(hs_map_get(seq, "x"));
    /* Wrong kinds are refused and leave the item with the caller. */
    hs_node *item = hs_node_new_scalar("z", NULL, 0, 0);
    assert_int_equal(hs_seq_append(map, item), -1);
    assert_int_equal(hs_map_set(seq, "k", item), -1);
    hs_node_free(item);
    /* Many items: arrays grow. */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(hs_seq_append(seq, hs_node_new_scalar("v", NULL, 0, 0)), 0);
    assert_int_equal(seq->len, 1002);
    hs_node_free(map);
    hs_node_free(NULL);
}

static void test_copy_and_equal(void **state)
{
    (void)state;
    hs_node *a = load_ok("x: [1, {y: 'z'}]\nw: 2\n");
    hs_node *b = hs_node_copy(a);
    assert_non_null(b);
    assert_true(hs_node_equal(a, b));
    assert_ptr_not_equal(a->items[0], b->items[0]);
    assert_int_equal(b->key_line[1], 2);
    assert_int_equal(hs_node_at_path(b, "x.1.y")->col, 12);
    assert_string_equal(b->file, "a.yaml");

    /* Text, quoting, key order, kind and length all count. */
    hs_node *y = hs_node_at_path(b, "x.1.y");
    y->quoted = false;
    assert_false(hs_node_equal(a, b));
    y->quoted = true;
    assert_true(hs_node_equal(a, b));
    hs_node *c = load_ok("w: 2\nx: [1, {y: 'z'}]\n");
    assert_false(hs_node_equal(a, c));
    hs_node *d = load_ok("x: [1, {y: 'z'}, 3]\nw: 2\n");
    assert_false(hs_node_equal(a, d));
    hs_node *e = load_ok("x: [1, {y: 'Z'}]\nw: 2\n");
    assert_false(hs_node_equal(a, e));
    hs_node *f = load_ok("x: [1, [y]]\nw: 2\n");
    assert_false(hs_node_equal(a, f));
    assert_true(hs_node_equal(NULL, NULL));
    assert_false(hs_node_equal(a, NULL));
    assert_null(hs_node_copy(NULL));
    hs_node_free(a), hs_node_free(b), hs_node_free(c), hs_node_free(d), hs_node_free(e), hs_node_free(f);
}

static void test_intern(void **state)
{
    (void)state;
    char buf[32];
    strcpy(buf, "x.yaml");
    const char *p = hs_conf_intern(buf);
    strcpy(buf, "y.yaml");
    assert_string_equal(p, "x.yaml");
    assert_ptr_equal(hs_conf_intern("x.yaml"), p);
    assert_ptr_not_equal(hs_conf_intern("y.yaml"), p);
    /* Growth keeps earlier pointers. */
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof buf, "file-%d.yaml", i);
        assert_non_null(hs_conf_intern(buf));
    }
    assert_ptr_equal(hs_conf_intern("x.yaml"), p);
    assert_string_equal(hs_conf_intern("file-4321.yaml"), "file-4321.yaml");
    assert_null(hs_conf_intern(NULL));
}

/* ---- Emitting. -------------------------------------------------------- */

/* load -> emit -> load must give an equal tree, and emitting that again
 * the same text. */
static void round_trip(const char *text)
{
    hs_node *a = load_ok(text);
    char *y1 = hs_node_to_yaml(a);
    assert_non_null(y1);
    hs_err err = {{0}};
    hs_node *b = hs_conf_load_string(y1, strlen(y1), "emitted", &err);
    if (!b)
        fail_msg("emitted text does not load: %s\n%s", err.msg, y1);
    if (!hs_node_equal(a, b))
        fail_msg("round trip changed the tree; emitted:\n%s", y1);
    char *y2 = hs_node_to_yaml(b);
    assert_string_equal(y1, y2);
    free(y1), free(y2);
    hs_node_free(a), hs_node_free(b);
}

static void test_emit_exact(void **state)
{
    (void)state;
    hs_node *n = load_ok("{a: 1, b: [x, {c: d, e: [1, [2, 3]]}], f: {}, g: [], h: \"5\", i: , j: {k: v}}");
    char *y = hs_node_to_yaml(n);
    assert_string_equal(y, "a: 1\n"
                           "b:\n"
                           "  - x\n"
                           "  - c: d\n"
                           "    e:\n"
                           "      - 1\n"
                           "      - - 2\n"
                           "        - 3\n"
                           "f: {}\n"
                           "g: []\n"
                           "h: \"5\"\n"
                           "i:\n"
                           "j:\n"
                           "  k: v\n");
    free(y);
    hs_node_free(n);
    assert_null(hs_node_to_yaml(NULL));
}

static void test_emit_round_trip(void **state)
{
    (void)state;
    round_trip("name: snapdragon-8gen3\n"
               "description: \"A phone SoC: CPU, GPU & NPU\"\n"
               "memory: {bandwidth_gbps: 68.3, phi: [[0, 1.0], [1.5e2, .inf]]}\n"
               "pus:\n"
               "  - {name: P1, kind: generic, speed: 1.0, slots: unlimited}\n"
               "  - name: npu\n"
               "    tiles: [32, 64]\n"
               "    flag: yes\n"
               "    quoted: 'yes'\n"
               "    neg: -1\n"
               "    nothing:\n"
               "    tilde: ~\n"
               "nested: [[[]], [{}], [[a]]]\n");
    /* Scalars that need quotes, or must stay plain. */
    round_trip("- 'a: b'\n- '#x'\n- 'x #y'\n- ' lead'\n- 'trail '\n- ''\n- '-'\n- '- x'\n"
               "- -1\n- -.inf\n- ':x'\n- '?'\n- \"multi\\nline\"\n- \"tab\\there\"\n- caf\xc3\xa9\n"
               "- \"line\\u2028sep\"\n- \"nel\\x85\"\n- \"bom\\ufeff\"\n- 'it''s \"q\"'\n- \"back\\\\slash\"\n"
               "- '@x'\n- '%x'\n- '`x'\n- '---'\n- '...'\n- '--- x'\n- a:b\n- a,b[c]{d}\n- x#y\n"
               "- 'end:'\n- \"ctl\\x01\\x7f\"\n- 'quoted 5'\n- !!str 12\n- \"\"\n-\n- 'null'\n");
    /* Keys that need quotes. */
    round_trip("'a: b': 1\n'#k': 2\n'': 3\n'-': 4\n'x ': 5\n\"k\\nl\": 6\n'? q': 7\n'[': 8\nplain key: 9\n");
    /* Plain scalars that could not be written plain ("-" in a flow
     * sequence, lines folded around a blank line) load as strings. */
    round_trip("a: [-, x]\nb: first\n\n  second\nc: one\n  two\n");
    hs_node *odd = load_ok("a: [-, x]\nb: first\n\n  second\nc: one\n  two\n");
    assert_true(hs_node_at_path(odd, "a.0")->quoted);
    assert_false(hs_node_at_path(odd, "a.1")->quoted);
    assert_string_equal(hs_map_get(odd, "b")->scalar, "first\nsecond");
    assert_true(hs_map_get(odd, "b")->quoted);
    assert_string_equal(hs_map_get(odd, "c")->scalar, "one two");
    assert_false(hs_map_get(odd, "c")->quoted);
    hs_node_free(odd);
    /* Block scalars come back as quoted text. */
    round_trip("lit: |\n  line 1\n  line 2\nfold: >\n  a\n  b\n");
    /* Roots other than a mapping. */
    round_trip("[a, b]\n");
    round_trip("just text\n");
    round_trip("'5'\n");
    round_trip("{}\n");
    round_trip("[]\n");
    round_trip("---\n");
}

static void test_emit_long_key(void **state)
{
    (void)state;
    /* Longer than libyaml's 1024-character implicit key limit, so it can
     * only be written as an explicit key. */
    char *key = repeat("k", 1500);
    char *implicit = concat("a:\n  ", key, ": v\n");
    expect_error(implicit, "a.yaml:2:1503: error: mapping values are not allowed in this context");
    char *text = concat("a:\n  ? ", key, "\n  : v\n  b: [1]\n");
    round_trip(text);
    char *seq_text = concat("- ? ", key, "\n  : {x: 1}\n");
    round_trip(seq_text);
    hs_node *n = load_ok(text);
    char *y = hs_node_to_yaml(n);
    assert_memory_equal(y, "a:\n  ? kkk", 10);
    free(y);
    hs_node_free(n);
    free(key), free(implicit), free(text), free(seq_text);
}

static void test_emit_built_tree(void **state)
{
    (void)state;
    /* An unquoted scalar that cannot be plain comes back quoted, same text;
     * a number stays plain so it still reads as a number. */
    hs_node *m = hs_node_new_map(NULL, 0, 0);
    hs_map_set(m, "s", hs_node_new_scalar("a: b # c", NULL, 0, 0));
    hs_map_set(m, "n", hs_node_new_scalar("0.25", NULL, 0, 0));
    char *y = hs_node_to_yaml(m);
    assert_string_equal(y, "s: \"a: b # c\"\nn: 0.25\n");
    hs_node *back = load_ok(y);
    assert_string_equal(hs_map_get(back, "s")->scalar, "a: b # c");
    assert_false(hs_map_get(back, "n")->quoted);
    free(y);
    hs_node_free(back);
    hs_node_free(m);
}

/* Which unquoted texts are written plain, and that each comes back with
 * its text; plain ones also come back unquoted (so numbers stay numbers). */
static void test_emit_plain_or_quoted(void **state)
{
    (void)state;
    static const char *const plain[] = {"a:b", "x#y", "a,b[c]{d}", "-1", "-x", "?x", ":x", "a\tb", "it's",
                                        "say \"hi\"", "caf\xc3\xa9", "1e3", ".inf", "a - b", "y:z:w", "a  b", NULL};
    static const char *const quoted[] = {"x #y", "x\t#y", "a: b", "a:\tb", "end:", "-", "- x", "?", ": x",
                                         "#x", "[x", "{x", ",x", "&x", "*x", "!x", "|x", ">x", "'x", "\"x",
                                         "%x", "@x", "`x", " x", "x ", "\tx", "x\t", "---", "...x",
                                         "a\nb", "a\rb", "\x01", "nel\xc2\x85", "ls\xe2\x80\xa8",
                                         "bom\xef\xbb\xbf", NULL};
    for (int pass = 0; pass < 2; pass++) {
        const char *const *texts = pass == 0 ? plain : quoted;
        for (int i = 0; texts[i]; i++) {
            hs_node *seq = hs_node_new_seq(NULL, 0, 0);
            hs_seq_append(seq, hs_node_new_scalar(texts[i], NULL, 0, 0));
            char *y = hs_node_to_yaml(seq);
            if ((y[2] != '"') != (pass == 0))
                fail_msg("'%s' emitted as %s", texts[i], y);
            hs_err err = {{0}};
            hs_node *back = hs_conf_load_string(y, strlen(y), "emitted", &err);
            if (!back)
                fail_msg("'%s' emitted as %s: %s", texts[i], y, err.msg);
            assert_int_equal(back->len, 1);
            assert_string_equal(back->items[0]->scalar, texts[i]);
            assert_int_equal(back->items[0]->quoted, pass == 1);
            free(y);
            hs_node_free(back);
            hs_node_free(seq);
        }
    }
}

static hs_node *flow_seq(const char *a, const char *b)
{
    hs_node *s = hs_node_new_seq(NULL, 0, 0);
    s->flow = true;
    hs_seq_append(s, hs_node_new_scalar(a, NULL, 0, 0));
    hs_seq_append(s, hs_node_new_scalar(b, NULL, 0, 0));
    return s;
}

/* Presentation of built trees: comments before their node, flow
 * collections on one line unless that would not read back the same. */
static void test_emit_flow_and_comments(void **state)
{
    (void)state;
    hs_node *m = hs_node_new_map(NULL, 0, 0);
    hs_node_set_comment(m, "header\n\nline\x01two\xe2\x80\xa8three");
    hs_map_set(m, "name", hs_node_new_scalar("x", NULL, 0, 0));
    hs_node *peak = hs_node_new_map(NULL, 0, 0);
    peak->flow = true;
    hs_map_set(peak, "fp32", hs_node_new_f64(0.1, NULL, 0, 0));
    hs_map_set(peak, "q", hs_node_new_scalar("a b", NULL, 0, 0));
    hs_node *quoted = hs_node_new_scalar("a, b", NULL, 0, 0);
    quoted->quoted = true;
    hs_map_set(peak, "s", quoted);
    hs_node_set_comment(peak, "measured");
    hs_map_set(m, "peak", peak);
    hs_node *pts = hs_node_new_seq(NULL, 0, 0);
    hs_seq_append(pts, flow_seq("1", "2.5"));
    hs_seq_append(pts, flow_seq("a:b", "c"));   /* ':' is not written plain in flow */
    hs_seq_append(pts, flow_seq("", "c"));      /* nor can an empty plain scalar be */
    hs_map_set(m, "points", pts);
    hs_node *tabs = hs_node_new_seq(NULL, 0, 0);
    hs_node *row = hs_node_new_map(NULL, 0, 0);
    hs_node_set_comment(row, "a table");
    hs_node *op = hs_node_new_scalar("gemm", NULL, 0, 0);
    hs_node_set_comment(op, "first key");
    hs_map_set(row, "op", op);
    hs_seq_append(tabs, row);
    hs_map_set(m, "tables", tabs);
    char *y = hs_node_to_yaml(m);
    assert_string_equal(y, "# header\n"
                           "#\n"
                           "# line two three\n"
                           "name: x\n"
                           "# measured\n"
                           "peak: {fp32: 0.1, q: a b, s: \"a, b\"}\n"
                           "points:\n"
                           "  - [1, 2.5]\n"
                           "  - - a:b\n"
                           "    - c\n"
                           "  - -\n"
                           "    - c\n"
                           "tables:\n"
                           "  # a table\n"
                           "  -\n"
                           "    # first key\n"
                           "    op: gemm\n");
    hs_node *back = load_ok(y);
    assert_true(hs_node_equal(m, back));
    assert_null(back->comment);
    hs_node *copy = hs_node_copy(m);
    assert_string_equal(hs_map_get(copy, "peak")->comment, "measured");
    assert_true(hs_map_get(copy, "peak")->flow);
    hs_node_free(copy);
    /* A flow root. */
    hs_node *root = flow_seq("1", "x");
    char *ry = hs_node_to_yaml(root);
    assert_string_equal(ry, "[1, x]\n");
    free(ry), free(y);
    hs_node_free(root), hs_node_free(back), hs_node_free(m);
    assert_int_equal(hs_node_set_comment(NULL, "x"), -1);
}

/* Every double written by hs_node_new_f64 reads back as the same bits,
 * in the shortest text that does. */
static void test_emit_f64_exact(void **state)
{
    (void)state;
    static const double fixed[] = {0.0, -0.0, 0.1, 1.0 / 3, 2.5e-300, 1e300, 4.9e-324, 2.2250738585072014e-308,
                                   1.7976931348623157e308, -123456789.125, 16.38, 1e15 + 0.3, INFINITY,
                                   -INFINITY};
    hs_node *seq = hs_node_new_seq(NULL, 0, 0);
    enum { NFIXED = sizeof fixed / sizeof *fixed, NRANDOM = 2000 };
    double v[NFIXED + NRANDOM];
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < NFIXED + NRANDOM; i++) {
        if (i < NFIXED) {
            v[i] = fixed[i];
        } else {
            do {   /* xorshift bit patterns: every exponent, finite ones */
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                memcpy(&v[i], &x, sizeof v[i]);
            } while (!isfinite(v[i]));
        }
        hs_seq_append(seq, hs_node_new_f64(v[i], NULL, 0, 0));
    }
    assert_string_equal(seq->items[2]->scalar, "0.1");
    assert_string_equal(seq->items[1]->scalar, "-0");
    assert_string_equal(seq->items[11]->scalar, "1000000000000000.2");
    assert_string_equal(seq->items[12]->scalar, ".inf");
    char *y = hs_node_to_yaml(seq);
    hs_node *back = load_ok(y);
    for (int i = 0; i < NFIXED + NRANDOM; i++) {
        double got;
        hs_err err;
        if (hs_node_f64(back->items[i], -INFINITY, INFINITY, &got, &err) < 0)
            fail_msg("%s", err.msg);
        if (memcmp(&got, &v[i], sizeof got) != 0)
            fail_msg("%.17g written as '%s' read back as %.17g", v[i], seq->items[i]->scalar, got);
    }
    hs_node *twenty = hs_node_new_f64(20, NULL, 0, 0), *big = hs_node_new_f64(1e20, NULL, 0, 0);
    assert_string_equal(twenty->scalar, "20");
    assert_string_equal(big->scalar, "1e+20");
    hs_node_free(twenty), hs_node_free(big);
    hs_node *i64 = hs_node_new_i64(INT64_MIN, NULL, 0, 0);
    assert_string_equal(i64->scalar, "-9223372036854775808");
    free(y);
    hs_node_free(i64), hs_node_free(back), hs_node_free(seq);
}

/* ---- Dotted paths. ---------------------------------------------------- */

static const char *paths_yaml = "policy:\n"
                                "  name: hero\n"
                                "  params: {alpha: 0.5}\n"
                                "pus:\n"
                                "  - {name: cpu, speed: 1}\n"
                                "  - {name: gpu, speed: 2}\n"
                                "'7': seven\n";

static void test_at_path(void **state)
{
    (void)state;
    hs_node *root = load_ok(paths_yaml);
    assert_string_equal(hs_node_at_path(root, "policy.params.alpha")->scalar, "0.5");
    assert_string_equal(hs_node_at_path(root, "pus.1.speed")->scalar, "2");
    assert_string_equal(hs_node_at_path(root, "pus.0.name")->scalar, "cpu");
    assert_int_equal(hs_node_at_path(root, "pus")->kind, HS_NODE_SEQ);
    /* A number is a key in a mapping. */
    assert_string_equal(hs_node_at_path(root, "7")->scalar, "seven");
    assert_null(hs_node_at_path(root, "pus.2.speed"));
    assert_null(hs_node_at_path(root, "pus.x"));
    assert_null(hs_node_at_path(root, "pus.-1"));
    assert_null(hs_node_at_path(root, "policy.params.alpha.x"));
    assert_null(hs_node_at_path(root, "policy..params"));
    assert_null(hs_node_at_path(root, "policy."));
    assert_null(hs_node_at_path(root, ""));
    assert_null(hs_node_at_path(root, NULL));
    assert_null(hs_node_at_path(root, "nope"));
    hs_node_free(root);
}

static void test_set_path(void **state)
{
    (void)state;
    hs_node *root = load_ok(paths_yaml);
    hs_err err = {{0}};
    /* Replace, create intermediates, index a sequence, append to it. */
    assert_int_equal(hs_node_set_path(root, "policy.params.alpha", hs_node_new_scalar("0.9", "<--set>", 1, 1), &err), 0);
    assert_string_equal(hs_node_at_path(root, "policy.params.alpha")->scalar, "0.9");
    assert_int_equal(hs_node_set_path(root, "policy.params.beta.gamma", hs_node_new_scalar("3", "<--set>", 1, 1), &err), 0);
    hs_node *beta = hs_node_at_path(root, "policy.params.beta");
    assert_int_equal(beta->kind, HS_NODE_MAP);
    assert_string_equal(beta->file, "<--set>");
    assert_string_equal(hs_node_at_path(root, "policy.params.beta.gamma")->scalar, "3");
    assert_int_equal(hs_node_set_path(root, "pus.0.speed", hs_node_new_scalar("4", NULL, 0, 0), &err), 0);
    assert_string_equal(hs_node_at_path(root, "pus.0.speed")->scalar, "4");
    assert_int_equal(hs_node_set_path(root, "pus.1", hs_node_new_scalar("gpu2", NULL, 0, 0), &err), 0);
    assert_string_equal(hs_node_at_path(root, "pus.1")->scalar, "gpu2");
    assert_int_equal(hs_node_set_path(root, "pus.2", hs_node_new_map(NULL, 0, 0), &err), 0);
    assert_int_equal(hs_node_at_path(root, "pus")->len, 3);
    assert_int_equal(hs_node_set_path(root, "top", hs_node_new_scalar("t", NULL, 0, 0), &err), 0);
    assert_string_equal(hs_map_get(root, "top")->scalar, "t");

    /* Errors leave value with the caller. */
    hs_node *v = hs_node_new_scalar("1", NULL, 0, 0);
    assert_int_equal(hs_node_set_path(root, "policy.name.x", v, &err), -1);
    assert_string_equal(err.msg, "a.yaml:2:9: error: cannot set 'policy.name.x': 'policy.name' is a scalar, not a mapping");
    assert_int_equal(hs_node_set_path(root, "pus.9.speed", v, &err), -1);
    assert_string_equal(err.msg, "a.yaml:5:3: error: cannot set 'pus.9.speed': '9' is not an index of this sequence (3 items)");
    assert_int_equal(hs_node_set_path(root, "pus.7", v, &err), -1);
    assert_string_equal(err.msg, "a.yaml:5:3: error: cannot set 'pus.7': this sequence has 3 items, '7' is not an index");
    assert_int_equal(hs_node_set_path(root, "a..b", v, &err), -1);
    assert_string_equal(err.msg, "error: invalid parameter path 'a..b' (expected names joined by '.', e.g. a.b.c)");
    assert_int_equal(hs_node_set_path(root, "", v, &err), -1);
    assert_int_equal(hs_node_set_path(root, "x.", v, &err), -1);
    hs_node *scalar_root = load_ok("just text\n");
    assert_int_equal(hs_node_set_path(scalar_root, "a", v, &err), -1);
    assert_string_equal(err.msg, "a.yaml:1:1: error: cannot set 'a': the document is a scalar, not a mapping");
    hs_node_free(scalar_root);
    hs_node_free(v);
    hs_node_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_structure),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_second_document),
        cmocka_unit_test(test_non_scalar_keys),
        cmocka_unit_test(test_nul_in_scalar),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_depth_limit_aliases),
        cmocka_unit_test(test_constructors),
        cmocka_unit_test(test_copy_and_equal),
        cmocka_unit_test(test_intern),
        cmocka_unit_test(test_emit_exact),
        cmocka_unit_test(test_emit_round_trip),
        cmocka_unit_test(test_emit_long_key),
        cmocka_unit_test(test_emit_built_tree),
        cmocka_unit_test(test_emit_plain_or_quoted),
        cmocka_unit_test(test_emit_flow_and_comments),
        cmocka_unit_test(test_emit_f64_exact),
        cmocka_unit_test(test_at_path),
        cmocka_unit_test(test_set_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
