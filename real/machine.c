/* hetsoc real/: the machine a profile was measured on.  `hetsoc profile`
 * records it in the profile's notes ("Machine: ..."); `hetsoc validate` and
 * `hetsoc real` compare it with this machine, since a profile's figures
 * hold on the CPU and devices that gave them and nowhere else. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "real/real_internal.h"

/* What precedes the signature in a profile's notes; it runs to their end. */
static const char MARK[] = "Machine: ";

/* Folds whitespace runs to one space and trims both ends, in place. */
static void fold_spaces(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (isspace((unsigned char)*r)) {
            if (w > s && w[-1] != ' ')
                *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    while (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

/* The host CPU's model name (/proc/cpuinfo), or "unknown CPU". */
static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        const char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            snprintf(buf, size, "%s", colon + 1);
            break;
        }
    }
    fclose(f);
}

int hs_real_machine(char *buf, size_t size, hs_err *err)
{
    rl_dev *d;
    size_t nd;
    if (rl_list_devices(&d, &nd, err) != 0)
        return -1;
    buf[0] = '\0';
    for (size_t i = 0; i < nd; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s (%u CUs); ", d[i].name, d[i].units);
    }
    free(d);
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "CPU: %s", cpu);
    fold_spaces(buf);
    return 0;
}

/* The file profile hw came from: its path, less the ":LINE" a profile
 * inlined in a run specification carries; false when there is none. */
static bool profile_file(const hs_hw *hw, char *buf, size_t size)
{
    if (!hw->path || snprintf(buf, size, "%s", hw->path) >= (int)size)
        return false;
    char *colon = strrchr(buf, ':');
    if (access(buf, R_OK) != 0 && colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1))
        *colon = '\0';
    return access(buf, R_OK) == 0;
}

/* The signature in profile hw's notes, folded, into buf; false if none. */
static bool recorded_machine(const hs_hw *hw, char *buf, size_t size)
{
    hs_err err;
    char path[4096];
    hs_node *root = profile_file(hw, path, sizeof path) ? hs_conf_load_file(path, &err) : NULL;
    const hs_node *notes = root ? hs_map_get(root, "notes") : NULL;
    const char *at = notes && notes->kind == HS_NODE_SCALAR ? strstr(notes->scalar, MARK) : NULL;
    if (at)
        snprintf(buf, size, "%s", at + strlen(MARK));
    hs_node_free(root);
    if (!at)
        return false;
    fold_spaces(buf);
    return true;
}

int hs_real_machine_check(const hs_hw *hw, char *why, size_t size)
{
    char here[1024], there[1024];
    hs_err err;
    if (hs_real_machine(here, sizeof here, &err) != 0)
        snprintf(here, sizeof here, "unknown: no OpenCL device");
    if (!recorded_machine(hw, there, sizeof there)) {
        snprintf(why, size,
                 "profile '%s' does not record the machine it was measured on, so its figures may not hold on "
                 "this one (%s); profile this machine with `hetsoc profile -o mine.yaml` and pass --hw mine.yaml",
                 hw->name, here);
        return -1;
    }
    if (strcmp(here, there) == 0)
        return 1;
    snprintf(why, size,
             "profile '%s' was measured on another machine (%s), not this one (%s): its figures may not hold "
             "here; profile this machine with `hetsoc profile -o mine.yaml` and pass --hw mine.yaml",
             hw->name, there, here);
    return 0;
}
