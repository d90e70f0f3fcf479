/* hetsoc hw: the published figures (hw/published/figures.yaml), each tagged
 * fit or held-out, and the tagging and summary of the check rows that
 * compare the model with them (`hetsoc hw check`, `hetsoc workload check`).
 * The format is in hw/README.md, "Fit versus held-out". */
#include "hw/hw.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIGURES_DIR "hw/published"

struct hs_figures {
    hs_node *doc;               /* the strings of v point into it */
    hs_figure *v;
    size_t n;
};

static const char *const top_keys[] = {"papers", "figures", NULL};
static const char *const fig_keys[] = {"id", "paper", "where", "page", "value", "unit", "tag", "sets", "note", NULL};
static const char *const tag_names[] = {"fit", "held-out", NULL};

const char *hs_fig_tag_name(hs_fig_tag t)
{
    return (unsigned)t <= HS_FIG_HELD_OUT ? tag_names[t] : "?";
}

static int get_text(const hs_node *map, const char *key, bool required, const char **out, hs_err *err)
{
    *out = "";
    if (hs_get_str(map, key, required, out, err) < 0)
        return -1;
    if (required && !**out)
        return hs_node_err(hs_map_get(map, key), err, "'%s' is empty", key);
    return 0;
}

static bool id_ok(const char *id)
{
    for (const char *c = id; *c; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-' || *c == '.'))
            return false;
    return *id != '\0';
}

static int read_fig(const hs_node *papers, const hs_node *map, const hs_figures *set, hs_figure *f, hs_err *err)
{
    int tag = 0;
    f->line = map->line;
    f->col = map->col;
    if (hs_map_check_keys(map, fig_keys, err) < 0 || get_text(map, "id", true, &f->id, err) < 0 ||
        get_text(map, "paper", true, &f->paper, err) < 0 || get_text(map, "where", true, &f->where, err) < 0 ||
        get_text(map, "page", false, &f->page, err) < 0 || get_text(map, "unit", true, &f->unit, err) < 0 ||
        get_text(map, "sets", false, &f->sets, err) < 0 || get_text(map, "note", false, &f->note, err) < 0 ||
        hs_get_f64(map, "value", true, -INFINITY, INFINITY, &f->value, err) < 0 ||
        hs_get_enum(map, "tag", true, tag_names, &tag, err) < 0)
        return -1;
    f->tag = (hs_fig_tag)tag;
    if (!id_ok(f->id))
        return hs_node_err(hs_map_get(map, "id"), err, "id '%s' must be lowercase letters, digits, '-' and '.'",
                           f->id);
    const hs_figure *dup = hs_figures_find(set, f->id);
    if (dup)
        return hs_node_err(hs_map_get(map, "id"), err, "figure '%s' is already defined at line %d", f->id,
                           dup->line);
    if (!hs_map_get(papers, f->paper))
        return hs_node_err(hs_map_get(map, "paper"), err, "unknown paper '%s' (not under 'papers:')", f->paper);
    if (f->tag == HS_FIG_HELD_OUT && *f->sets)
        return hs_node_err(hs_map_get(map, "sets"), err,
                           "figure '%s' is held-out but 'sets' a parameter: a figure is fit or held-out, not both",
                           f->id);
    return 0;
}

static int read_all(hs_figures *set, hs_err *err)
{
    const hs_node *root = set->doc;
    if (hs_map_check_keys(root, top_keys, err) < 0)
        return -1;
    const hs_node *papers = hs_map_get(root, "papers"), *seq = hs_map_get(root, "figures");
    if (!papers || !seq)
        return hs_node_err(root, err, "missing key '%s'", papers ? "figures" : "papers");
    if (hs_node_expect(papers, HS_NODE_MAP, err) < 0 || hs_node_expect(seq, HS_NODE_SEQ, err) < 0)
        return -1;
    if (seq->len && !(set->v = calloc(seq->len, sizeof *set->v)))
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        if (hs_node_expect(seq->items[i], HS_NODE_MAP, err) < 0 ||
            read_fig(papers, seq->items[i], set, &set->v[i], err) < 0)
            return -1;
        set->n = i + 1;
    }
    return 0;
}

hs_figures *hs_figures_load(const char *name_or_path, hs_err *err)
{
    char path[4096];
    if (hs_conf_resolve(FIGURES_DIR, name_or_path ? name_or_path : "figures", path, sizeof path, err) < 0)
        return NULL;
    hs_figures *set = calloc(1, sizeof *set);
    if (!set) {
        hs_errf(err, "out of memory");
        return NULL;
    }
    if (!(set->doc = hs_conf_load_file(path, err)) || read_all(set, err) < 0) {
        hs_figures_free(set);
        return NULL;
    }
    return set;
}

void hs_figures_free(hs_figures *f)
{
    if (!f)
        return;
    hs_node_free(f->doc);
    free(f->v);
    free(f);
}

size_t hs_figures_count(const hs_figures *f)
{
    return f->n;
}

const hs_figure *hs_figures_at(const hs_figures *f, size_t i)
{
    return i < f->n ? &f->v[i] : NULL;
}

const hs_figure *hs_figures_find(const hs_figures *f, const char *id)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].id, id) == 0)
            return &f->v[i];
    return NULL;
}

/* ---- Check rows. ------------------------------------------------------- */

int hs_check_tag(hs_check_row *rows, size_t n, hs_err *err)
{
    hs_figures *set = hs_figures_load(NULL, err);
    if (!set)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const hs_figure *f = rows[i].figure ? hs_figures_find(set, rows[i].figure) : NULL;
        if (!f) {
            rc = hs_errf(err, "check row '%s' names figure '%s', which hw/published/figures.yaml lacks",
                         rows[i].what, rows[i].figure ? rows[i].figure : "(none)");
            break;
        }
        /* The tag names are static; the note is copied (it dies with the set). */
        rows[i].tag = hs_fig_tag_name(f->tag);
        rows[i].asserted = f->tag == HS_FIG_FIT;
        snprintf(rows[i].note, sizeof rows[i].note, "%s", f->note);
    }
    hs_figures_free(set);
    return rc;
}

double hs_check_rel_err(const hs_check_row *r)
{
    if (isfinite(r->published) && r->published != 0)
        return r->predicted / r->published - 1;
    if (r->predicted < r->lo)
        return r->predicted / r->lo - 1;
    if (r->predicted > r->hi)
        return r->predicted / r->hi - 1;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void hs_check_summarise(const hs_check_row *rows, size_t n, const char *tag, hs_check_summary *s)
{
    *s = (hs_check_summary){.median_abs = NAN, .worst = NAN};
    double *abs_err = n ? malloc(n * sizeof *abs_err) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].tag || strcmp(rows[i].tag, tag) != 0)
            continue;
        double e = hs_check_rel_err(&rows[i]);
        if (abs_err)
            abs_err[s->n] = fabs(e);
        s->n++;
        s->pass += rows[i].pass;
        if (!s->worst_what || fabs(e) > fabs(s->worst)) {
            s->worst = e;
            s->worst_what = rows[i].what;
        }
    }
    if (abs_err && s->n) {
        qsort(abs_err, s->n, sizeof *abs_err, cmp_double);
        s->median_abs = s->n % 2 ? abs_err[s->n / 2] : (abs_err[s->n / 2 - 1] + abs_err[s->n / 2]) / 2;
    }
    free(abs_err);
}
