/* hetsoc: the HDF5 results file (see h5io.h).
 *
 * Every table is handled the same way: to its callers a row is an array of
 * 8-byte cells (int64, double or char *).  HDF5 sees a packed row instead
 * (pack_rows, unpack_rows): int64 and double members, and each string in a
 * fixed slot of its column's width plus a terminating NUL; on disk the
 * compound is packed, with int64, int8, float64 and fixed-length,
 * NUL-padded UTF-8 string members.  HDF5 converts between the two on every
 * read and write.
 *
 * A corrupted file must not crash its reader: there are no variable-length
 * strings (their global-heap addresses are what a flipped byte turns into a
 * wild read), every chunk carries a Fletcher-32 checksum, and the file's
 * metadata uses the 1.10 format, whose object headers and chunk indices
 * carry checksums too.  A checksum that fails is an HDF5 read error, which
 * the read side reports as "corrupt results file". */
#include <errno.h>
#include <hdf5.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results/h5io.h"

#define LAYOUT "hetsoc-results-3"
/* The layouts of earlier versions this one cannot read: -1 (variable-length
 * strings), -2 (no policy_name, parameter columns or /dram). */
#define LAYOUT_EARLIER "hetsoc-results-2"

/* Widths (bytes) of the string columns: a label (policy, hardware and
 * workload labels, string sweep values), a schema name (NAME and PU:
 * the engine's char[64]; TEXT: class, stage and slot names), a run's failure
 * message (longer ones are cut, marked "..."), and a resolved configuration
 * (YAML).  Chosen: wide enough for every file the project ships; a longer
 * value is an error at write, never a silent cut. */
enum {
    W_KEY = 16, W_WORD = 16, W_LABEL = 256, W_NAME = 64, W_TEXT = 128, W_MESSAGE = 1024, W_CONFIG = 1 << 16,
    W_MAX = 1 << 20   /* a wider string column read back is a corrupt file */
};

typedef enum col_type { COL_I64, COL_I8, COL_F64, COL_STR } col_type;

typedef union cell {
    int64_t i;
    double f;
    char *s;
} cell;

typedef struct col {
    const char *name;
    col_type type;
    size_t width;           /* COL_STR: the fixed length on disk */
} col;

typedef struct table {
    const char *name;
    hid_t dset, mtype;
    size_t ncols;
    col *cols;
    char **names;           /* owned column names (opened tables) */
    size_t *moff, msize;    /* packed row: each column's offset, the row's size */
    unsigned char *rbuf;    /* packed rows of the last table_read */
    hsize_t nrows;
    size_t chunk;
    /* Read side: the rows of each run, [first, first + count). */
    bool indexed;
    size_t nindex;
    int64_t *irun;
    hsize_t *ifirst, *icount;
} table;

enum { T_RUNS, T_CONFIGS, T_REQUESTS, T_PUS, T_KERNELS, T_CLASSES, T_DRAM, T_COUNT };
static const char *const table_names[T_COUNT] = {"runs", "configs", "requests", "pus", "kernels", "classes", "dram"};

struct hs_h5 {
    char *path;
    hid_t file;
    bool writable, failed;
    hs_h5_meta meta;
    table t[T_COUNT];
};

/* ---- Fixed columns ------------------------------------------------------------ */
static const col runs_head[] = {
    {"run", COL_I64, 0}, {"key", COL_STR, W_KEY}, {"policy", COL_STR, W_LABEL},
    {"policy_name", COL_STR, W_LABEL}, {"hw", COL_STR, W_LABEL},
    {"workload", COL_STR, W_LABEL}, {"seed", COL_I64, 0}, {"backend", COL_STR, W_WORD},
    {"status", COL_STR, W_WORD}, {"message", COL_STR, W_MESSAGE},
};
static const col configs_cols[] = {{"run", COL_I64, 0}, {"key", COL_STR, W_KEY}, {"config", COL_STR, W_CONFIG}};
/* The metric columns of /runs and the /requests, /pus and /kernels tables
 * come from the record's tables (run_record.h, from sim/engine/schema.h):
 * "run", then the table's columns.  Filled once by h5_init. */
#define ONE(...) +1
enum {
    NTAIL = 0 HS_LATENCY_COLUMNS(ONE) HS_RUN_COLUMNS(ONE),
    NREQUESTS = 1 HS_REQUEST_COLUMNS(ONE),
    NPUS = 1 HS_PU_COLUMNS(ONE),
    NKERNELS = 1 HS_KERNEL_COLUMNS(ONE),
    NCLASSES = 2 HS_LATENCY_COLUMNS(ONE),
    NDRAM = 1 HS_DRAM_COLUMNS(ONE),
    NROWCOLS_MAX = NKERNELS > NREQUESTS ? (NKERNELS > NCLASSES ? NKERNELS : NCLASSES)
                                        : (NREQUESTS > NCLASSES ? NREQUESTS : NCLASSES),
};
static col runs_tail[NTAIL], requests_cols[NREQUESTS], pus_cols[NPUS], kernels_cols[NKERNELS],
    classes_cols[NCLASSES], dram_cols[NDRAM];

/* The record's table of each HDF5 row table (T_CONFIGS: none). */
static const hs_rec_table_id rec_table_of[T_COUNT] = {
    [T_RUNS] = HS_REC_METRICS, [T_REQUESTS] = HS_REC_REQUESTS, [T_PUS] = HS_REC_PUS, [T_KERNELS] = HS_REC_KERNELS,
    [T_CLASSES] = HS_REC_CLASSES, [T_DRAM] = HS_REC_DRAM,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static col_type type_of(hs_col_kind kind)
{
    switch (kind) {
    case HS_COL_INT:
    case HS_COL_U32: return COL_I64;
    case HS_COL_REAL: return COL_F64;
    case HS_COL_FLAG: return COL_I8;
    default: return COL_STR;
    }
}

static size_t width_of(hs_col_kind kind)
{
    return kind == HS_COL_TEXT ? W_TEXT : kind == HS_COL_PU || kind == HS_COL_NAME ? W_NAME : 0;
}

static void schema_cols(hs_rec_table_id id, col *out)
{
    const hs_rec_table *t = hs_rec_table_of(id);
    for (size_t i = 0; i < t->n; i++)
        out[i] = (col){t->cols[i].column, type_of(t->cols[i].kind), width_of(t->cols[i].kind)};
}

static void schema_init(void)
{
    schema_cols(HS_REC_METRICS, runs_tail);
    col *rows[] = {requests_cols, pus_cols, kernels_cols, classes_cols, dram_cols};
    hs_rec_table_id ids[] = {HS_REC_REQUESTS, HS_REC_PUS, HS_REC_KERNELS, HS_REC_CLASSES, HS_REC_DRAM};
    for (size_t i = 0; i < COUNT(ids); i++) {
        rows[i][0] = (col){"run", COL_I64, 0};
        schema_cols(ids[i], rows[i] + 1);
    }
}

#define NHEAD (sizeof runs_head / sizeof runs_head[0])

/* ---- Errors ------------------------------------------------------------------------ */
static void h5_init(void)
{
    static bool done;
    if (!done) {
        H5open();
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        schema_init();
        done = true;
    }
}

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    if (e->desc && e->desc[0])
        snprintf(data, 256, "%s", e->desc);
    return 0;
}

