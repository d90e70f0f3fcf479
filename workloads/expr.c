/* hetsoc workloads: arithmetic expressions in workflow templates.
 *
 * Template fields derive shapes from parameters, e.g. a generation prompt
 * of "$query + $top_k * $chunk" tokens or an embedding batch of
 * "ceil($doc / 118)" chunks, so the templates stay data and keep each
 * number next to its source.  Grammar (doubles throughout):
 *
 *   expr   := term (('+' | '-') term)*
 *   term   := unary (('*' | '/') unary)*
 *   unary  := '-' unary | atom
 *   atom   := NUMBER | '$' NAME | FUNC '(' expr (',' expr)* ')' | '(' expr ')'
 *   FUNC   := ceil | floor | round | min | max
 *
 * Compiled once to postfix code, evaluated per request instance. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

typedef enum op {
    X_NUM, X_VAR, X_ADD, X_SUB, X_MUL, X_DIV, X_NEG, X_CEIL, X_FLOOR, X_ROUND, X_MIN, X_MAX,
} op;

typedef struct instr {
    op op;
    int var;
    double c;
} instr;

struct wl_expr {
    size_t n, cap;
    instr *code;
};

enum { STACK_MAX = 32 };

typedef struct parser {
    const char *text, *p;
    const hs_node *where;
    wl_var_fn var;
    void *ctx;
    wl_expr *e;
    hs_err *err;
    int depth;
} parser;

static int fail(parser *ps, const char *what)
{
    return hs_node_err(ps->where, ps->err, "in expression '%s': %s at offset %d", ps->text, what,
                       (int)(ps->p - ps->text));
}

static int emit(parser *ps, op o, int var, double c)
{
    wl_expr *e = ps->e;
    instr *code = wl_grow(e->code, &e->cap, e->n + 1, sizeof *code);
    if (!code)
        return hs_errf(ps->err, "out of memory");
    e->code = code;
    e->code[e->n++] = (instr){o, var, c};
    return 0;
}

static void skip_ws(parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static bool accept(parser *ps, char c)
{
    skip_ws(ps);
    if (*ps->p != c)
        return false;
    ps->p++;
    return true;
}

static int expr(parser *ps);

static int name_len(const char *s)
{
    int n = 0;
    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '_')
        n++;
    return n;
}

static int variable(parser *ps)
{
    int n = name_len(ps->p);
    if (n == 0 || n > 63)
        return fail(ps, "expected a parameter name after '$'");
    char name[64];
    memcpy(name, ps->p, (size_t)n);
    name[n] = 0;
    int slot = ps->var(name, ps->ctx);
    if (slot < 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "unknown parameter '$%s'", name);
        return fail(ps, msg);
    }
    ps->p += n;
    return emit(ps, X_VAR, slot, 0);
}

static int function(parser *ps, const char *name, int n)
{
    static const struct { const char *name; op op; int args; } fns[] = {
        {"ceil", X_CEIL, 1}, {"floor", X_FLOOR, 1}, {"round", X_ROUND, 1},
        {"min", X_MIN, 2}, {"max", X_MAX, 2},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        if ((int)strlen(fns[i].name) != n || strncmp(fns[i].name, name, (size_t)n) != 0)
            continue;
        if (!accept(ps, '('))
            return fail(ps, "expected '('");
        for (int a = 0; a < fns[i].args; a++) {
            if (a > 0 && !accept(ps, ','))
                return fail(ps, "expected ','");
            if (expr(ps) < 0)
                return -1;
        }
        if (!accept(ps, ')'))
            return fail(ps, "expected ')'");
        return emit(ps, fns[i].op, 0, 0);
    }
    return fail(ps, "unknown function (ceil, floor, round, min, max)");
}

static int atom(parser *ps)
{
    skip_ws(ps);
    if (++ps->depth > 64)
        return fail(ps, "too deeply nested");
    int rc;
    if (*ps->p == '$') {
        ps->p++;
        rc = variable(ps);
    } else if (*ps->p == '(') {
        ps->p++;
        rc = expr(ps);
        if (rc == 0 && !accept(ps, ')'))
            rc = fail(ps, "expected ')'");
    } else if (isdigit((unsigned char)*ps->p) || *ps->p == '.') {
        char *end;
        double v = strtod(ps->p, &end);
        ps->p = end;
        rc = isfinite(v) ? emit(ps, X_NUM, 0, v) : fail(ps, "bad number");
    } else if (name_len(ps->p) > 0) {
        const char *name = ps->p;
        int n = name_len(ps->p);
        ps->p += n;
        rc = function(ps, name, n);
    } else {
        rc = fail(ps, *ps->p ? "unexpected character" : "unexpected end");
    }
    ps->depth--;
    return rc;
}

static int unary(parser *ps)
{
    if (accept(ps, '-'))
        return unary(ps) < 0 ? -1 : emit(ps, X_NEG, 0, 0);
    return atom(ps);
}

static int term(parser *ps)
{
    if (unary(ps) < 0)
        return -1;
    for (;;) {
        op o;
        if (accept(ps, '*'))
            o = X_MUL;
        else if (accept(ps, '/'))
            o = X_DIV;
        else
            return 0;
        if (unary(ps) < 0 || emit(ps, o, 0, 0) < 0)
            return -1;
    }
}

static int expr(parser *ps)
{
    if (term(ps) < 0)
        return -1;
    for (;;) {
        op o;
        if (accept(ps, '+'))
            o = X_ADD;
        else if (accept(ps, '-'))
            o = X_SUB;
        else
            return 0;
        if (term(ps) < 0 || emit(ps, o, 0, 0) < 0)
            return -1;
    }
}

/* The largest stack depth the code reaches (bounded by STACK_MAX). */
static int stack_depth(const wl_expr *e)
{
    int d = 0, max = 0;
    for (size_t i = 0; i < e->n; i++) {
        switch (e->code[i].op) {
        case X_NUM:
        case X_VAR: d++; break;
        case X_NEG:
        case X_CEIL:
        case X_FLOOR:
        case X_ROUND: break;
        default: d--; break;
        }
        if (d > max)
            max = d;
    }
    return max;
}

