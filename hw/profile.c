/* hetsoc hw: loading SoC profiles (hw/NAME.yaml, a path, or an inline
 * `hw:` mapping) into hs_hw, and looking PUs up by name or kind.
 *
 * The format is documented key by key in hw/README.md.  Every mistake is
 * reported at its position through sim/conf ("PATH:LINE:COL: error: ..."),
 * unknown keys with the nearest valid one. */
#include "hw/hw.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HS_PU_KIND_NAME(id, name) [id] = name,
const char *const hs_pu_kind_names[HS_PU_KIND_COUNT + 1] = {
    HS_PU_KIND_LIST(HS_PU_KIND_NAME)[HS_PU_KIND_COUNT] = NULL};
#undef HS_PU_KIND_NAME

const char *hs_pu_kind_name(hs_pu_kind kind)
{
    return (unsigned)kind < HS_PU_KIND_COUNT ? hs_pu_kind_names[kind] : "?";
}

static const double GB = 1e9, US = 1e-6, TERA = 1e12, PJ = 1e-12;
/* Range-check bounds conf treats as open ends: DBL_MAX is "no upper bound",
 * DBL_MIN as the lower bound reads "must be > 0". */
static const double BIG = DBL_MAX, POS = DBL_MIN;

/* ---- Small helpers over the configuration tree. ------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Re-issues an error that has no position ("error: ...") at node n. */
static int at_node(const hs_node *n, hs_err *err)
{
    const char *msg = err->msg;
    if (strncmp(msg, "error: ", 7) == 0)
        msg += 7;
    char copy[HS_ERR_MSG_MAX];
    snprintf(copy, sizeof copy, "%s", msg);
    return hs_node_err(n, err, "%s", copy);
}

/* A positive number (bandwidths, speeds). */
static int get_pos(const hs_node *map, const char *key, bool required, double *out, hs_err *err)
{
    return hs_get_f64(map, key, required, POS, BIG, out, err);
}

/* An optional number in [lo, hi] scaled by unit. */
static int get_scaled(const hs_node *map, const char *key, double lo, double hi, double unit,
                      double *out, hs_err *err)
{
    if (!hs_map_get(map, key))
        return 0;
    double v;
    if (hs_get_f64(map, key, false, lo, hi, &v, err) < 0)
        return -1;
    *out = v * unit;
    return 0;
}

static int get_map(const hs_node *map, const char *key, bool required, const hs_node **out,
                   hs_err *err)
{
    const hs_node *v = hs_map_get(map, key);
    *out = v;
    if (!v)
        return required ? hs_node_err(map, err, "missing key '%s'", key) : 0;
    return hs_node_expect(v, HS_NODE_MAP, err);
}

static int get_seq(const hs_node *map, const char *key, bool required, const hs_node **out,
                   hs_err *err)
{
    const hs_node *v = hs_map_get(map, key);
    *out = v;
    if (!v)
        return required ? hs_node_err(map, err, "missing key '%s'", key) : 0;
    return hs_node_expect(v, HS_NODE_SEQ, err);
}

/* A sequence of [x, y] pairs. */
static int read_pairs(const hs_node *seq, double **xs, double **ys, size_t *n, hs_err *err)
{
    if (hs_node_expect(seq, HS_NODE_SEQ, err) < 0)
        return -1;
    if (seq->len == 0)
        return hs_node_err(seq, err, "expected at least one [x, y] pair");
    *xs = calloc(seq->len, sizeof **xs);
    *ys = calloc(seq->len, sizeof **ys);
    if (!*xs || !*ys)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        const hs_node *p = seq->items[i];
        if (hs_node_expect(p, HS_NODE_SEQ, err) < 0)
            return -1;
        if (p->len != 2)
            return hs_node_err(p, err, "expected a pair [x, y], found %zu values", p->len);
        if (hs_node_f64(p->items[0], -BIG, BIG, &(*xs)[i], err) < 0 ||
            hs_node_f64(p->items[1], -BIG, BIG, &(*ys)[i], err) < 0)
            return -1;
    }
    *n = seq->len;
    return 0;
}

/* ---- Curves: {points: [[x, y], ...], interp: linear|steffen} or
 *      {a: A, b: B, c: C, range: [lo, hi]}. ----------------------------- */

static const char *const curve_keys[] = {"points", "interp", "a", "b", "c", "range", NULL};
static const char *const interp_names[] = {"linear", "steffen", NULL};

