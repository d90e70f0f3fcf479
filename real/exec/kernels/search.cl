/* Vector similarity (inner product) of m queries [m, dim] against n corpus
 * vectors [n, dim]: s[q, v]; one work-item per pair. */
__kernel void hs_vs_scores(__global const float *queries, __global const float *corpus,
                           __global float *s, int m, int n, int dim)
{
    int idx = get_global_id(0);
    if (idx >= m * n)
        return;
    int q = idx / n, v = idx - q * n;
    __global const float *a = queries + (size_t)q * dim;
    __global const float *b = corpus + (size_t)v * dim;
    float acc = 0.0f;
    for (int c = 0; c < dim; c++)
        acc += a[c] * b[c];
    s[idx] = acc;
}

/* Top-k (k <= 32) of each row of s [m, n], best first (ties: lower index
 * first); one work-item per query. */
__kernel void hs_topk(__global const float *s, __global float *top_v, __global int *top_i, int m,
                      int n, int k)
{
    int q = get_global_id(0);
    if (q >= m)
        return;
    float bv[32];
    int bi[32];
    int cnt = 0;
    __global const float *row = s + (size_t)q * n;
    for (int j = 0; j < n; j++) {
        float v = row[j];
        if (cnt == k && !(v > bv[k - 1]))
            continue;
        int pos = cnt < k ? cnt : k - 1;
        while (pos > 0 && v > bv[pos - 1]) {
            bv[pos] = bv[pos - 1];
            bi[pos] = bi[pos - 1];
            pos--;
        }
        bv[pos] = v;
        bi[pos] = j;
        if (cnt < k)
            cnt++;
    }
    for (int t = 0; t < k; t++) {
        top_v[(size_t)q * k + t] = t < cnt ? bv[t] : -INFINITY;
        top_i[(size_t)q * k + t] = t < cnt ? bi[t] : -1;
    }
}
