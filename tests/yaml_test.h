/* What many tests share: a YAML tree from inline text, failing the test
 * (cmocka) when it does not parse.  Include after <cmocka.h>. */
#ifndef HS_TESTS_YAML_TEST_H
#define HS_TESTS_YAML_TEST_H

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

#endif