static int read_power(const hs_node *map, hs_curve *c, hs_err *err)
{
    double a = 0, b = 1, cc = 0;
    if (hs_get_f64(map, "a", true, -BIG, BIG, &a, err) < 0 ||
        hs_get_f64(map, "b", true, -BIG, BIG, &b, err) < 0 ||
        hs_get_f64(map, "c", false, -BIG, BIG, &cc, err) < 0)
        return -1;
    hs_curve_set_power(c, a, b, cc);
    const hs_node *r = hs_map_get(map, "range");
    if (!r)
        return 0;
    if (hs_node_expect(r, HS_NODE_SEQ, err) < 0)
        return -1;
    if (r->len != 2)
        return hs_node_err(r, err, "expected [lo, hi]");
    if (hs_node_f64(r->items[0], 0, BIG, &c->lo, err) < 0 ||
        hs_node_f64(r->items[1], 0, BIG, &c->hi, err) < 0)
        return -1;
    if (!(c->hi >= c->lo))
        return hs_node_err(r, err, "range [lo, hi] needs lo <= hi");
    return 0;
}

static int read_curve(const hs_node *map, hs_curve *c, hs_err *err)
{
    if (hs_map_check_keys(map, curve_keys, err) < 0)
        return -1;
    const hs_node *pts = hs_map_get(map, "points");
    if (!pts) {
        if (!hs_map_get(map, "a"))
            return hs_node_err(map, err, "a curve needs 'points' or a fitted form 'a', 'b', 'c'");
        return read_power(map, c, err);
    }
    if (hs_map_get(map, "a"))
        return hs_node_err(hs_map_get(map, "a"), err, "give either 'points' or 'a', 'b', 'c', not both");
    int interp = HS_INTERP_LINEAR;
    if (hs_get_enum(map, "interp", false, interp_names, &interp, err) < 0)
        return -1;
    double *xs = NULL, *ys = NULL;
    size_t n = 0;
    int rc = read_pairs(pts, &xs, &ys, &n, err);
    if (rc == 0 && hs_curve_set_points(c, xs, ys, n, (hs_interp)interp, err) < 0)
        rc = at_node(pts, err);
    free(xs);
    free(ys);
    return rc;
}

/* ---- Memory domains and links. ------------------------------------------ */

static const char *const mem_keys[] = {"name", "type", "bandwidth_gbps", "achievable_gbps",
                                       "capacity_gb", "energy_pj_per_byte", "phi", NULL};

static int read_phi(const hs_node *seq, hs_mem *m, hs_err *err)
{
    double *d = NULL, *p = NULL;
    size_t n = 0;
    int rc = read_pairs(seq, &d, &p, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!(d[i] >= 0) || (i > 0 && !(d[i] > d[i - 1])))
            rc = hs_node_err(seq->items[i], err, "phi demands must be >= 0 and strictly increasing");
        else if (!(p[i] >= 1))
            rc = hs_node_err(seq->items[i], err, "phi must be >= 1 (it divides the capacity)");
    }
    for (size_t i = 0; rc == 0 && i < n; i++)   /* after the check, which compares neighbours */
        d[i] *= GB;
    if (rc < 0) {
        free(d);
        free(p);
        return -1;
    }
    m->nphi = n;
    m->phi_demand_bps = d;
    m->phi = p;
    return 0;
}

static int read_mem(const hs_node *map, bool named, hs_mem *m, hs_err *err)
{
    if (hs_map_check_keys(map, mem_keys, err) < 0)
        return -1;
    const char *name = "dram", *type = NULL;
    if (hs_get_str(map, "name", named, &name, err) < 0 || hs_get_str(map, "type", false, &type, err) < 0)
        return -1;
    m->name = strdup(name);
    m->type = dup_or_null(type);
    double bw = 0, ach = 0;
    if (get_pos(map, "bandwidth_gbps", true, &bw, err) < 0)
        return -1;
    ach = bw;
    if (hs_map_get(map, "achievable_gbps")) {
        if (get_pos(map, "achievable_gbps", false, &ach, err) < 0)
            return -1;
        if (ach > bw)
            return hs_node_err(hs_map_get(map, "achievable_gbps"), err,
                               "achievable_gbps (%g) exceeds bandwidth_gbps (%g)", ach, bw);
    }
    m->peak_bps = bw * GB;
    m->achievable_bps = ach * GB;
    if (get_scaled(map, "capacity_gb", POS, BIG, GB, &m->capacity_bytes, err) < 0 ||
        get_scaled(map, "energy_pj_per_byte", 0, BIG, PJ, &m->energy_j_per_byte, err) < 0)
        return -1;
    const hs_node *phi = hs_map_get(map, "phi");
    return phi ? read_phi(phi, m, err) : 0;
}

