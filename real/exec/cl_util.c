/* hetsoc real/: OpenCL helpers -- error names, the wall clock, device
 * discovery, program builds with their logs, buffer allocation, and the
 * test-only fault injection of HS_CL_FAULT. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "real/exec/exec_real.h"

const char *rl_cl_strerror(cl_int code)
{
    switch (code) {
#define C(x) case x: return #x;
    C(CL_SUCCESS) C(CL_DEVICE_NOT_FOUND) C(CL_DEVICE_NOT_AVAILABLE) C(CL_COMPILER_NOT_AVAILABLE)
    C(CL_MEM_OBJECT_ALLOCATION_FAILURE) C(CL_OUT_OF_RESOURCES) C(CL_OUT_OF_HOST_MEMORY)
    C(CL_PROFILING_INFO_NOT_AVAILABLE) C(CL_MEM_COPY_OVERLAP) C(CL_IMAGE_FORMAT_MISMATCH)
    C(CL_IMAGE_FORMAT_NOT_SUPPORTED) C(CL_BUILD_PROGRAM_FAILURE) C(CL_MAP_FAILURE)
    C(CL_MISALIGNED_SUB_BUFFER_OFFSET) C(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    C(CL_COMPILE_PROGRAM_FAILURE) C(CL_LINKER_NOT_AVAILABLE) C(CL_LINK_PROGRAM_FAILURE)
    C(CL_DEVICE_PARTITION_FAILED) C(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) C(CL_INVALID_VALUE)
    C(CL_INVALID_DEVICE_TYPE) C(CL_INVALID_PLATFORM) C(CL_INVALID_DEVICE) C(CL_INVALID_CONTEXT)
    C(CL_INVALID_QUEUE_PROPERTIES) C(CL_INVALID_COMMAND_QUEUE) C(CL_INVALID_HOST_PTR)
    C(CL_INVALID_MEM_OBJECT) C(CL_INVALID_BINARY) C(CL_INVALID_BUILD_OPTIONS) C(CL_INVALID_PROGRAM)
    C(CL_INVALID_PROGRAM_EXECUTABLE) C(CL_INVALID_KERNEL_NAME) C(CL_INVALID_KERNEL_DEFINITION)
    C(CL_INVALID_KERNEL) C(CL_INVALID_ARG_INDEX) C(CL_INVALID_ARG_VALUE) C(CL_INVALID_ARG_SIZE)
    C(CL_INVALID_KERNEL_ARGS) C(CL_INVALID_WORK_DIMENSION) C(CL_INVALID_WORK_GROUP_SIZE)
    C(CL_INVALID_WORK_ITEM_SIZE) C(CL_INVALID_GLOBAL_OFFSET) C(CL_INVALID_EVENT_WAIT_LIST)
    C(CL_INVALID_EVENT) C(CL_INVALID_OPERATION) C(CL_INVALID_BUFFER_SIZE)
    C(CL_INVALID_GLOBAL_WORK_SIZE) C(CL_INVALID_PROPERTY) C(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef C
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "unknown OpenCL error";
    }
}

int rl_cl_fail(hs_err *err, cl_int code, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *hint = "";
    if (code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_RESOURCES ||
        code == CL_OUT_OF_HOST_MEMORY || code == CL_INVALID_BUFFER_SIZE)
        hint = " (out of device memory)";
    return hs_errf(err, "%s: OpenCL error %s (%d)%s", what, rl_cl_strerror(code), (int)code, hint);
}

double rl_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool rl_fault(const char *what)
{
    const char *f = getenv("HS_CL_FAULT");
    return f && strcmp(f, what) == 0;
}

cl_mem rl_create_buffer(cl_context ctx, cl_mem_flags flags, size_t size, cl_int *rc)
{
    if (rl_fault("alloc")) {
        *rc = CL_MEM_OBJECT_ALLOCATION_FAILURE;
        return NULL;
    }
    return clCreateBuffer(ctx, flags, size, NULL, rc);
}

int rl_build_program(cl_context ctx, cl_uint ndev, const cl_device_id *devs, const char *src,
                     cl_program *out, hs_err *err)
{
    cl_int rc;
    *out = NULL;
    cl_program p = clCreateProgramWithSource(ctx, 1, &src, NULL, &rc);
    if (!p)
        return rl_cl_fail(err, rc, "cannot create the kernels' program");
    rc = rl_fault("build") ? CL_BUILD_PROGRAM_FAILURE : clBuildProgram(p, ndev, devs, "-cl-std=CL1.2", NULL, NULL);
    if (rc != CL_SUCCESS) {
        char log[700] = "";
        for (cl_uint i = 0; i < ndev && !log[0]; i++) {
            size_t len = 0;
            clGetProgramBuildInfo(p, devs[i], CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, &len);
            log[sizeof log - 1] = '\0';
        }
        for (char *s = log; *s; s++)
            if (*s == '\n' || *s == '\r' || *s == '\t')
                *s = ' ';
        clReleaseProgram(p);
        return hs_errf(err, "building the OpenCL kernels failed: %s (%d)%s%s", rl_cl_strerror(rc), (int)rc,
                       log[0] ? "; build log: " : "", log);
    }
    *out = p;
    return 0;
}

static int kind_rank(cl_device_type t)
{
    if (t & CL_DEVICE_TYPE_GPU)
        return 0;
    if (t & CL_DEVICE_TYPE_ACCELERATOR)
        return 1;
    return 2;
}

static int cmp_dev(const void *a, const void *b)
{
    const rl_dev *x = a, *y = b;
    int d = kind_rank(x->type) - kind_rank(y->type);
    return d ? d : x->order - y->order;
}

int rl_list_devices(rl_dev **devs, size_t *n, hs_err *err)
{
    *devs = NULL;
    *n = 0;
    cl_uint np = 0;
    cl_int rc = rl_fault("no-platform") ? -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ : clGetPlatformIDs(0, NULL, &np);
    if (rc != CL_SUCCESS || np == 0)
        return hs_errf(err, "no OpenCL platform found (install an ICD, e.g. pocl-opencl-icd, and check "
                            "`clinfo -l`)%s%s",
                       rc != CL_SUCCESS ? ": " : "", rc != CL_SUCCESS ? rl_cl_strerror(rc) : "");
    cl_platform_id *plats = calloc(np, sizeof *plats);
    if (!plats)
        return hs_errf(err, "out of memory");
    clGetPlatformIDs(np, plats, NULL);
    size_t cap = 0;
    rl_dev *out = NULL;
    for (cl_uint p = 0; p < np; p++) {
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || nd == 0)
            continue;
        cl_device_id *ids = calloc(nd, sizeof *ids);
        if (!ids)
            continue;
        clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, ids, NULL);
        for (cl_uint d = 0; d < nd; d++) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 8;
                rl_dev *g = realloc(out, cap * sizeof *g);
                if (!g)
                    break;
                out = g;
            }
            if (*n == cap)
                break;
            rl_dev *v = &out[(*n)++];
            memset(v, 0, sizeof *v);
            v->platform = plats[p];
            v->id = ids[d];
            v->order = (int)*n - 1;
            clGetDeviceInfo(ids[d], CL_DEVICE_TYPE, sizeof v->type, &v->type, NULL);
            clGetDeviceInfo(ids[d], CL_DEVICE_MAX_COMPUTE_UNITS, sizeof v->units, &v->units, NULL);
            clGetDeviceInfo(ids[d], CL_DEVICE_NAME, sizeof v->name - 1, v->name, NULL);
        }
        free(ids);
    }
    free(plats);
    if (*n == 0) {
        free(out);
        return hs_errf(err, "no OpenCL device found (check `clinfo -l`)");
    }
    qsort(out, *n, sizeof *out, cmp_dev);
    *devs = out;
    return 0;
}

bool hs_real_available(char *why, size_t size)
{
    rl_dev *d;
    size_t n;
    hs_err err;
    if (rl_list_devices(&d, &n, &err) != 0) {
        if (why && size)
            snprintf(why, size, "%s", err.msg);
        return false;
    }
    free(d);
    return true;
}
