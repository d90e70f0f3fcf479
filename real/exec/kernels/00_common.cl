/* hetsoc real backend: OpenCL C kernels (fp32).  All kernels take a
 * flattened 1-D index space padded up to a multiple of the local size the
 * host chooses (HS_REAL_LOCAL), so each kernel is compiled once per device
 * whatever the shapes; every kernel checks its bound. */