/* Whether every PU of the profile is `kind: generic` (a textbook processor
 * whose items carry their time: none draws memory bandwidth). */
static bool only_generic_pus(const hs_node *root)
{
    const hs_node *pus = hs_map_get(root, "pus");
    if (!pus || pus->kind != HS_NODE_SEQ || pus->len == 0)
        return false;
    for (size_t i = 0; i < pus->len; i++) {
        const hs_node *k = hs_map_get(pus->items[i], "kind");
        if (!k || k->kind != HS_NODE_SCALAR || strcmp(k->scalar, "generic") != 0)
            return false;
    }
    return true;
}

/* The domain a profile of generic PUs gets without `memory`: the one
 * generic-1pu.yaml writes out (100 GB/s, assumed: no item of such a
 * profile is costed by its bytes). */
static int default_mem(hs_mem *m, hs_err *err)
{
    m->name = strdup("dram");
    if (!m->name)
        return hs_errf(err, "out of memory");
    m->peak_bps = m->achievable_bps = 100 * GB;
    return 0;
}

static int read_mems(const hs_node *root, hs_hw *hw, hs_err *err)
{
    const hs_node *mem, *more;
    bool optional = only_generic_pus(root) && !hs_map_get(root, "memories");
    if (get_map(root, "memory", !optional, &mem, err) < 0 || get_seq(root, "memories", false, &more, err) < 0)
        return -1;
    size_t n = 1 + (more ? more->len : 0);
    hw->mems = calloc(n, sizeof *hw->mems);
    if (!hw->mems)
        return hs_errf(err, "out of memory");
    hw->nmem = 1;
    if (mem ? read_mem(mem, false, &hw->mems[0], err) < 0 : default_mem(&hw->mems[0], err) < 0)
        return -1;
    for (size_t i = 1; i < n; i++) {
        const hs_node *it = more->items[i - 1];
        hw->nmem++;
        if (hs_node_expect(it, HS_NODE_MAP, err) < 0 || read_mem(it, true, &hw->mems[i], err) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(hw->mems[j].name, hw->mems[i].name) == 0)
                return hs_node_err(hs_map_get(it, "name"), err, "duplicate memory name '%s'",
                                   hw->mems[i].name);
    }
    return 0;
}

/* A memory domain named at node v. */
static int mem_ref(const hs_hw *hw, const hs_node *v, int *out, hs_err *err)
{
    const char *name;
    if (hs_node_str(v, &name, err) < 0)
        return -1;
    *out = hs_hw_mem_find(hw, name);
    if (*out >= 0)
        return 0;
    const char *names[16];
    size_t k = 0;
    for (size_t i = 0; i < hw->nmem && k < 15; i++)
        names[k++] = hw->mems[i].name;
    names[k] = NULL;
    const char *near = hs_nearest(name, names);
    return hs_node_err(v, err, "unknown memory '%s'%s%s%s", name, near ? " (did you mean '" : "",
                       near ? near : "", near ? "'?)" : "");
}

static const char *const link_keys[] = {"name", "from", "to", "bandwidth_gbps", "latency_us",
                                        "energy_pj_per_byte", NULL};

static int read_link(const hs_node *map, hs_hw *hw, hs_link *l, hs_err *err)
{
    if (hs_node_expect(map, HS_NODE_MAP, err) < 0 || hs_map_check_keys(map, link_keys, err) < 0)
        return -1;
    const char *name;
    if (hs_get_str(map, "name", true, &name, err) < 0)
        return -1;
    l->name = strdup(name);
    const hs_node *from = hs_map_get(map, "from"), *to = hs_map_get(map, "to");
    if (!from || !to)
        return hs_node_err(map, err, "missing key '%s'", from ? "to" : "from");
    if (mem_ref(hw, from, &l->from, err) < 0 || mem_ref(hw, to, &l->to, err) < 0)
        return -1;
    if (l->from == l->to)
        return hs_node_err(to, err, "a link joins two different memories");
    double bw;
    if (get_pos(map, "bandwidth_gbps", true, &bw, err) < 0)
        return -1;
    l->bandwidth_bps = bw * GB;
    return get_scaled(map, "latency_us", 0, BIG, US, &l->latency_s, err) < 0 ||
                   get_scaled(map, "energy_pj_per_byte", 0, BIG, PJ, &l->energy_j_per_byte, err) < 0
               ? -1
               : 0;
}

