/* hetsoc: the registry of built-in policies and the plugin loader.
 *
 * A plugin is a shared library exporting `const struct hs_policy_ops
 * hs_policy_plugin`.  It is dlopen()ed once and stays loaded for the life
 * of the process (its ops table and strings must outlive every run). */
#define _GNU_SOURCE   /* dladdr1: the type of the exported symbol */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

#include "policies/registry.h"
#include "policies/builtin.h"

/* Sorted by name: `hetsoc list policies` prints them in this order. */
static const hs_policy_ops *const builtins[] = {
    &hs_policy_agentxpu,
    &hs_policy_ayo_like,
    &hs_policy_continuous_batching,
    &hs_policy_cpop,
    &hs_policy_cpu_only,
    &hs_policy_eft,
    &hs_policy_fifo,
    &hs_policy_flashrag_like,
    &hs_policy_gpu_only,
    &hs_policy_hedrarag,
    &hs_policy_heft,
    &hs_policy_hero,
    &hs_policy_heterollm,
    &hs_policy_npu_only,
    &hs_policy_peft,
    &hs_policy_random,
    &hs_policy_sequential,
    &hs_policy_serial_npu_igpu,
    &hs_policy_static,
};
enum { N_BUILTINS = sizeof builtins / sizeof builtins[0] };

size_t hs_policy_count(void) { return N_BUILTINS; }
const hs_policy_ops *hs_policy_at(size_t i) { return i < N_BUILTINS ? builtins[i] : NULL; }

/* Each policy's group, by name, for `hetsoc list policies`.  Names of
 * policies that are not built in (yet) are harmless: a group is looked up
 * for a policy, never listed from here. */
static const struct {
    const char *name;
    hs_policy_group group;
} groups[] = {
    /* The seed papers' own schedulers. */
    {"agentxpu", HS_POLICY_SEED},
    {"hedrarag", HS_POLICY_SEED},
    {"hero", HS_POLICY_SEED},
    {"heterollm", HS_POLICY_SEED},
    /* What the seed papers compare against. */
    {"ayo-like", HS_POLICY_BASELINE},
    {"continuous-batching", HS_POLICY_BASELINE},
    {"cpu-only", HS_POLICY_BASELINE},
    {"flashrag-like", HS_POLICY_BASELINE},
    {"gpu-only", HS_POLICY_BASELINE},
    {"npu-only", HS_POLICY_BASELINE},
    {"sequential", HS_POLICY_BASELINE},
    {"serial-npu-igpu", HS_POLICY_BASELINE},
    /* Textbook schedulers. */
    {"cpop", HS_POLICY_CLASSIC},
    {"eft", HS_POLICY_CLASSIC},
    {"fifo", HS_POLICY_CLASSIC},
    {"heft", HS_POLICY_CLASSIC},
    {"peft", HS_POLICY_CLASSIC},
    {"random", HS_POLICY_CLASSIC},
    {"static", HS_POLICY_CLASSIC},
};

hs_policy_group hs_policy_group_of(const char *name)
{
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (strcmp(groups[i].name, name) == 0)
            return groups[i].group;
    return HS_POLICY_OTHER;
}

const char *hs_policy_group_title(hs_policy_group g)
{
    static const char *const titles[HS_POLICY_GROUP_COUNT] = {
        [HS_POLICY_SEED] = "seed policies (the seed papers' own schedulers)",
        [HS_POLICY_BASELINE] = "baselines (what the seed papers compare against)",
        [HS_POLICY_CLASSIC] = "classic schedulers",
        [HS_POLICY_OTHER] = "other policies (plugins)",
    };
    return (unsigned)g < HS_POLICY_GROUP_COUNT ? titles[g] : "?";
}

static bool is_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 3 && strcmp(s + n - 3, ".so") == 0);
}

static int check_ops(const hs_policy_ops *p, const char *path, hs_err *err)
{
    if (p->abi_version != HS_POLICY_ABI_VERSION)
        return hs_errf(err, "%s: policy ABI version %u, but this hetsoc speaks version %u: rebuild the "
                            "plugin against this hetsoc's headers", path, p->abi_version,
                       HS_POLICY_ABI_VERSION);
    if (!p->name || !p->name[0] || !p->description || !p->schedule)
        return hs_errf(err, "%s: policy ops table lacks a required field (name, description, schedule)",
                       path);
    return 0;
}

/* Whether the exported symbol is data (an ops table), not a function: a
 * function's address need not be aligned for the struct, and reading it
 * as one is undefined.  Where the loader cannot tell the symbol's type,
 * the alignment alone decides. */
static bool symbol_is_table(const void *p)
{
    if ((uintptr_t)p % _Alignof(hs_policy_ops) != 0)
        return false;
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (dladdr1(p, &info, (void **)&sym, RTLD_DL_SYMENT) && sym)
        return ELF64_ST_TYPE(sym->st_info) != STT_FUNC && ELF64_ST_TYPE(sym->st_info) != STT_GNU_IFUNC;
    return true;
}

static const hs_policy_ops *load_plugin(const char *path, hs_err *err)
{
    /* dlopen searches its library path for a name without a slash: a bare
     * "libmine.so" means the file in the current folder, as any other
     * relative path does (experiment files make theirs relative to the
     * file first: experiments/sweep/expand.c). */
    char here[4096];
    if (!strchr(path, '/') && (size_t)snprintf(here, sizeof here, "./%s", path) < sizeof here)
        path = here;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        hs_errf(err, "cannot load policy plugin: %s", dlerror());
        return NULL;
    }
    const hs_policy_ops *p = dlsym(h, HS_POLICY_PLUGIN_SYMBOL);
    if (!p) {
        hs_errf(err, "%s: no symbol '%s': a plugin exports `const struct hs_policy_ops %s`", path,
                HS_POLICY_PLUGIN_SYMBOL, HS_POLICY_PLUGIN_SYMBOL);
        dlclose(h);
        return NULL;
    }
    if (!symbol_is_table(p)) {
        hs_errf(err, "%s: symbol '%s' is a function, not `const struct hs_policy_ops %s`", path,
                HS_POLICY_PLUGIN_SYMBOL, HS_POLICY_PLUGIN_SYMBOL);
        dlclose(h);
        return NULL;
    }
    if (check_ops(p, path, err) != 0) {
        dlclose(h);
        return NULL;
    }
    return p;  /* the handle stays open for the life of the process */
}

const hs_policy_ops *hs_policy_lookup(const char *name_or_path, hs_err *err)
{
    if (is_path(name_or_path))
        return load_plugin(name_or_path, err);
    const char *names[N_BUILTINS + 1];
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < N_BUILTINS; i++) {
        if (strcmp(builtins[i]->name, name_or_path) == 0)
            return builtins[i];
        names[i] = builtins[i]->name;
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    }
    names[N_BUILTINS] = NULL;
    const char *near = hs_nearest(name_or_path, names);
    if (near)
        hs_errf(err, "unknown policy '%s' (did you mean '%s'?); built-in: %s", name_or_path, near, list);
    else
        hs_errf(err, "unknown policy '%s'; built-in: %s (or a path to a plugin .so)", name_or_path, list);
    return NULL;
}
