/* What many tests share: a YAML tree from inline text, failing the test
 * (cmocka) when it does not parse; a YAML file of inline text, for the
 * loaders that read files.  Include after <cmocka.h>. */
#ifndef HS_TESTS_YAML_TEST_H
#define HS_TESTS_YAML_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/conf/conf.h"

static inline hs_node *yaml(const char *text)
{
    hs_err err;
    hs_node *n = hs_conf_load_string(text, strlen(text), "<test>", &err);
    if (!n)
        fail_msg("%s", err.msg);
    return n;
}

/* Writes text to a new file STEM_XXXXXX.yaml under $TMPDIR (else /tmp)
 * and leaves its name in path[0..n); the caller removes it. */
static inline void yaml_file(const char *stem, const char *text, char *path, size_t n)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, n, "%s/%s_XXXXXX.yaml", tmp && *tmp ? tmp : "/tmp", stem);
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#endif