/* "PATH: error: WHAT (HDF5: innermost description)". */
static int h5_err(const char *path, hs_err *err, const char *what)
{
    char detail[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, detail);
    H5Eclear2(H5E_DEFAULT);
    if (detail[0])
        return hs_err_at(err, path, 0, 0, "%s (HDF5: %s)", what, detail);
    return hs_err_at(err, path, 0, 0, "%s", what);
}

/* A file that fails a check on the read side: "PATH: error: corrupt results
 * file (WHAT[; HDF5: innermost description])". */
static int h5_corrupt(const char *path, hs_err *err, const char *what)
{
    char detail[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, detail);
    H5Eclear2(H5E_DEFAULT);
    if (detail[0])
        return hs_err_at(err, path, 0, 0, "corrupt results file (%s; HDF5: %s)", what, detail);
    return hs_err_at(err, path, 0, 0, "corrupt results file (%s)", what);
}

/* ---- Types ---------------------------------------------------------------------------- */
/* A fixed-length UTF-8 string of size bytes: NUL-padded on disk, NUL-terminated in memory. */
static hid_t str_type(size_t size, H5T_str_t pad)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, size ? size : 1);
    H5Tset_strpad(t, pad);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

/* The packed memory row: 8-byte numbers, each string in width + 1 bytes
 * (rounded up to 8); fills moff and *msize. */
static hid_t mem_type(const col *cols, size_t n, size_t *moff, size_t *msize)
{
    size_t size = 0;
    for (size_t i = 0; i < n; i++) {
        moff[i] = size;
        size += cols[i].type == COL_STR ? (cols[i].width + 1 + 7) / 8 * 8 : 8;
    }
    *msize = size ? size : 8;
    hid_t t = H5Tcreate(H5T_COMPOUND, *msize);
    for (size_t i = 0; i < n; i++) {
        hid_t m = cols[i].type == COL_STR ? str_type(cols[i].width + 1, H5T_STR_NULLTERM)
                  : cols[i].type == COL_F64 ? H5Tcopy(H5T_NATIVE_DOUBLE)
                                            : H5Tcopy(H5T_NATIVE_INT64);
        H5Tinsert(t, cols[i].name, moff[i], m);
        H5Tclose(m);
    }
    return t;
}

static hid_t file_member_type(const col *c)
{
    switch (c->type) {
    case COL_STR: return str_type(c->width, H5T_STR_NULLPAD);
    case COL_F64: return H5Tcopy(H5T_IEEE_F64LE);
    case COL_I8: return H5Tcopy(H5T_STD_I8LE);
    default: return H5Tcopy(H5T_STD_I64LE);
    }
}

static hid_t file_type(const col *cols, size_t n)
{
    size_t size = 0;
    hid_t types[256];
    for (size_t i = 0; i < n; i++) {
        types[i] = file_member_type(&cols[i]);
        size += H5Tget_size(types[i]);
    }
    hid_t t = H5Tcreate(H5T_COMPOUND, size);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        H5Tinsert(t, cols[i].name, off, types[i]);
        off += H5Tget_size(types[i]);
        H5Tclose(types[i]);
    }
    return t;
}

/* Packs n rows of cells; a string longer than its column's width is an
 * error (the caller cuts the one column that may be cut, the message). */
static int pack_rows(const char *path, const table *t, const cell *rows, size_t n, unsigned char *buf,
                     hs_err *err)
{
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < t->ncols; i++) {
            const cell *c = &rows[r * t->ncols + i];
            unsigned char *dst = buf + r * t->msize + t->moff[i];
            if (t->cols[i].type != COL_STR) {
                memcpy(dst, c, 8);
                continue;
            }
            const char *s = c->s ? c->s : "";
            size_t len = strlen(s);
            if (len > t->cols[i].width)
                return hs_err_at(err, path, 0, 0, "a value of /%s column '%s' is %zu bytes, longer than its %zu",
                                 t->name, t->cols[i].name, len, t->cols[i].width);
            memcpy(dst, s, len + 1);
        }
    return 0;
}

/* Cells over n packed rows: strings point into buf, each NUL-terminated
 * within its slot whatever the file held. */
static void unpack_rows(const table *t, unsigned char *buf, size_t n, cell *rows)
{
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < t->ncols; i++) {
            unsigned char *src = buf + r * t->msize + t->moff[i];
            cell *c = &rows[r * t->ncols + i];
            if (t->cols[i].type == COL_STR) {
                src[t->cols[i].width] = 0;
                c->s = (char *)src;
            } else {
                memcpy(c, src, 8);
            }
        }
}

/* ---- Tables ----------------------------------------------------------------------------- */
static void table_close(table *t)
{
    if (t->mtype > 0)
        H5Tclose(t->mtype);
    if (t->dset > 0)
        H5Dclose(t->dset);
    if (t->names) {
        for (size_t i = 0; i < t->ncols; i++)
            free(t->names[i]);
        free(t->names);
        free(t->cols);
    }
    free(t->moff);
    free(t->rbuf);
    free(t->irun);
    free(t->ifirst);
    free(t->icount);
    memset(t, 0, sizeof *t);
}

/* Room for a few compressed chunks of each table, so that appending a run's
 * rows does not decompress and recompress a chunk per append (the default
 * cache, 1 MiB, holds less than one chunk of /kernels). */
static hid_t chunk_cache(void)
{
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 521, (size_t)32 << 20, 1.0);
    return dapl;
}

static int table_create(hs_h5 *h, table *t, const char *name, const col *cols, size_t n, size_t chunk,
                        hs_err *err)
{
    t->name = name;
    t->ncols = n;
    t->chunk = chunk;
    t->cols = (col *)cols;
    if (!(t->moff = calloc(n ? n : 1, sizeof *t->moff)))
        return hs_errf(err, "out of memory");
    t->mtype = mem_type(cols, n, t->moff, &t->msize);
    hid_t ft = file_type(cols, n);
    hsize_t dims = 0, maxdims = H5S_UNLIMITED, ch = chunk;
    hid_t space = H5Screate_simple(1, &dims, &maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &ch);
    /* Fixed-length strings are mostly padding: shuffle + deflate shrink
     * it; Fletcher-32 last, so the checksum covers what is on disk. */
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 1);
    }
    H5Pset_fletcher32(dcpl);
    hid_t dapl = chunk_cache();
    t->dset = H5Dcreate2(h->file, name, ft, space, H5P_DEFAULT, dcpl, dapl);
    H5Pclose(dapl);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(ft);
    if (t->dset < 0 || t->mtype < 0) {
        char what[128];
        snprintf(what, sizeof what, "cannot create dataset /%s", name);
        return h5_err(h->path, err, what);
    }
    return 0;
}