static int read_links(const hs_node *root, hs_hw *hw, hs_err *err)
{
    const hs_node *seq;
    if (get_seq(root, "links", false, &seq, err) < 0)
        return -1;
    if (!seq)
        return 0;
    hw->links = calloc(seq->len ? seq->len : 1, sizeof *hw->links);
    if (!hw->links)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        hw->nlinks++;
        if (read_link(seq->items[i], hw, &hw->links[i], err) < 0)
            return -1;
    }
    return 0;
}

/* ---- PUs. ------------------------------------------------------------- */

static const char *const pu_keys[] = {
    "name", "kind", "model", "slots", "speed", "memory", "peak_tflops", "compute_efficiency",
    "op_efficiency", "bandwidth_gbps", "memory_efficiency", "launch_us", "sync_us", "preempt_us",
    "power_w", "unsupported", "tile", "static_shapes", "shape_policy", "graph_build",
    "order_penalty", "shape_penalty_exp", "shape_penalty_ref", "size_efficiency", "queue_launch_us",
    "preempt_cost_us", NULL};
static const char *const size_eff_keys[] = {"max", "half", NULL};
static const char *const sync_keys[] = {"naive", "fast", NULL};
static const char *const power_keys[] = {"active", "idle", NULL};
static const char *const shape_policy_names[] = {"pad", "build", NULL};

static int read_slots(const hs_node *map, hs_pu *pu, hs_err *err)
{
    const hs_node *v = hs_map_get(map, "slots");
    pu->slots = 1;
    if (!v)
        return 0;
    if (v->kind == HS_NODE_SCALAR && !v->quoted && strcmp(v->scalar, "unlimited") == 0) {
        pu->slots = HS_SLOTS_UNLIMITED;
        return 0;
    }
    int64_t s;
    if (hs_node_i64(v, 1, 1000000, &s, err) < 0)
        return -1;
    pu->slots = (int)s;
    return 0;
}

static int read_peaks(const hs_node *map, hs_pu *pu, hs_err *err)
{
    const hs_node *pk;
    if (get_map(map, "peak_tflops", false, &pk, err) < 0)
        return -1;
    if (!pk)
        return 0;
    if (hs_map_check_keys(pk, hs_dtype_names, err) < 0)
        return -1;
    for (int d = 0; d < HS_DT_COUNT; d++)
        if (get_scaled(pk, hs_dtype_names[d], 0, BIG, TERA, &pu->peak[d], err) < 0)
            return -1;
    return 0;
}

static int read_op_eff(const hs_node *map, hs_pu *pu, hs_err *err)
{
    for (int o = 0; o < HS_OP_COUNT; o++)
        pu->op_eff[o] = 1.0;
    const hs_node *oe;
    if (get_map(map, "op_efficiency", false, &oe, err) < 0)
        return -1;
    if (!oe)
        return 0;
    if (hs_map_check_keys(oe, hs_op_names, err) < 0)
        return -1;
    for (int o = 0; o < HS_OP_COUNT; o++)
        if (hs_map_get(oe, hs_op_names[o]) && get_pos(oe, hs_op_names[o], false, &pu->op_eff[o], err) < 0)
            return -1;
    return 0;
}

static int read_unsupported(const hs_node *map, hs_pu *pu, hs_err *err)
{
    const hs_node *seq;
    if (get_seq(map, "unsupported", false, &seq, err) < 0)
        return -1;
    for (size_t i = 0; seq && i < seq->len; i++) {
        int op;
        if (hs_node_enum(seq->items[i], hs_op_names, &op, err) < 0)
            return -1;
        pu->unsupported[op] = true;
    }
    return 0;
}

static int read_pair_map(const hs_node *map, const char *key, const char *const *keys, double unit,
                         double *a, double *b, hs_err *err)
{
    const hs_node *m;
    if (get_map(map, key, false, &m, err) < 0)
        return -1;
    if (!m)
        return 0;
    if (hs_map_check_keys(m, keys, err) < 0)
        return -1;
    return get_scaled(m, keys[0], 0, BIG, unit, a, err) < 0 ||
                   get_scaled(m, keys[1], 0, BIG, unit, b, err) < 0
               ? -1
               : 0;
}

static int read_static(const hs_node *map, hs_pu *pu, hs_err *err)
{
    const hs_node *seq;
    if (get_seq(map, "static_shapes", false, &seq, err) < 0)
        return -1;
    if (!seq)
        return 0;
    if (seq->len == 0)
        return hs_node_err(seq, err, "static_shapes needs at least one token count");
    pu->static_m = calloc(seq->len, sizeof *pu->static_m);
    if (!pu->static_m)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        if (hs_node_i64(seq->items[i], 1, INT64_MAX / 4, &pu->static_m[i], err) < 0)
            return -1;
        if (i > 0 && pu->static_m[i] <= pu->static_m[i - 1])
            return hs_node_err(seq->items[i], err, "static_shapes must be strictly increasing");
    }
    pu->nstatic = seq->len;
    return 0;
}

