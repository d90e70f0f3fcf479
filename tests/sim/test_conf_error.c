/* Tests of user-facing errors: the message format, and the errors a bad
 * input file gets before its structure is even looked at (missing, empty,
 * binary, syntax).  Every check compares the exact position and message.
 * Binary and empty files are written at run time into a temporary folder. */
#define _GNU_SOURCE
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/conf/conf.h"

static char tmpdir[256];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/hs_conf_error_XXXXXX", base);
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Writes len bytes to tmpdir/name; returns the path (static buffer). */
static const char *write_file(const char *name, const char *data, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Loading path must fail with exactly "PATH" + rest. */
static void expect_file_error(const char *path, const char *rest)
{
    hs_err err = {{0}};
    hs_node *n = hs_conf_load_file(path, &err);
    assert_null(n);
    char want[HS_ERR_MSG_MAX];
    snprintf(want, sizeof want, "%s%s", path, rest);
    assert_string_equal(err.msg, want);
}

/* Loading text (named "a.yaml") must fail with a message starting with
 * prefix. */
static void expect_string_error(const char *text, size_t len, const char *prefix)
{
    hs_err err = {{0}};
    hs_node *n = hs_conf_load_string(text, len, "a.yaml", &err);
    assert_null(n);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("got \"%s\", want a message starting \"%s\"", err.msg, prefix);
}

/* Loading text (named "a.yaml") must fail with exactly msg. */
static void expect_string_exact(const char *text, const char *msg)
{
    hs_err err = {{0}};
    hs_node *n = hs_conf_load_string(text, strlen(text), "a.yaml", &err);
    assert_null(n);
    assert_string_equal(err.msg, msg);
}

/* ---- Formatting. ------------------------------------------------------ */

static void test_errf(void **state)
{
    (void)state;
    hs_err err;
    assert_int_equal(hs_errf(&err, "bad %s: %d", "thing", 3), -1);
    assert_string_equal(err.msg, "error: bad thing: 3");
    assert_int_equal(hs_errf(NULL, "ignored"), -1);
}

static void test_err_at_positions(void **state)
{
    (void)state;
    hs_err err;
    assert_int_equal(hs_err_at(&err, "a.yaml", 4, 9, "'%s' must be a number", "rate"), -1);
    assert_string_equal(err.msg, "a.yaml:4:9: error: 'rate' must be a number");
    hs_err_at(&err, "a.yaml", 4, 0, "no column");
    assert_string_equal(err.msg, "a.yaml:4: error: no column");
    hs_err_at(&err, "a.yaml", 0, 7, "no line");
    assert_string_equal(err.msg, "a.yaml: error: no line");
    hs_err_at(&err, NULL, 3, 3, "no file");
    assert_string_equal(err.msg, "error: no file");
}

static void test_err_truncates(void **state)
{
    (void)state;
    char long_msg[3 * HS_ERR_MSG_MAX];
    memset(long_msg, 'x', sizeof long_msg - 1);
    long_msg[sizeof long_msg - 1] = '\0';
    hs_err err;
    hs_err_at(&err, "a.yaml", 1, 2, "%s", long_msg);
    assert_int_equal(strlen(err.msg), HS_ERR_MSG_MAX - 1);
    assert_memory_equal(err.msg, "a.yaml:1:2: error: xxx", 22);
}

static void test_err_print(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    hs_err err;
    hs_errf(&err, "one");
    hs_err_print(&err, f);
    hs_err_at(&err, "b.yaml", 2, 1, "two");
    hs_err_print(&err, f);
    fclose(f);
    assert_string_equal(buf, "error: one\nb.yaml:2:1: error: two\n");
    free(buf);
}

static void test_quote(void **state)
{
    (void)state;
    char q[HS_CONF_QUOTE_BUF];
    assert_string_equal(hs_conf_quote("plain", q, sizeof q), "plain");
    assert_string_equal(hs_conf_quote("a\nb\tc\x01", q, sizeof q), "a\\nb\\tc\\x01");
    char big[200];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hs_conf_quote(big, q, sizeof q);
    assert_int_equal(strlen(q), 63);
    assert_string_equal(q + 60, "...");
    /* "é" is two bytes: a small buffer cuts before it, never inside. */
    char small[9];
    assert_string_equal(hs_conf_quote("abcd\xc3\xa9xyz", small, sizeof small), "abcd...");
}

/* ---- Files that are not YAML text. ------------------------------------ */

static void test_missing_file(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/no-such.yaml", tmpdir);
    expect_file_error(path, ": error: cannot open: No such file or directory");
}

static void test_directory(void **state)
{
    (void)state;
    expect_file_error(tmpdir, ": error: cannot read: Is a directory");
}

static void test_empty_file(void **state)
{
    (void)state;
    expect_file_error(write_file("empty.yaml", "", 0), ":1:1: error: empty file (expected a YAML document)");
    expect_file_error(write_file("blank.yaml", "\n  \n\t\n", 6), ":1:1: error: empty file (expected a YAML document)");
    const char *c = "# just a comment\n\n# another\n";
    expect_file_error(write_file("comments.yaml", c, strlen(c)),
                      ":1:1: error: no YAML document (the file holds only blank lines or comments)");
}

static void test_empty_string(void **state)
{
    (void)state;
    hs_err err = {{0}};
    assert_null(hs_conf_load_string("", 0, "<--set a.b>", &err));
    assert_string_equal(err.msg, "<--set a.b>:1:1: error: empty input (expected a YAML document)");
    assert_null(hs_conf_load_string(NULL, 5, NULL, &err));
    assert_string_equal(err.msg, "<string>:1:1: error: empty input (expected a YAML document)");
    assert_null(hs_conf_load_string("# c\n", 4, "<x>", &err));
    assert_string_equal(err.msg, "<x>:1:1: error: no YAML document (the input holds only blank lines or comments)");
}

static void test_binary_nul(void **state)
{
    (void)state;
    static const char data[] = "a: 1\nb: x\0yz\n";  /* NUL at offset 9 */
    expect_file_error(write_file("nul.yaml", data, sizeof data - 1),
                      ":2:5: error: binary content: NUL byte at offset 9 (expected UTF-8 YAML text)");
    /* What an HDF5 or ELF file looks like at its start. */
    static const char elf[] = "\x7f" "ELF\x02\x01\x01\0\0\0";
    expect_file_error(write_file("lib.yaml", elf, sizeof elf - 1),
                      ":1:8: error: binary content: NUL byte at offset 7 (expected UTF-8 YAML text)");
}

static void test_binary_utf8(void **state)
{
    (void)state;
    /* "café" takes 5 bytes; the bad byte sits at offset 15, line 2, col 4. */
    static const char data[] = "name: caf\xc3\xa9\nx: \xff\n";
    expect_file_error(write_file("bad.yaml", data, sizeof data - 1),
                      ":2:4: error: binary content: invalid UTF-8 byte 0xff at offset 15 "
                      "(expected UTF-8 YAML text)");
    /* Columns count characters, not bytes. */
    static const char col[] = "k: \xc3\xa9\xc3\xa9\xfe";
    expect_string_error(col, sizeof col - 1, "a.yaml:1:6: error: binary content: invalid UTF-8 byte 0xfe at offset 7");
    /* Overlong encoding of '/', a UTF-16 surrogate, and a cut sequence. */
    expect_string_error("a: \xc0\xaf", 5, "a.yaml:1:4: error: binary content: invalid UTF-8 byte 0xc0 at offset 3");
    expect_string_error("a: \xed\xa0\x80", 6, "a.yaml:1:4: error: binary content: invalid UTF-8 byte 0xed");
    expect_string_error("a: b\n\xe2\x82", 7, "a.yaml:2:1: error: binary content: invalid UTF-8 byte 0xe2 at offset 5");
}

static void test_binary_line_breaks(void **state)
{
    (void)state;
    /* CRLF counts as one break, a lone CR as one too, and a leading
     * byte-order mark takes no column. */
    expect_string_error("a: 1\r\nb: \0", 10, "a.yaml:2:4: error: binary content: NUL byte at offset 9");
    expect_string_error("a: 1\rb: \0", 9, "a.yaml:2:4: error: binary content: NUL byte at offset 8");
    expect_string_error("\xef\xbb\xbf" "a: \0", 7, "a.yaml:1:4: error: binary content: NUL byte at offset 6");
}

/* ---- Syntax errors: libyaml's problem, at its mark, 1-based. ---------- */

static void test_syntax_errors(void **state)
{
    (void)state;
    const char *t = "a: 1\nb: [1, 2\n";
    expect_string_error(t, strlen(t),
                        "a.yaml:3:1: error: did not find expected ',' or ']' "
                        "(while parsing a flow sequence at line 2, column 4)");
    t = "a: 1\nb: c: d\n";
    expect_string_error(t, strlen(t), "a.yaml:2:5: error: mapping values are not allowed in this context");
    t = "a: 'unterminated\n";
    expect_string_error(t, strlen(t),
                        "a.yaml:2:1: error: found unexpected end of stream "
                        "(while scanning a quoted scalar at line 1, column 4)");
    t = "- a\nb: 1\n";
    expect_string_error(t, strlen(t),
                        "a.yaml:2:1: error: did not find expected '-' indicator "
                        "(while parsing a block collection at line 1, column 1)");
    /* No "(while scanning ... at 1:4)": the context is the problem's spot. */
    expect_string_exact("x: @foo\n", "a.yaml:1:4: error: found character that cannot start any token");
    /* A reader error (control character) has an offset, not a mark. */
    t = "a: 1\nb: \x01\n";
    expect_string_error(t, strlen(t), "a.yaml:2:4: error: control characters are not allowed (character 0x1)");
}

static void test_syntax_error_in_file(void **state)
{
    (void)state;
    const char *t = "memory:\n  bandwidth_gbps: 68\n pus: []\n";
    expect_file_error(write_file("syntax.yaml", t, strlen(t)),
                      ":3:2: error: did not find expected key (while parsing a block mapping at line 1, column 1)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errf),
        cmocka_unit_test(test_err_at_positions),
        cmocka_unit_test(test_err_truncates),
        cmocka_unit_test(test_err_print),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_empty_string),
        cmocka_unit_test(test_binary_nul),
        cmocka_unit_test(test_binary_utf8),
        cmocka_unit_test(test_binary_line_breaks),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_syntax_error_in_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