static int table_open(hs_h5 *h, table *t, const char *name, hs_err *err)
{
    t->name = name;
    char what[160];
    htri_t exists = H5Lexists(h->file, name, H5P_DEFAULT);
    if (exists <= 0) {
        snprintf(what, sizeof what, "no dataset /%s", name);
        return h5_corrupt(h->path, err, what);
    }
    hid_t dapl = chunk_cache();
    t->dset = H5Dopen2(h->file, name, dapl);
    H5Pclose(dapl);
    if (t->dset < 0) {
        snprintf(what, sizeof what, "cannot open dataset /%s", name);
        return h5_corrupt(h->path, err, what);
    }
    hid_t ft = H5Dget_type(t->dset);
    hid_t sp = H5Dget_space(t->dset);
    int nm = H5Tget_class(ft) == H5T_COMPOUND ? H5Tget_nmembers(ft) : -1;
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims = 0;
    if (rank == 1)
        H5Sget_simple_extent_dims(sp, &dims, NULL);
    H5Sclose(sp);
    if (nm <= 0 || nm > 256 || rank != 1) {
        H5Tclose(ft);
        snprintf(what, sizeof what, "dataset /%s is not a table of hetsoc results", name);
        return h5_corrupt(h->path, err, what);
    }
    t->nrows = dims;
    t->ncols = (size_t)nm;
    t->cols = calloc(t->ncols, sizeof *t->cols);
    t->names = calloc(t->ncols, sizeof *t->names);
    t->moff = calloc(t->ncols, sizeof *t->moff);
    if (!t->cols || !t->names || !t->moff) {
        H5Tclose(ft);
        return hs_errf(err, "out of memory");
    }
    for (size_t i = 0; i < t->ncols; i++) {
        char *mn = H5Tget_member_name(ft, (unsigned)i);
        t->names[i] = strdup(mn ? mn : "");
        H5free_memory(mn);
        if (!t->names[i]) {
            H5Tclose(ft);
            return hs_errf(err, "out of memory");
        }
        t->cols[i].name = t->names[i];
        H5T_class_t c = H5Tget_member_class(ft, (unsigned)i);
        if (c == H5T_INTEGER) {
            t->cols[i].type = COL_I64;
        } else if (c == H5T_FLOAT) {
            t->cols[i].type = COL_F64;
        } else if (c == H5T_STRING) {
            hid_t mt = H5Tget_member_type(ft, (unsigned)i);
            htri_t var = H5Tis_variable_str(mt);
            size_t width = H5Tget_size(mt);
            H5Tclose(mt);
            if (var != 0 || width == 0 || width > W_MAX) {
                H5Tclose(ft);
                snprintf(what, sizeof what, "column '%s' of /%s is not a fixed-length string (a file of an "
                         "earlier hetsoc?)", t->names[i], name);
                return h5_corrupt(h->path, err, what);
            }
            t->cols[i].type = COL_STR;
            t->cols[i].width = width;
        } else {
            H5Tclose(ft);
            snprintf(what, sizeof what, "column '%s' of /%s has an unsupported type", t->names[i], name);
            return h5_corrupt(h->path, err, what);
        }
    }
    H5Tclose(ft);
    t->mtype = mem_type(t->cols, t->ncols, t->moff, &t->msize);
    return 0;
}

static size_t col_index(const table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

static int table_append(hs_h5 *h, table *t, const cell *rows, size_t n, hs_err *err)
{
    if (n == 0)
        return 0;
    hsize_t start = t->nrows, count = n, total = t->nrows + n;
    char what[128];
    unsigned char *packed = calloc(n, t->msize);
    if (!packed)
        return hs_errf(err, "out of memory");
    if (pack_rows(h->path, t, rows, n, packed, err) != 0) {
        free(packed);
        return -1;
    }
    if (H5Dset_extent(t->dset, &total) < 0) {
        free(packed);
        snprintf(what, sizeof what, "cannot extend /%s", t->name);
        return h5_err(h->path, err, what);
    }
    hid_t fs = H5Dget_space(t->dset);
    hid_t ms = H5Screate_simple(1, &count, NULL);
    herr_t rc = H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
    if (rc >= 0)
        rc = H5Dwrite(t->dset, t->mtype, ms, fs, H5P_DEFAULT, packed);
    H5Sclose(ms);
    H5Sclose(fs);
    free(packed);
    if (rc < 0) {
        snprintf(what, sizeof what, "cannot write /%s", t->name);
        return h5_err(h->path, err, what);
    }
    t->nrows = total;
    return 0;
}

/* Reads rows [first, first + n) into cells (n * ncols); strings belong to
 * the table until table_reclaim. */
static int table_read(hs_h5 *h, table *t, hsize_t first, size_t n, cell *rows, hs_err *err)
{
    if (n == 0)
        return 0;
    free(t->rbuf);
    if (!(t->rbuf = calloc(n, t->msize)))
        return hs_errf(err, "out of memory");
    hsize_t count = n;
    hid_t fs = H5Dget_space(t->dset);
    hid_t ms = H5Screate_simple(1, &count, NULL);
    herr_t rc = H5Sselect_hyperslab(fs, H5S_SELECT_SET, &first, NULL, &count, NULL);
    if (rc >= 0)
        rc = H5Dread(t->dset, t->mtype, ms, fs, H5P_DEFAULT, t->rbuf);
    H5Sclose(ms);
    H5Sclose(fs);
    if (rc < 0) {
        char what[128];
        snprintf(what, sizeof what, "cannot read /%s", t->name);
        return h5_corrupt(h->path, err, what);
    }
    unpack_rows(t, t->rbuf, n, rows);
    return 0;
}

static void table_reclaim(table *t)
{
    free(t->rbuf);
    t->rbuf = NULL;
}

/* The row range of every run in a table grouped by run. */
static int table_index(hs_h5 *h, table *t, hs_err *err)
{
    if (t->indexed)
        return 0;
    size_t rc = col_index(t, "run");
    if (rc == SIZE_MAX || t->cols[rc].type != COL_I64)
        return hs_err_at(err, h->path, 0, 0, "corrupt results file (/%s has no integer column 'run')", t->name);
    int64_t *runs = malloc((t->nrows ? t->nrows : 1) * sizeof *runs);
    if (!runs)
        return hs_errf(err, "out of memory");
    if (t->nrows) {
        hid_t mt = H5Tcreate(H5T_COMPOUND, 8);
        H5Tinsert(mt, "run", 0, H5T_NATIVE_INT64);
        herr_t r = H5Dread(t->dset, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, runs);
        H5Tclose(mt);
        if (r < 0) {
            free(runs);
            char what[128];
            snprintf(what, sizeof what, "cannot read /%s", t->name);
            return h5_corrupt(h->path, err, what);
        }
    }
    size_t n = 0;
    for (hsize_t i = 0; i < t->nrows; i++)
        if (i == 0 || runs[i] != runs[i - 1])
            n++;
    t->irun = malloc((n ? n : 1) * sizeof *t->irun);
    t->ifirst = malloc((n ? n : 1) * sizeof *t->ifirst);
    t->icount = malloc((n ? n : 1) * sizeof *t->icount);
    if (!t->irun || !t->ifirst || !t->icount) {
        free(runs);
        return hs_errf(err, "out of memory");
    }
    size_t k = 0;
    for (hsize_t i = 0; i < t->nrows; i++) {
        if (i == 0 || runs[i] != runs[i - 1]) {
            if (k && runs[i] <= t->irun[k - 1]) {
                free(runs);
                return hs_err_at(err, h->path, 0, 0, "corrupt results file (/%s is not ordered by run)", t->name);
            }
            t->irun[k] = runs[i];
            t->ifirst[k] = i;
            t->icount[k] = 0;
            k++;
        }
        t->icount[k - 1]++;
    }
    free(runs);
    t->nindex = n;
    t->indexed = true;
    return 0;
}

static bool table_rows_of(const table *t, int64_t run, hsize_t *first, size_t *count)
{
    size_t lo = 0, hi = t->nindex;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->irun[mid] < run)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < t->nindex && t->irun[lo] == run) {
        *first = t->ifirst[lo];
        *count = (size_t)t->icount[lo];
        return true;
    }
    *count = 0;
    return false;
}

