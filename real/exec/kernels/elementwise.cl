/* RMSNorm: y[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * w; one
 * work-item per row. */
__kernel void hs_rmsnorm(__global const float *x, __global const float *wbuf, int woff,
                         __global float *y, int rows, int n, float eps)
{
    __global const float *w = wbuf + woff;
    int r = get_global_id(0);
    if (r >= rows)
        return;
    __global const float *xr = x + (size_t)r * n;
    __global float *yr = y + (size_t)r * n;
    float ss = 0.0f;
    for (int j = 0; j < n; j++)
        ss += xr[j] * xr[j];
    float inv = rsqrt(ss / (float)n + eps);
    for (int j = 0; j < n; j++)
        yr[j] = xr[j] * inv * w[j];
}

/* SiLU-multiply over the fused gate/up output gu[r, 0:n] (gate) and
 * gu[r, n:2n] (up): y[r, j] = silu(gate) * up.  One work-item per element. */
__kernel void hs_silu_mul(__global const float *gu, __global float *y, int rows, int n)
{
    int idx = get_global_id(0);
    if (idx >= rows * n)
        return;
    int r = idx / n, j = idx - r * n;
    float g = gu[(size_t)r * 2 * n + j];
    float u = gu[(size_t)r * 2 * n + n + j];
    y[idx] = g / (1.0f + exp(-g)) * u;
}

/* GELU (tanh form), element-wise: the activation of non-gated FFNs. */
__kernel void hs_gelu(__global const float *x, __global float *y, int count)
{
    int i = get_global_id(0);
    if (i >= count)
        return;
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + tanh(0.7978845608f * (v + 0.044715f * v * v * v)));
}

/* Row softmax in place over rows of n; one work-item per row. */
__kernel void hs_softmax(__global float *s, int rows, int n)
{
    int r = get_global_id(0);
    if (r >= rows)
        return;
    __global float *row = s + (size_t)r * n;
    float mx = -INFINITY;
    for (int j = 0; j < n; j++)
        mx = fmax(mx, row[j]);
    float sum = 0.0f;
    for (int j = 0; j < n; j++) {
        float e = exp(row[j] - mx);
        row[j] = e;
        sum += e;
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < n; j++)
        row[j] *= inv;
}

/* Embedding lookup: y[i, c] = table[ids[i] mod vocab, c] (ids >= 0); one
 * work-item per element. */
__kernel void hs_embedding(__global const float *tbuf, int toff, __global const int *ids,
                           __global float *y, int rows, int n, int vocab)
{
    __global const float *table = tbuf + toff;
    int idx = get_global_id(0);
    if (idx >= rows * n)
        return;
    int i = idx / n, c = idx - i * n;
    y[idx] = table[(size_t)(ids[i] % vocab) * n + c];
}