static int read_npu_rules(const hs_node *map, hs_pu *pu, hs_err *err)
{
    pu->tile = 1;
    pu->order_penalty = 1;
    int pol = HS_SHAPES_PAD;
    if (hs_get_i64(map, "tile", false, 1, 1 << 20, &pu->tile, err) < 0 || read_static(map, pu, err) < 0 ||
        hs_get_enum(map, "shape_policy", false, shape_policy_names, &pol, err) < 0 ||
        hs_get_f64(map, "order_penalty", false, 1, 1e6, &pu->order_penalty, err) < 0 ||
        hs_get_f64(map, "shape_penalty_exp", false, 0, 10, &pu->shape_penalty_exp, err) < 0 ||
        hs_get_i64(map, "shape_penalty_ref", false, 1, INT64_MAX / 4, &pu->shape_penalty_ref, err) < 0)
        return -1;
    pu->shape_policy = (hs_shape_policy)pol;
    const hs_node *gb;
    if (get_map(map, "graph_build", false, &gb, err) < 0)
        return -1;
    return gb ? read_curve(gb, &pu->graph_build, err) : 0;
}

static int read_pu_kind_name(const hs_node *map, hs_pu *pu, hs_err *err)
{
    const char *name, *model = NULL;
    int kind;
    if (hs_get_str(map, "name", true, &name, err) < 0 ||
        hs_get_enum(map, "kind", true, hs_pu_kind_names, &kind, err) < 0 ||
        hs_get_str(map, "model", false, &model, err) < 0)
        return -1;
    pu->name = strdup(name);
    pu->model = dup_or_null(model);
    pu->kind = (hs_pu_kind)kind;
    if (!pu->name[0])
        return hs_node_err(hs_map_get(map, "name"), err, "a PU name cannot be empty");
    /* A PU named like another kind would make `--pu gpu` ambiguous. */
    for (int k = 0; k < HS_PU_KIND_COUNT; k++)
        if (k != kind && strcmp(name, hs_pu_kind_names[k]) == 0)
            return hs_node_err(hs_map_get(map, "name"), err,
                               "PU name '%s' is a kind name, but this PU is a %s", name,
                               hs_pu_kind_names[kind]);
    return 0;
}

/* size_efficiency: {max: u_max, half: x_1/2}, both required. */
static int read_size_eff(const hs_node *map, hs_pu *pu, hs_err *err)
{
    const hs_node *m = hs_map_get(map, "size_efficiency");
    if (!m)
        return 0;
    if (m->kind != HS_NODE_MAP)
        return hs_node_err(m, err, "'size_efficiency' must be a mapping {max: u_max, half: x_1/2}");
    if (hs_map_check_keys(m, size_eff_keys, err) < 0 ||
        hs_get_f64(m, "max", true, 1e-6, 1, &pu->size_eff_max, err) < 0 ||
        get_pos(m, "half", true, &pu->size_eff_half, err) < 0)
        return -1;
    return 0;
}

/* queue_launch_us: at most launch_us (overlap can only hide cost). */
static int read_queue_launch(const hs_node *map, hs_pu *pu, hs_err *err)
{
    pu->queue_launch_s = pu->launch_s;
    if (!hs_map_get(map, "queue_launch_us"))
        return 0;
    if (get_scaled(map, "queue_launch_us", 0, BIG, US, &pu->queue_launch_s, err) < 0)
        return -1;
    if (pu->queue_launch_s > pu->launch_s * (1 + 1e-12))
        return hs_node_err(hs_map_get(map, "queue_launch_us"), err,
                           "queue_launch_us (%g) cannot exceed launch_us (%g): a queued kernel "
                           "overlaps part of its launch",
                           pu->queue_launch_s / US, pu->launch_s / US);
    return 0;
}