/* ---- Attributes ------------------------------------------------------------------------ */
/* A fixed-length string of the value's exact length (no global heap). */
static int attr_str_write(hid_t loc, const char *name, const char *value)
{
    const char *v = value ? value : "";
    hid_t t = str_type(strlen(v) + 1, H5T_STR_NULLTERM), s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, v);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return rc < 0 ? -1 : 0;
}

static int attr_i64_write(hid_t loc, const char *name, int64_t value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT64, &value);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    return rc < 0 ? -1 : 0;
}

static char *attr_str_read(hid_t loc, const char *name)
{
    if (H5Aexists(loc, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return NULL;
    hid_t ft = H5Aget_type(a);
    char *out = NULL;
    /* Variable-length strings (files of an earlier hetsoc) are not read:
     * their global-heap addresses are what a corrupted byte makes wild. */
    size_t n = H5Tget_size(ft);
    if (H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) == 0 && n > 0 && n <= (size_t)64 << 20) {
        char *buf = calloc(n + 1, 1);
        hid_t t = H5Tcopy(ft);
        if (buf && H5Aread(a, t, buf) >= 0)
            out = buf;
        else
            free(buf);
        H5Tclose(t);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return out;
}

static int attr_i64_read(hid_t loc, const char *name, int64_t *out)
{
    if (H5Aexists(loc, name) <= 0)
        return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    herr_t rc = H5Aread(a, H5T_NATIVE_INT64, out);
    H5Aclose(a);
    return rc < 0 ? -1 : 0;
}

/* ---- Meta ----------------------------------------------------------------------------- */
void hs_h5_meta_free(hs_h5_meta *m)
{
    free(m->version);
    free(m->experiment_yaml);
    free(m->experiment);
    free(m->baseline);
    free(m->shard);
    for (size_t i = 0; i < m->nsweep; i++)
        free(m->sweep[i]);
    free(m->sweep);
    free(m->numeric);
    free(m->integer);
    for (size_t i = 0; i < m->nparams; i++)
        free(m->params[i]);
    free(m->params);
    free(m->param_numeric);
    free(m->param_integer);
    memset(m, 0, sizeof *m);
}

static char *dup0(const char *s)
{
    return strdup(s ? s : "");
}

/* Copies n value columns (names, numeric, integer: NULL for none) into
 * the arrays *names, *numeric, *integer it allocates, counting them in *nd. */
static bool copy_value_cols(size_t n, char *const *names, const bool *numeric, const bool *integer, size_t *nd,
                            char ***dnames, bool **dnumeric, bool **dinteger)
{
    *dnames = calloc(n ? n : 1, sizeof **dnames);
    *dnumeric = calloc(n ? n : 1, sizeof **dnumeric);
    *dinteger = calloc(n ? n : 1, sizeof **dinteger);
    bool ok = *dnames && *dnumeric && *dinteger;
    for (size_t i = 0; ok && i < n; i++) {
        ok = ((*dnames)[i] = strdup(names[i])) != NULL;
        (*dnumeric)[i] = numeric[i];
        (*dinteger)[i] = numeric[i] && integer && integer[i];
        *nd = i + 1;
    }
    return ok;
}

int hs_h5_meta_copy(hs_h5_meta *d, const hs_h5_meta *s)
{
    memset(d, 0, sizeof *d);
    d->version = dup0(s->version);
    d->experiment_yaml = dup0(s->experiment_yaml);
    d->experiment = dup0(s->experiment);
    d->baseline = dup0(s->baseline);
    d->shard = dup0(s->shard);
    d->runs_total = s->runs_total;
    d->kernels = s->kernels;
    bool ok = d->version && d->experiment_yaml && d->experiment && d->baseline && d->shard;
    ok &= copy_value_cols(s->nsweep, s->sweep, s->numeric, s->integer, &d->nsweep, &d->sweep, &d->numeric,
                          &d->integer);
    ok &= copy_value_cols(s->nparams, s->params, s->param_numeric, s->param_integer, &d->nparams, &d->params,
                          &d->param_numeric, &d->param_integer);
    if (!ok) {
        hs_h5_meta_free(d);
        return -1;
    }
    return 0;
}

const hs_h5_meta *hs_h5_get_meta(const hs_h5 *h)
{
    return &h->meta;
}

/* ---- Create / open / close --------------------------------------------------------- */
static void h5_free(hs_h5 *h)
{
    for (int i = 0; i < T_COUNT; i++)
        table_close(&h->t[i]);
    if (h->file > 0)
        H5Fclose(h->file);
    hs_h5_meta_free(&h->meta);
    free(h->path);
    free(h);
}

/* The /runs value columns: the sweep's, then the policy parameters'. */
static col value_col(const hs_h5_meta *m, size_t k)
{
    bool sweep = k < m->nsweep;
    size_t i = sweep ? k : k - m->nsweep;
    const char *name = sweep ? m->sweep[i] : m->params[i];
    if (sweep ? m->integer[i] : m->param_integer[i])
        return (col){name, COL_I64, 0};
    if (sweep ? m->numeric[i] : m->param_numeric[i])
        return (col){name, COL_F64, 0};
    return (col){name, COL_STR, W_LABEL};
}

/* The value of value column k of record r (none: INT64_MIN, NaN, ""). */
static hs_rec_value *rec_value(const hs_run_record *r, const hs_h5_meta *m, size_t k)
{
    return k < m->nsweep ? &r->values[k] : &r->params[k - m->nsweep];
}

/* names, one a line, into buf. */
static void join_lines(char *const *names, size_t n, char *buf, size_t size)
{
    size_t pos = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && pos < size; i++)
        pos += (size_t)snprintf(buf + pos, size - pos, "%s%s", i ? "\n" : "", names[i]);
}

hs_h5 *hs_h5_create(const char *path, const hs_h5_meta *m, hs_err *err)
{
    h5_init();
    hs_h5 *h = calloc(1, sizeof *h);
    if (!h || !(h->path = strdup(path)) || hs_h5_meta_copy(&h->meta, m) != 0) {
        if (h)
            free(h->path);
        free(h);
        hs_errf(err, "out of memory");
        return NULL;
    }
    h->writable = true;
    if (m->nsweep + m->nparams > 200) {
        hs_err_at(err, path, 0, 0, "too many sweep and policy parameters (%zu; at most 200)", m->nsweep + m->nparams);
        h5_free(h);
        return NULL;
    }
    /* The 1.10 format: checksummed object headers and chunk indices (any
     * HDF5 1.10+ reader, h5py's included). */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST);
    h->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (h->file < 0) {
        h5_err(path, err, "cannot create the results file");
        h5_free(h);
        return NULL;
    }
    hid_t root = h->file;
    char sweep[8192], params[8192];
    join_lines(m->sweep, m->nsweep, sweep, sizeof sweep);
    join_lines(m->params, m->nparams, params, sizeof params);
    if (attr_str_write(root, "hetsoc_version", m->version) != 0 || attr_str_write(root, "policy_params", params) != 0 ||
        attr_str_write(root, "experiment_yaml", m->experiment_yaml) != 0 ||
        attr_str_write(root, "experiment", m->experiment) != 0 ||
        attr_str_write(root, "baseline", m->baseline) != 0 || attr_str_write(root, "sweep_params", sweep) != 0 ||
        attr_i64_write(root, "runs_total", m->runs_total) != 0 ||
        attr_str_write(root, "shard", m->shard) != 0 || attr_i64_write(root, "kernels", m->kernels) != 0 ||
        attr_str_write(root, "layout", LAYOUT) != 0) {
        h5_err(path, err, "cannot write the file's attributes");
        h5_free(h);
        return NULL;
    }
    /* /runs: fixed head, sweep columns, parameter columns, metrics. */
    size_t nv = m->nsweep + m->nparams, nr = NHEAD + nv + NTAIL;
    col *rc = calloc(nr, sizeof *rc);
    if (!rc) {
        hs_errf(err, "out of memory");
        h5_free(h);
        return NULL;
    }
    memcpy(rc, runs_head, sizeof runs_head);
    for (size_t i = 0; i < nv; i++)
        rc[NHEAD + i] = value_col(&h->meta, i);
    memcpy(rc + NHEAD + nv, runs_tail, sizeof runs_tail);
    for (size_t i = 0; i < nv; i++)
        for (size_t k = 0; k < nr; k++)
            if (k != NHEAD + i && strcmp(rc[k].name, rc[NHEAD + i].name) == 0) {
                hs_err_at(err, path, 0, 0, "parameter '%s' clashes with a column of /runs", rc[NHEAD + i].name);
                free(rc);
                h5_free(h);
                return NULL;
            }
    int bad = table_create(h, &h->t[T_RUNS], "runs", rc, nr, 64, err);
    /* table_create keeps the column array: hand it to the table. */
    h->t[T_RUNS].names = calloc(nr, sizeof(char *));
    if (h->t[T_RUNS].names)
        for (size_t i = 0; i < nr; i++)
            h->t[T_RUNS].names[i] = strdup(rc[i].name);
    if (!h->t[T_RUNS].names) {
        free(rc);
        hs_errf(err, "out of memory");
        h5_free(h);
        return NULL;
    }
    for (size_t i = 0; i < nr; i++)
        rc[i].name = h->t[T_RUNS].names[i] ? h->t[T_RUNS].names[i] : "";
    if (bad || table_create(h, &h->t[T_CONFIGS], "configs", configs_cols, COUNT(configs_cols), 16, err) != 0 ||
        table_create(h, &h->t[T_REQUESTS], "requests", requests_cols, COUNT(requests_cols), 4096, err) != 0 ||
        table_create(h, &h->t[T_PUS], "pus", pus_cols, COUNT(pus_cols), 256, err) != 0 ||
        table_create(h, &h->t[T_CLASSES], "classes", classes_cols, COUNT(classes_cols), 256, err) != 0 ||
        table_create(h, &h->t[T_DRAM], "dram", dram_cols, COUNT(dram_cols), 256, err) != 0 ||
        (m->kernels &&
         table_create(h, &h->t[T_KERNELS], "kernels", kernels_cols, COUNT(kernels_cols), 16384, err) != 0)) {
        h5_free(h);
        return NULL;
    }
    if (H5Fflush(h->file, H5F_SCOPE_GLOBAL) < 0) {
        h5_err(path, err, "cannot write the results file");
        h5_free(h);
        return NULL;
    }
    return h;
}