wl_expr *wl_expr_compile(const hs_node *where, const char *text, wl_var_fn var, void *ctx,
                         hs_err *err)
{
    wl_expr *e = calloc(1, sizeof *e);
    if (!e) {
        hs_errf(err, "out of memory");
        return NULL;
    }
    parser ps = {text, text, where, var, ctx, e, err, 0};
    int rc = expr(&ps);
    skip_ws(&ps);
    if (rc == 0 && *ps.p)
        rc = fail(&ps, "unexpected text");
    if (rc == 0 && stack_depth(e) > STACK_MAX)
        rc = fail(&ps, "too complex");
    if (rc < 0) {
        wl_expr_free(e);
        return NULL;
    }
    return e;
}

static double apply(op o, double a, double b)
{
    switch (o) {
    case X_ADD: return a + b;
    case X_SUB: return a - b;
    case X_MUL: return a * b;
    case X_DIV: return b != 0 ? a / b : 0;   /* a 0 divisor (an empty list) gives 0 */
    case X_MIN: return a < b ? a : b;
    case X_MAX: return a > b ? a : b;
    default: return 0;
    }
}

double wl_expr_eval(const wl_expr *e, const double *vars)
{
    double st[STACK_MAX];
    int sp = 0;
    for (size_t i = 0; i < e->n; i++) {
        const instr *in = &e->code[i];
        switch (in->op) {
        case X_NUM: st[sp++] = in->c; break;
        case X_VAR: st[sp++] = vars[in->var]; break;
        case X_NEG: st[sp - 1] = -st[sp - 1]; break;
        case X_CEIL: st[sp - 1] = ceil(st[sp - 1]); break;
        case X_FLOOR: st[sp - 1] = floor(st[sp - 1]); break;
        case X_ROUND: st[sp - 1] = round(st[sp - 1]); break;
        default:
            sp--;
            st[sp - 1] = apply(in->op, st[sp - 1], st[sp]);
            break;
        }
    }
    return sp > 0 ? st[0] : 0;
}

void wl_expr_free(wl_expr *e)
{
    if (!e)
        return;
    free(e->code);
    free(e);
}

/* ---- Numeric fields. -------------------------------------------------- */

int wl_num_parse(const hs_node *n, wl_var_fn var, void *ctx, wl_num *out, hs_err *err)
{
    memset(out, 0, sizeof *out);
    out->where = n;
    if (!n) {
        out->kind = WN_NONE;
        return 0;
    }
    if (n->kind == HS_NODE_MAP) {
        out->kind = WN_DIST;
        return wl_dist_parse(n, &out->d, err);
    }
    if (n->kind != HS_NODE_SCALAR)
        return hs_node_err(n, err, "expected a number, an expression or a distribution");
    char *end;
    double v = strtod(n->scalar, &end);
    if (*n->scalar && *end == 0 && !n->quoted) {
        if (!isfinite(v))
            return hs_node_err(n, err, "expected a finite number");
        out->kind = WN_CONST;
        out->c = v;
        return 0;
    }
    out->kind = WN_EXPR;
    out->e = wl_expr_compile(n, n->scalar, var, ctx, err);
    return out->e ? 0 : -1;
}

double wl_num_eval(const wl_num *v, const double *vars, gsl_rng *g)
{
    switch (v->kind) {
    case WN_CONST: return v->c;
    case WN_EXPR: return wl_expr_eval(v->e, vars);
    case WN_DIST: return wl_dist_sample(&v->d, g);
    default: return 0;
    }
}

void wl_num_free(wl_num *v)
{
    if (!v)
        return;
    wl_expr_free(v->e);
    wl_dist_free(&v->d);
    v->e = NULL;
    v->kind = WN_NONE;
}