static int read_roofline(const hs_node *map, const hs_hw *hw, hs_pu *pu, hs_err *err)
{
    pu->compute_eff = 1;
    pu->mem_eff = 1;
    pu->speed = 1;
    pu->bandwidth_bps = hw->mems[pu->mem].achievable_bps;
    if (read_peaks(map, pu, err) < 0 || read_op_eff(map, pu, err) < 0 ||
        hs_get_f64(map, "compute_efficiency", false, 1e-6, 1, &pu->compute_eff, err) < 0 ||
        hs_get_f64(map, "memory_efficiency", false, 1e-6, 1, &pu->mem_eff, err) < 0 ||
        get_scaled(map, "bandwidth_gbps", POS, BIG, GB, &pu->bandwidth_bps, err) < 0 ||
        get_scaled(map, "launch_us", 0, BIG, US, &pu->launch_s, err) < 0 ||
        get_scaled(map, "preempt_us", 0, BIG, US, &pu->preempt_s, err) < 0 ||
        get_scaled(map, "preempt_cost_us", 0, BIG, US, &pu->preempt_cost_s, err) < 0 ||
        read_size_eff(map, pu, err) < 0 || read_queue_launch(map, pu, err) < 0)
        return -1;
    if (hs_map_get(map, "speed") && get_pos(map, "speed", false, &pu->speed, err) < 0)
        return -1;
    return 0;
}

static int read_pu(const hs_node *map, const hs_hw *hw, hs_pu *pu, hs_err *err)
{
    if (hs_node_expect(map, HS_NODE_MAP, err) < 0 || hs_map_check_keys(map, pu_keys, err) < 0 ||
        read_pu_kind_name(map, pu, err) < 0 || read_slots(map, pu, err) < 0)
        return -1;
    const hs_node *mv = hs_map_get(map, "memory");
    if (mv && mem_ref(hw, mv, &pu->mem, err) < 0)
        return -1;
    if (read_roofline(map, hw, pu, err) < 0 || read_unsupported(map, pu, err) < 0 ||
        read_pair_map(map, "sync_us", sync_keys, US, &pu->sync_naive_s, &pu->sync_fast_s, err) < 0 ||
        read_pair_map(map, "power_w", power_keys, 1.0, &pu->power_active_w, &pu->power_idle_w, err) < 0)
        return -1;
    return read_npu_rules(map, pu, err);
}

static int read_pus(const hs_node *root, hs_hw *hw, hs_err *err)
{
    const hs_node *seq;
    if (get_seq(root, "pus", true, &seq, err) < 0)
        return -1;
    if (seq->len == 0)
        return hs_node_err(seq, err, "a profile needs at least one PU");
    hw->pus = calloc(seq->len, sizeof *hw->pus);
    if (!hw->pus)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        hw->npus++;
        if (read_pu(seq->items[i], hw, &hw->pus[i], err) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(hw->pus[j].name, hw->pus[i].name) == 0)
                return hs_node_err(hs_map_get(seq->items[i], "name"), err, "duplicate PU name '%s'",
                                   hw->pus[i].name);
    }
    return 0;
}

/* ---- Profiled tables. -------------------------------------------------- */

static const char *const table_keys[] = {"op", "pu", "dtype", "weight_dtype", "m", "n", "k", "batch",
                                         "vary", "points", "interp", "fit", NULL};
static const char *const dim_names[] = {"m", "n", "k", "batch", NULL};

static int read_table_match(const hs_node *map, hs_hw *hw, hs_table *t, hs_err *err)
{
    int op;
    if (hs_get_enum(map, "op", true, hs_op_names, &op, err) < 0)
        return -1;
    t->op = (hs_op)op;
    const hs_node *pv = hs_map_get(map, "pu");
    const char *pu;
    if (!pv)
        return hs_node_err(map, err, "missing key 'pu'");
    if (hs_node_str(pv, &pu, err) < 0)
        return -1;
    if ((t->pu = hs_hw_pu_lookup(hw, pu, err)) < 0)
        return at_node(pv, err);
    t->dtype = t->weight_dtype = -1;
    if (hs_get_enum(map, "dtype", false, hs_dtype_names, &t->dtype, err) < 0 ||
        hs_get_enum(map, "weight_dtype", false, hs_dtype_names, &t->weight_dtype, err) < 0 ||
        hs_get_enum(map, "vary", true, dim_names, &t->vary, err) < 0)
        return -1;
    for (int d = 0; d < 4; d++) {
        t->fixed[d] = -1;
        if (hs_get_i64(map, dim_names[d], false, 1, INT64_MAX / 4, &t->fixed[d], err) < 0)
            return -1;
    }
    if (t->fixed[t->vary] >= 0)
        return hs_node_err(hs_map_get(map, dim_names[t->vary]), err,
                           "'%s' is the varying dimension; it cannot also be fixed", dim_names[t->vary]);
    return 0;
}