/* The root attribute `layout` names this file format: absent, the file is
 * no results file; unreadable, it is corrupt; a variable-length string, it
 * was written by an earlier hetsoc. */
static int check_layout(hs_h5 *h, hs_err *err)
{
    htri_t exists = H5Aexists(h->file, "layout");
    if (exists < 0)
        return h5_corrupt(h->path, err, "cannot read the root attributes");
    if (exists == 0)
        return hs_err_at(err, h->path, 0, 0, "not a hetsoc results file (no layout attribute '%s')", LAYOUT);
    char *layout = attr_str_read(h->file, "layout");
    if (!layout) {
        hid_t a = H5Aopen(h->file, "layout", H5P_DEFAULT);
        hid_t t = a < 0 ? -1 : H5Aget_type(a);
        bool earlier = t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0;
        if (t >= 0)
            H5Tclose(t);
        if (a >= 0)
            H5Aclose(a);
        if (earlier)
            return hs_err_at(err, h->path, 0, 0, "written by an earlier hetsoc (layout hetsoc-results-1, "
                             "variable-length strings); rerun its experiment to read it");
        return h5_corrupt(h->path, err, "cannot read the attribute 'layout'");
    }
    int rc = 0;
    if (strcmp(layout, LAYOUT_EARLIER) == 0)
        rc = hs_err_at(err, h->path, 0, 0, "written by an earlier hetsoc (layout %s: no policy_name and parameter "
                       "columns, no /dram); rerun its experiment to read it", LAYOUT_EARLIER);
    else if (strcmp(layout, LAYOUT) != 0)
        rc = hs_err_at(err, h->path, 0, 0, "not a hetsoc results file of layout '%s' (layout '%.40s')", LAYOUT,
                       layout);
    free(layout);
    return rc;
}

/* The value columns a root attribute names (text: one a line), which must
 * be the columns of /runs from `first` on; their types come from the table. */
