/* Attention in three kernels: scores, softmax (hs_softmax), weighted sum.
 * q: [heads, m, d], k and v: [kv_heads, n, d] (the KV cache), s: [heads,
 * m, n], o: [heads, m, d].  Query head h reads KV head h / (heads /
 * kv_heads) (GQA).  Causal: query i (of the m newest tokens) sees keys j
 * <= n - m + i. */
__kernel void hs_attn_scores(__global const float *q, __global const float *k, __global float *s,
                             int heads, int kv_heads, int m, int n, int d, float scale, int causal)
{
    int idx = get_global_id(0);
    if (idx >= heads * m * n)
        return;
    int j = idx % n;
    int i = (idx / n) % m;
    int h = idx / (n * m);
    int kh = h / (heads / kv_heads);
    if (causal && j > n - m + i) {
        s[idx] = -INFINITY;
        return;
    }
    __global const float *qr = q + ((size_t)h * m + i) * d;
    __global const float *kr = k + ((size_t)kh * n + j) * d;
    float acc = 0.0f;
    for (int c = 0; c < d; c++)
        acc += qr[c] * kr[c];
    s[idx] = acc * scale;
}

__kernel void hs_attn_pv(__global const float *p, __global const float *kv, int voff, __global float *o,
                         int heads, int kv_heads, int m, int n, int d)
{
    int idx = get_global_id(0);
    if (idx >= heads * m * d)
        return;
    int c = idx % d;
    int i = (idx / d) % m;
    int h = idx / (d * m);
    int kh = h / (heads / kv_heads);
    __global const float *pr = p + ((size_t)h * m + i) * n;
    __global const float *vc = kv + voff + (size_t)kh * n * d + c;
    float acc = 0.0f;
    for (int j = 0; j < n; j++)
        acc += pr[j] * vc[(size_t)j * d];
    o[idx] = acc;
}
