/* A generic op group given only its FLOPs and bytes: work-item g streams
 * the floats g, g + items, g + 2 items, ... of buf below len (neighbouring
 * work-items read neighbouring floats) and performs `iters` multiply-adds
 * per float read. */
__kernel void hs_generic(__global const float *buf, __global float *out, int items, int per,
                         int len, int iters)
{
    int g = get_global_id(0);
    if (g >= items)
        return;
    float acc = 0.0f;
    for (int e = 0; e < per; e++) {
        int i = g + e * items;
        if (i >= len)
            break;
        float x = buf[i];
        for (int t = 0; t < iters; t++)
            acc = acc * 0.999f + x;
    }
    out[g] = acc;
}

/* A busy loop of `iters` dependent multiply-adds: the executor's stand-in
 * for fixed-time work (`cost:` and `work:` items), iterations calibrated
 * against the wall clock. */
__kernel void hs_spin(__global float *out, int iters)
{
    if (get_global_id(0) != 0)
        return;
    float x = out[0];
    for (int i = 0; i < iters; i++)
        x = x * 0.9999f + 0.0001f;
    out[0] = x;
}

/* Nothing: the scheduling-overhead benchmark's kernel. */
__kernel void hs_noop(__global float *out)
{
    if (get_global_id(0) == 0)
        out[0] = out[0];
}