static int read_value_cols(hs_h5 *h, char *text, size_t first, const char *what, size_t *n, char ***names,
                           bool **numeric, bool **integer, hs_err *err)
{
    size_t cap = text[0] != 0;
    for (char *p = text; *p; p++)
        cap += *p == '\n';
    *names = calloc(cap ? cap : 1, sizeof **names);
    *numeric = calloc(cap ? cap : 1, sizeof **numeric);
    *integer = calloc(cap ? cap : 1, sizeof **integer);
    if (!*names || !*numeric || !*integer)
        return hs_errf(err, "out of memory");
    const table *runs = &h->t[T_RUNS];
    char *save = NULL;
    for (char *p = strtok_r(text, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
        size_t c = col_index(runs, p);
        if (c == SIZE_MAX || c != first + *n)
            return hs_err_at(err, h->path, 0, 0, "corrupt results file (%s '%s' is not a column of /runs where "
                             "expected)", what, p);
        if (!((*names)[*n] = strdup(p)))
            return hs_errf(err, "out of memory");
        (*integer)[*n] = runs->cols[c].type == COL_I64;
        (*numeric)[*n] = (*integer)[*n] || runs->cols[c].type == COL_F64;
        (*n)++;
    }
    return 0;
}

hs_h5 *hs_h5_open(const char *path, hs_err *err)
{
    h5_init();
    hs_h5 *h = calloc(1, sizeof *h);
    if (!h || !(h->path = strdup(path))) {
        free(h);
        hs_errf(err, "out of memory");
        return NULL;
    }
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        hs_err_at(err, path, 0, 0, "cannot open: %s", strerror(errno));
        h5_free(h);
        return NULL;
    }
    fclose(probe);
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        hs_err_at(err, path, 0, 0, "not an HDF5 file");
        h5_free(h);
        return NULL;
    }
    if ((h->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0 || check_layout(h, err) != 0) {
        if (h->file < 0)
            h5_corrupt(path, err, "cannot open it");
        h5_free(h);
        return NULL;
    }
    hs_h5_meta *m = &h->meta;
    m->version = attr_str_read(h->file, "hetsoc_version");
    m->experiment_yaml = attr_str_read(h->file, "experiment_yaml");
    m->experiment = attr_str_read(h->file, "experiment");
    m->baseline = attr_str_read(h->file, "baseline");
    m->shard = attr_str_read(h->file, "shard");
    char *sweep = attr_str_read(h->file, "sweep_params"), *params = attr_str_read(h->file, "policy_params");
    int64_t k = 0;
    if (!m->version || !m->experiment_yaml || !m->experiment || !m->baseline || !m->shard || !sweep || !params ||
        attr_i64_read(h->file, "runs_total", &m->runs_total) != 0 || attr_i64_read(h->file, "kernels", &k) != 0) {
        free(sweep);
        free(params);
        h5_corrupt(path, err, "a root attribute is missing or unreadable");
        h5_free(h);
        return NULL;
    }
    m->kernels = k != 0;
    if (table_open(h, &h->t[T_RUNS], "runs", err) != 0 || table_open(h, &h->t[T_CONFIGS], "configs", err) != 0 ||
        table_open(h, &h->t[T_REQUESTS], "requests", err) != 0 || table_open(h, &h->t[T_PUS], "pus", err) != 0 ||
        table_open(h, &h->t[T_CLASSES], "classes", err) != 0 || table_open(h, &h->t[T_DRAM], "dram", err) != 0 ||
        (m->kernels && table_open(h, &h->t[T_KERNELS], "kernels", err) != 0)) {
        free(sweep);
        free(params);
        h5_free(h);
        return NULL;
    }
    /* Value columns: the attributes name them, the table gives their types. */
    int bad = read_value_cols(h, sweep, NHEAD, "sweep parameter", &m->nsweep, &m->sweep, &m->numeric, &m->integer,
                              err) ||
              read_value_cols(h, params, NHEAD + m->nsweep, "policy parameter", &m->nparams, &m->params,
                              &m->param_numeric, &m->param_integer, err);
    free(sweep);
    free(params);
    if (bad) {
        h5_free(h);
        return NULL;
    }
    const table *r = &h->t[T_RUNS];
    size_t nv = m->nsweep + m->nparams;
    if (r->ncols != NHEAD + nv + NTAIL) {
        hs_err_at(err, path, 0, 0, "corrupt results file (/runs has %zu columns, expected %zu)", r->ncols,
                  NHEAD + nv + NTAIL);
        h5_free(h);
        return NULL;
    }
    for (size_t i = 0; i < NHEAD; i++)
        if (strcmp(r->cols[i].name, runs_head[i].name) != 0) {
            hs_err_at(err, path, 0, 0, "corrupt results file (/runs column %zu is '%s', expected '%s')", i,
                      r->cols[i].name, runs_head[i].name);
            h5_free(h);
            return NULL;
        }
    for (size_t i = 0; i < NTAIL; i++)
        if (strcmp(r->cols[NHEAD + nv + i].name, runs_tail[i].name) != 0) {
            hs_err_at(err, path, 0, 0, "corrupt results file (/runs lacks the metric column '%s')", runs_tail[i].name);
            h5_free(h);
            return NULL;
        }
    return h;
}

int hs_h5_flush(hs_h5 *h, hs_err *err)
{
    if (H5Fflush(h->file, H5F_SCOPE_GLOBAL) < 0) {
        h->failed = true;
        return h5_err(h->path, err, "cannot flush the results file");
    }
    return 0;
}

int hs_h5_close(hs_h5 *h, hs_err *err)
{
    if (!h)
        return 0;
    int rc = h->failed ? -1 : 0;
    for (int i = 0; i < T_COUNT; i++)
        table_close(&h->t[i]);
    if (h->file > 0 && H5Fclose(h->file) < 0) {
        h5_err(h->path, err, "cannot close the results file");
        rc = -1;
    } else if (rc) {
        hs_err_at(err, h->path, 0, 0, "an earlier write failed");
    }
    h->file = 0;
    h5_free(h);
    return rc;
}

size_t hs_h5_nruns(const hs_h5 *h)
{
    return (size_t)h->t[T_RUNS].nrows;
}

/* ---- Appending a run ------------------------------------------------------------------- */
static const char *S(const char *s)
{
    return s ? s : "";
}

static const char *rstr(const hs_run_record *r, uint32_t i)
{
    return i < r->nstrs ? r->strs[i] : "";
}

/* The cells of a record's row (strings borrowed from the record). */
static void row_cells(const hs_run_record *r, hs_rec_table_id id, const void *src, cell *out)
{
    const hs_rec_table *t = hs_rec_table_of(id);
    for (size_t i = 0; i < t->n; i++) {
        const char *p = (const char *)src + t->cols[i].rec_off;
        switch (t->cols[i].kind) {
        case HS_COL_INT:
        case HS_COL_U32: out[i].i = *(const int64_t *)p; break;
        case HS_COL_REAL: out[i].f = *(const double *)p; break;
        case HS_COL_FLAG: out[i].i = *(const bool *)p; break;
        default: out[i].s = (char *)rstr(r, *(const uint32_t *)p); break;
        }
    }
}