static int read_table(const hs_node *map, hs_hw *hw, hs_table *t, hs_err *err)
{
    if (hs_node_expect(map, HS_NODE_MAP, err) < 0 || hs_map_check_keys(map, table_keys, err) < 0 ||
        read_table_match(map, hw, t, err) < 0)
        return -1;
    const hs_node *pts = hs_map_get(map, "points"), *fit = hs_map_get(map, "fit");
    if (!pts == !fit)
        return hs_node_err(map, err, "a table needs exactly one of 'points' or 'fit'");
    if (fit) {
        if (hs_node_expect(fit, HS_NODE_MAP, err) < 0 || hs_map_check_keys(fit, curve_keys, err) < 0)
            return -1;
        if (hs_map_get(fit, "points"))
            return hs_node_err(hs_map_get(fit, "points"), err, "'fit' takes a, b, c and range");
        return read_power(fit, &t->curve, err);
    }
    int interp = HS_INTERP_LINEAR;
    if (hs_get_enum(map, "interp", false, interp_names, &interp, err) < 0)
        return -1;
    double *xs = NULL, *ys = NULL;
    size_t n = 0;
    int rc = read_pairs(pts, &xs, &ys, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!(ys[i] > 0) || !(xs[i] >= 1))
            rc = hs_node_err(pts->items[i], err, "table points need x >= 1 and seconds > 0");
    if (rc == 0 && hs_curve_set_points(&t->curve, xs, ys, n, (hs_interp)interp, err) < 0)
        rc = at_node(pts, err);
    free(xs);
    free(ys);
    return rc;
}

static int read_tables(const hs_node *root, hs_hw *hw, hs_err *err)
{
    const hs_node *seq;
    if (get_seq(root, "tables", false, &seq, err) < 0)
        return -1;
    if (!seq)
        return 0;
    hw->tables = calloc(seq->len ? seq->len : 1, sizeof *hw->tables);
    if (!hw->tables)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        hw->ntables++;
        if (read_table(seq->items[i], hw, &hw->tables[i], err) < 0)
            return -1;
    }
    return 0;
}

/* ---- The whole profile. ------------------------------------------------ */

static const char *const top_keys[] = {"name", "description", "memory", "memories", "links", "pus",
                                       "tables", "notes", "copy_gbps", NULL};

static int read_profile(const hs_node *root, hs_hw *hw, hs_err *err)
{
    if (hs_node_expect(root, HS_NODE_MAP, err) < 0 || hs_map_check_keys(root, top_keys, err) < 0)
        return -1;
    const char *name, *desc = "", *notes;
    if (hs_get_str(root, "name", true, &name, err) < 0 ||
        hs_get_str(root, "description", false, &desc, err) < 0 ||
        hs_get_str(root, "notes", false, &notes, err) < 0)
        return -1;
    hw->name = strdup(name);
    hw->description = strdup(desc);
    if (read_mems(root, hw, err) < 0 || read_links(root, hw, err) < 0 || read_pus(root, hw, err) < 0 ||
        get_scaled(root, "copy_gbps", 0, BIG, GB, &hw->copy_bps, err) < 0)
        return -1;
    return read_tables(root, hw, err);
}

static hs_hw *parse(const hs_node *root, const char *path, hs_err *err)
{
    hs_hw *hw = calloc(1, sizeof *hw);
    if (!hw) {
        hs_errf(err, "out of memory");
        return NULL;
    }
    err->msg[0] = '\0';
    if (read_profile(root, hw, err) < 0) {
        hs_hw_free(hw);
        return NULL;
    }
    hw->path = strdup(path ? path : "<inline>");
    return hw;
}

hs_hw *hs_hw_load_file(const char *path, hs_err *err)
{
    hs_node *root = hs_conf_load_file(path, err);
    if (!root)
        return NULL;
    hs_hw *hw = parse(root, path, err);
    hs_node_free(root);
    return hw;
}

hs_hw *hs_hw_load(const char *name_or_path, hs_err *err)
{
    char path[4096];
    if (hs_conf_resolve("hw", name_or_path, path, sizeof path, err) < 0)
        return NULL;
    return hs_hw_load_file(path, err);
}

/* A relative path in a file is first taken relative to that file. */
static hs_hw *load_beside(const hs_node *n, hs_err *err)
{
    const char *arg = n->scalar;
    bool is_path = strchr(arg, '/') || strstr(arg, ".yaml") || strstr(arg, ".yml");
    if (is_path && arg[0] != '/' && n->file && strchr(n->file, '/')) {
        const char *slash = strrchr(n->file, '/');
        char path[4096];
        snprintf(path, sizeof path, "%.*s/%s", (int)(slash - n->file), n->file, arg);
        if (access(path, R_OK) == 0)
            return hs_hw_load_file(path, err);
    }
    hs_hw *hw = hs_hw_load(arg, err);
    /* A name or path that resolves nowhere is a mistake in this file. */
    if (!hw && strncmp(err->msg, "error: ", 7) == 0)
        at_node(n, err);
    return hw;
}

