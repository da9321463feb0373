#include "direct_conv.hpp"

#include <immintrin.h>

#include <algorithm>

namespace cadenza::ml {
namespace {

// Accumulates FB output positions x OV vectors of 8 output channels.
template <int OV, int FB>
__attribute__((target("avx2,fma"))) void conv_block(const PackedConv& k, const float* in, int h_in, int w_in, int row,
                                                    int stride, int f0, int o0, bool relu, float* out) {
  __m256 acc[FB][OV];
  for (int j = 0; j < FB; ++j)
    for (int v = 0; v < OV; ++v) acc[j][v] = _mm256_loadu_ps(k.bias.data() + o0 + 8 * v);
  const int O = k.o;
  for (int c = 0; c < k.c; ++c) {
    for (int i = 0; i < k.kh; ++i) {
      const float* x = in + (std::int64_t(c) * h_in + row + i) * w_in + std::int64_t(f0) * stride;
      const float* w = k.w.data() + (std::int64_t(c) * k.kh + i) * k.kw * O + o0;
      for (int jw = 0; jw < k.kw; ++jw, w += O) {
        __m256 wv[OV];
        for (int v = 0; v < OV; ++v) wv[v] = _mm256_loadu_ps(w + 8 * v);
        for (int j = 0; j < FB; ++j) {
          const __m256 xv = _mm256_broadcast_ss(x + j * stride + jw);
          for (int v = 0; v < OV; ++v) acc[j][v] = _mm256_fmadd_ps(wv[v], xv, acc[j][v]);
        }
      }
    }
  }
  const __m256 zero = _mm256_setzero_ps();
  for (int j = 0; j < FB; ++j)
    for (int v = 0; v < OV; ++v)
      _mm256_storeu_ps(out + std::int64_t(f0 + j) * O + o0 + 8 * v, relu ? _mm256_max_ps(acc[j][v], zero) : acc[j][v]);
}

template <int OV, int FB>
void conv_span(const PackedConv& k, const float* in, int h_in, int w_in, int row, int stride, int w_out, int o0,
               bool relu, float* out) {
  int f = 0;
  for (; f + FB <= w_out; f += FB) conv_block<OV, FB>(k, in, h_in, w_in, row, stride, f, o0, relu, out);
  for (; f < w_out; ++f) conv_block<OV, 1>(k, in, h_in, w_in, row, stride, f, o0, relu, out);
}

}  // namespace

bool direct_conv_supported() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

PackedConv PackedConv::from_tf(const std::vector<float>& hwio, int kh, int kw, int c, int o,
                               const std::vector<float>& bias) {
  PackedConv p;
  p.c = c, p.kh = kh, p.kw = kw, p.o = o;
  p.w.resize(std::size_t(c) * kh * kw * o);
  for (int i = 0; i < kh; ++i)
    for (int j = 0; j < kw; ++j)
      for (int ci = 0; ci < c; ++ci)
        for (int oi = 0; oi < o; ++oi)
          p.w[((std::size_t(ci) * kh + i) * kw + j) * o + oi] = hwio[((std::size_t(i) * kw + j) * c + ci) * o + oi];
  p.bias = bias.empty() ? std::vector<float>(std::size_t(o), 0.f) : bias;
  return p;
}

void conv_row(const PackedConv& k, const float* in, int h_in, int w_in, int row, int stride, int w_out, bool relu,
              float* out) {
  int o0 = 0;
  // Register blocking: 12 accumulators (+ weights + one broadcast) fit the 16 AVX2 registers.
  for (; o0 + 32 <= k.o; o0 += 32) conv_span<4, 2>(k, in, h_in, w_in, row, stride, w_out, o0, relu, out);
  for (; o0 + 24 <= k.o; o0 += 24) conv_span<3, 3>(k, in, h_in, w_in, row, stride, w_out, o0, relu, out);
  for (; o0 + 16 <= k.o; o0 += 16) conv_span<2, 5>(k, in, h_in, w_in, row, stride, w_out, o0, relu, out);
  for (; o0 + 8 <= k.o; o0 += 8) conv_span<1, 12>(k, in, h_in, w_in, row, stride, w_out, o0, relu, out);
}

__attribute__((target("avx2,fma"))) void fir_decimate2(const float* x_even, const float* x_odd, const float* h_even,
                                                       const float* h_odd, int half_taps, float* y, int n_out) {
  int n = 0;
  for (; n + 32 <= n_out; n += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int j = 0; j < half_taps; ++j) {
      const __m256 he = _mm256_broadcast_ss(h_even + j), ho = _mm256_broadcast_ss(h_odd + j);
      const float* xe = x_even + n + j;
      const float* xo = x_odd + n + j;
      a0 = _mm256_fmadd_ps(he, _mm256_loadu_ps(xe), a0);
      a1 = _mm256_fmadd_ps(he, _mm256_loadu_ps(xe + 8), a1);
      a2 = _mm256_fmadd_ps(he, _mm256_loadu_ps(xe + 16), a2);
      a3 = _mm256_fmadd_ps(he, _mm256_loadu_ps(xe + 24), a3);
      a0 = _mm256_fmadd_ps(ho, _mm256_loadu_ps(xo), a0);
      a1 = _mm256_fmadd_ps(ho, _mm256_loadu_ps(xo + 8), a1);
      a2 = _mm256_fmadd_ps(ho, _mm256_loadu_ps(xo + 16), a2);
      a3 = _mm256_fmadd_ps(ho, _mm256_loadu_ps(xo + 24), a3);
    }
    _mm256_storeu_ps(y + n, a0);
    _mm256_storeu_ps(y + n + 8, a1);
    _mm256_storeu_ps(y + n + 16, a2);
    _mm256_storeu_ps(y + n + 24, a3);
  }
  for (; n < n_out; ++n) {
    float s = 0.f;
    for (int j = 0; j < half_taps; ++j) s += h_even[j] * x_even[n + j] + h_odd[j] * x_odd[n + j];
    y[n] = s;
  }
}

}  // namespace cadenza::ml