/* A record's row from cells: column i at row[ci[i]]; strings interned.
 * Returns -1 on OOM. */
static int cells_row(hs_run_record *r, hs_rec_table_id id, const cell *row, const size_t *ci, void *dst)
{
    const hs_rec_table *t = hs_rec_table_of(id);
    for (size_t i = 0; i < t->n; i++) {
        char *p = (char *)dst + t->cols[i].rec_off;
        const cell *c = &row[ci[i]];
        switch (t->cols[i].kind) {
        case HS_COL_INT:
        case HS_COL_U32: *(int64_t *)p = c->i; break;
        case HS_COL_REAL: *(double *)p = c->f; break;
        case HS_COL_FLAG: *(bool *)p = c->i != 0; break;
        default:
            if ((*(uint32_t *)p = hs_record_str(r, S(c->s))) == UINT32_MAX)
                return -1;
        }
    }
    return 0;
}

/* Appends n rows of table ti (each `size` bytes at rows), in blocks. */
static int append_rows(hs_h5 *h, int ti, const hs_run_record *r, const void *rows, size_t n, size_t size,
                       hs_err *err)
{
    enum { BLOCK = 4096 };
    table *t = &h->t[ti];
    if (n == 0)
        return 0;
    cell *buf = malloc((n < BLOCK ? n : BLOCK) * t->ncols * sizeof *buf);
    if (!buf)
        return hs_errf(err, "out of memory");
    int rc = 0;
    size_t nbuf = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        cell *row = buf + nbuf * t->ncols;
        row[0].i = r->run;
        row_cells(r, rec_table_of[ti], (const char *)rows + i * size, row + 1);
        if (++nbuf == BLOCK || i + 1 == n) {
            rc = table_append(h, t, buf, nbuf, err);
            nbuf = 0;
        }
    }
    free(buf);
    return rc;
}

/* s, or its first width bytes (cut at a UTF-8 boundary) marked "..." in buf
 * (width + 1 bytes). */
static char *fit(char *buf, const char *s, size_t width)
{
    size_t len = strlen(s);
    if (len <= width)
        return (char *)s;
    size_t cut = width - 3;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(buf, s, cut);
    memcpy(buf + cut, "...", 4);
    return buf;
}

/* The /runs row: run, identity, status, sweep values, metrics. */
static int append_run(hs_h5 *h, const hs_run_record *r, hs_err *err)
{
    const table *t = &h->t[T_RUNS];
    cell *row = calloc(t->ncols, sizeof *row);
    if (!row)
        return hs_errf(err, "out of memory");
    size_t k = 0;
    row[k++].i = r->run;
    row[k++].s = (char *)r->key;
    row[k++].s = (char *)S(r->policy);
    row[k++].s = (char *)S(r->policy_name);
    row[k++].s = (char *)S(r->hw);
    row[k++].s = (char *)S(r->workload);
    row[k++].i = r->seed;
    row[k++].s = (char *)S(r->backend);
    row[k++].s = (char *)hs_record_status(r);
    char message[W_MESSAGE + 1];
    row[k++].s = fit(message, S(r->message), W_MESSAGE);
    for (size_t i = 0; i < h->meta.nsweep + h->meta.nparams; i++, k++) {
        const hs_rec_value *v = rec_value(r, &h->meta, i);
        bool num = v->numeric && !isnan(v->num);
        switch (value_col(&h->meta, i).type) {
        case COL_I64: row[k].i = num ? (int64_t)v->num : INT64_MIN; break;
        case COL_F64: row[k].f = num ? v->num : NAN; break;
        default: row[k].s = (char *)S(v->text); break;
        }
    }
    row_cells(r, HS_REC_METRICS, &r->m, row + k);
    int rc = table_append(h, &h->t[T_RUNS], row, 1, err);
    free(row);
    return rc;
}

int hs_h5_append(hs_h5 *h, const hs_run_record *r, hs_err *err)
{
    if (r->nvalues != h->meta.nsweep || r->nparams != h->meta.nparams)
        return hs_errf(err, "run %" PRId64 " has %zu sweep and %zu parameter values, the file %zu and %zu", r->run,
                       r->nvalues, r->nparams, h->meta.nsweep, h->meta.nparams);
    cell c[3] = {{.i = r->run}, {.s = (char *)r->key}, {.s = (char *)S(r->config)}};
    int rc = table_append(h, &h->t[T_CONFIGS], c, 1, err);
    if (rc == 0)
        rc = append_rows(h, T_REQUESTS, r, r->reqs, r->nreqs, sizeof *r->reqs, err);
    if (rc == 0)
        rc = append_rows(h, T_PUS, r, r->pus, r->npus, sizeof *r->pus, err);
    if (rc == 0 && h->meta.kernels)
        rc = append_rows(h, T_KERNELS, r, r->kernels, r->nkernels, sizeof *r->kernels, err);
    if (rc == 0)
        rc = append_rows(h, T_CLASSES, r, r->classes, r->nclasses, sizeof *r->classes, err);
    if (rc == 0)
        rc = append_rows(h, T_DRAM, r, r->dram, r->ndram, sizeof *r->dram, err);
    /* /runs last: its row is the run's commit record within the file. */
    if (rc == 0)
        rc = append_run(h, r, err);
    if (rc != 0)
        h->failed = true;
    return rc;
}

/* ---- Reading ------------------------------------------------------------------------------ */
/* A value column's cell of type as a record's value (INT64_MIN: none). */
static int cell_value(const cell *c, col_type type, hs_rec_value *v)
{
    v->numeric = type != COL_STR;
    if (type == COL_I64)
        v->num = c->i == INT64_MIN ? NAN : (double)c->i;
    else if (type == COL_F64)
        v->num = c->f;
    else
        return (v->text = strdup(S(c->s))) ? 0 : -1;
    return 0;
}