hs_hw *hs_hw_from_node(const hs_node *node, hs_err *err)
{
    if (!node) {
        hs_errf(err, "no hardware profile given");
        return NULL;
    }
    if (node->kind == HS_NODE_SCALAR)
        return load_beside(node, err);
    if (node->kind != HS_NODE_MAP) {
        hs_node_err(node, err, "expected a profile name, a path or a mapping, found a %s",
                    hs_node_kind_name(node->kind));
        return NULL;
    }
    char where[512];
    snprintf(where, sizeof where, "%s:%d", node->file ? node->file : "<inline>", node->line);
    return parse(node, where, err);
}

static void free_mem(hs_mem *m)
{
    free(m->name);
    free(m->type);
    free(m->phi_demand_bps);
    free(m->phi);
}

void hs_hw_free(hs_hw *hw)
{
    if (!hw)
        return;
    for (size_t i = 0; i < hw->nmem; i++)
        free_mem(&hw->mems[i]);
    for (size_t i = 0; i < hw->nlinks; i++)
        free(hw->links[i].name);
    for (size_t i = 0; i < hw->npus; i++) {
        free(hw->pus[i].name);
        free(hw->pus[i].model);
        free(hw->pus[i].static_m);
        hs_curve_free(&hw->pus[i].graph_build);
    }
    for (size_t i = 0; i < hw->ntables; i++)
        hs_curve_free(&hw->tables[i].curve);
    free(hw->mems);
    free(hw->links);
    free(hw->pus);
    free(hw->tables);
    free(hw->name);
    free(hw->description);
    free(hw->path);
    free(hw);
}

/* ---- Lookup. ------------------------------------------------------------ */

int hs_hw_pu_find(const hs_hw *hw, const char *name_or_kind)
{
    if (!hw || !name_or_kind)
        return -1;
    for (size_t i = 0; i < hw->npus; i++)
        if (strcmp(hw->pus[i].name, name_or_kind) == 0)
            return (int)i;
    for (size_t i = 0; i < hw->npus; i++)
        if (strcmp(hs_pu_kind_names[hw->pus[i].kind], name_or_kind) == 0)
            return (int)i;
    return -1;
}

int hs_hw_pu_lookup(const hs_hw *hw, const char *name_or_kind, hs_err *err)
{
    int i = hs_hw_pu_find(hw, name_or_kind);
    if (i >= 0)
        return i;
    enum { MAXC = 64 };
    const char *cand[MAXC + HS_PU_KIND_COUNT + 1];
    size_t k = 0;
    char list[512] = "";
    size_t len = 0;
    for (size_t j = 0; j < hw->npus && k < MAXC; j++) {
        cand[k++] = hw->pus[j].name;
        len += (size_t)snprintf(list + len, len < sizeof list ? sizeof list - len : 0, "%s%s",
                                j ? ", " : "", hw->pus[j].name);
    }
    for (size_t j = 0; j < hw->npus && k < MAXC + HS_PU_KIND_COUNT; j++)
        cand[k++] = hs_pu_kind_names[hw->pus[j].kind];
    cand[k] = NULL;
    const char *near = hs_nearest(name_or_kind, cand);
    hs_errf(err, "unknown PU '%s' in profile '%s' (its PUs: %s)%s%s%s", name_or_kind, hw->name, list,
            near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    return -1;
}

int hs_hw_mem_find(const hs_hw *hw, const char *name)
{
    for (size_t i = 0; hw && name && i < hw->nmem; i++)
        if (strcmp(hw->mems[i].name, name) == 0)
            return (int)i;
    return -1;
}

double hs_hw_work_s(const hs_hw *hw, int pu, double work)
{
    if (!hw || pu < 0 || (size_t)pu >= hw->npus)
        return NAN;
    return work / hw->pus[pu].speed;
}

double hs_hw_sync_s(const hs_hw *hw, int from, int to, bool fast)
{
    if (!hw || from < 0 || to < 0 || (size_t)from >= hw->npus || (size_t)to >= hw->npus)
        return NAN;
    if (from == to)
        return 0;
    const hs_pu *a = &hw->pus[from], *b = &hw->pus[to];
    return fast ? fmax(a->sync_fast_s, b->sync_fast_s) : fmax(a->sync_naive_s, b->sync_naive_s);
}
