/* hetsoc: the harnesses' private folder and YAML input (fuzz_util.h). */
#include "tests/fuzz/fuzz_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[512];

/* Empties and removes the folder: the harnesses create only plain files in
 * it. */
static void remove_dir(void)
{
    DIR *d = opendir(dir);
    if (d) {
        char path[1024];
        for (struct dirent *e; (e = readdir(d));)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlink(fuzz_path(e->d_name, path, sizeof path));
        closedir(d);
    }
    rmdir(dir);
}

const char *fuzz_dir(void)
{
    if (dir[0])
        return dir;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hs-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("hs-fuzz: private folder");
        abort();
    }
    atexit(remove_dir);
    return dir;
}

const char *fuzz_path(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", fuzz_dir(), name);
    return buf;
}

const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    static char path[1024];
    FILE *f = fopen(fuzz_path(name, path, sizeof path), "wb");
    if (!f)
        return NULL;
    bool ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok ? path : NULL;
}

void fuzz_remove(const char *name)
{
    char path[1024];
    unlink(fuzz_path(name, path, sizeof path));
}

hs_node *fuzz_yaml(const uint8_t *data, size_t size)
{
    hs_err err;
    return hs_conf_load_string((const char *)data, size, "fuzz.yaml", &err);
}