int hs_h5_read_runs(hs_h5 *h, hs_run_record **out, size_t *n, hs_err *err)
{
    table *t = &h->t[T_RUNS];
    size_t rows = (size_t)t->nrows;
    *out = NULL;
    *n = 0;
    hs_run_record *recs = calloc(rows ? rows : 1, sizeof *recs);
    cell *buf = calloc((rows ? rows : 1) * t->ncols, sizeof *buf);
    if (!recs || !buf) {
        free(recs);
        free(buf);
        return hs_errf(err, "out of memory");
    }
    if (table_read(h, t, 0, rows, buf, err) != 0) {
        free(recs);
        free(buf);
        return -1;
    }
    size_t ns = h->meta.nsweep, np = h->meta.nparams;
    size_t tail[NTAIL];
    for (size_t i = 0; i < NTAIL; i++)
        tail[i] = NHEAD + ns + np + i;
    bool oom = false;
    for (size_t i = 0; i < rows; i++) {
        hs_run_record *r = &recs[i];
        hs_record_init(r);
        const cell *row = buf + i * t->ncols;
        size_t k = 0;
        r->run = row[k++].i;
        snprintf(r->key, sizeof r->key, "%s", S(row[k++].s));
        const char *pol = S(row[k++].s);
        oom |= !(r->policy_name = strdup(S(row[k++].s)));
        const char *hw = S(row[k++].s), *wl = S(row[k++].s);
        int64_t seed = row[k++].i;
        const char *backend = S(row[k++].s);
        r->ok = hs_record_status_ok(S(row[k++].s));
        r->message = strdup(S(row[k++].s));
        oom |= hs_record_set_identity(r, pol, hw, wl, backend, seed) != 0 || !r->message;
        r->values = calloc(ns ? ns : 1, sizeof *r->values);
        r->params = calloc(np ? np : 1, sizeof *r->params);
        oom |= !r->values || !r->params;
        r->nvalues = r->values ? ns : 0;
        r->nparams = r->params ? np : 0;
        for (size_t v = 0; r->values && r->params && v < ns + np; v++, k++)
            oom |= cell_value(&row[k], value_col(&h->meta, v).type, rec_value(r, &h->meta, v)) != 0;
        oom |= cells_row(r, HS_REC_METRICS, row, tail, &r->m) != 0;
    }
    table_reclaim(t);
    free(buf);
    if (oom) {
        for (size_t i = 0; i < rows; i++)
            hs_record_clear(&recs[i]);
        free(recs);
        return hs_errf(err, "out of memory");
    }
    *out = recs;
    *n = rows;
    return 0;
}

/* Adds one row of table ti (its columns at row[ci[...]]) to r. */
static int add_row(hs_run_record *r, int ti, const cell *row, const size_t *ci)
{
    if (ti == T_CONFIGS) {
        free(r->config);
        return (r->config = strdup(S(row[ci[2]].s))) ? 0 : -1;
    }
    union {
        hs_rec_req q;
        hs_rec_pu p;
        hs_rec_kernel k;
        hs_rec_class c;
        hs_rec_dram d;
    } u;
    if (cells_row(r, rec_table_of[ti], row, ci + 1, &u) != 0)
        return -1;
    switch (ti) {
    case T_REQUESTS: return hs_record_add_req(r, &u.q);
    case T_PUS: return hs_record_add_pu(r, &u.p);
    case T_CLASSES: return hs_record_add_class(r, &u.c);
    case T_DRAM: return hs_record_add_dram(r, &u.d);
    default: return hs_record_add_kernel(r, &u.k);
    }
}

/* The columns of table ti as this code writes them. */
static const col *wanted_cols(int ti, size_t *n)
{
    switch (ti) {
    case T_CONFIGS: *n = COUNT(configs_cols); return configs_cols;
    case T_REQUESTS: *n = NREQUESTS; return requests_cols;
    case T_PUS: *n = NPUS; return pus_cols;
    case T_CLASSES: *n = NCLASSES; return classes_cols;
    case T_DRAM: *n = NDRAM; return dram_cols;
    default: *n = NKERNELS; return kernels_cols;
    }
}

int hs_h5_read_rows(hs_h5 *h, hs_run_record *r, hs_err *err)
{
    for (int ti = T_CONFIGS; ti < T_COUNT; ti++) {
        table *t = &h->t[ti];
        if (ti == T_KERNELS && !h->meta.kernels)
            continue;
        if (table_index(h, t, err) != 0)
            return -1;
        hsize_t first;
        size_t count;
        if (!table_rows_of(t, r->run, &first, &count))
            continue;
        size_t ci[NROWCOLS_MAX], nwant;
        const col *want = wanted_cols(ti, &nwant);
        for (size_t k = 0; k < nwant; k++)
            if ((ci[k] = col_index(t, want[k].name)) == SIZE_MAX)
                return hs_err_at(err, h->path, 0, 0, "corrupt results file (/%s lacks the column '%s')", t->name,
                                 want[k].name);
        /* Read in blocks to bound memory. */
        enum { BLOCK = 8192 };
        cell *buf = malloc(BLOCK * t->ncols * sizeof *buf);
        if (!buf)
            return hs_errf(err, "out of memory");
        int rc = 0;
        for (size_t done = 0; rc == 0 && done < count;) {
            size_t n = count - done < BLOCK ? count - done : BLOCK;
            if (table_read(h, t, first + done, n, buf, err) != 0) {
                rc = -1;
                break;
            }
            for (size_t i = 0; rc == 0 && i < n; i++)
                if (add_row(r, ti, buf + i * t->ncols, ci) != 0)
                    rc = hs_errf(err, "out of memory");
            table_reclaim(t);
            done += n;
        }
        free(buf);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- CSV -------------------------------------------------------------------------------- */
static void csv_str(FILE *f, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static bool excluded(const char *list, const char *name)
{
    if (!list)
        return false;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && strncmp(p, name, n) == 0)
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

int hs_h5_csv(hs_h5 *h, const char *name, const char *exclude, FILE *f, hs_err *err)
{
    table *t = NULL;
    for (int i = 0; i < T_COUNT; i++)
        if (strcmp(name, table_names[i]) == 0)
            t = &h->t[i];
    if (!t)
        return hs_errf(err, "unknown table '%s'; tables: runs, configs, requests, pus, kernels, classes, dram", name);
    if (!t->dset)
        return hs_err_at(err, h->path, 0, 0, "no /%s table (the experiment did not set 'kernels: true')", name);
    bool first = true;
    for (size_t i = 0; i < t->ncols; i++) {
        if (excluded(exclude, t->cols[i].name))
            continue;
        if (!first)
            fputc(',', f);
        first = false;
        csv_str(f, t->cols[i].name);
    }
    fputc('\n', f);
    enum { BLOCK = 4096 };
    cell *buf = malloc(BLOCK * t->ncols * sizeof *buf);
    if (!buf)
        return hs_errf(err, "out of memory");
    for (hsize_t done = 0; done < t->nrows;) {
        size_t n = t->nrows - done < BLOCK ? (size_t)(t->nrows - done) : BLOCK;
        if (table_read(h, t, done, n, buf, err) != 0) {
            free(buf);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            const cell *row = buf + i * t->ncols;
            first = true;
            for (size_t k = 0; k < t->ncols; k++) {
                if (excluded(exclude, t->cols[k].name))
                    continue;
                if (!first)
                    fputc(',', f);
                first = false;
                switch (t->cols[k].type) {
                case COL_I64:
                case COL_I8: fprintf(f, "%" PRId64, row[k].i); break;
                case COL_F64:
                    if (isnan(row[k].f))
                        fputs("nan", f);
                    else
                        fprintf(f, "%.17g", row[k].f);
                    break;
                case COL_STR: csv_str(f, row[k].s); break;
                }
            }
            fputc('\n', f);
        }
        table_reclaim(t);
        done += n;
    }
    free(buf);
    return 0;
}
