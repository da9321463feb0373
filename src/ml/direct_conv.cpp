#include "direct_conv.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

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

// FV vectors of 8 outputs of conv_single at row r, columns f0...
template <int FV>
__attribute__((target("avx2,fma"))) void single_block(const float* w, int C, int kh, int kw, float bias, const float* in,
                                                      int h_in, int w_in, int r, int f0, float* out) {
  __m256 acc[FV];
  for (int v = 0; v < FV; ++v) acc[v] = _mm256_set1_ps(bias);
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < kh; ++i) {
      const float* x = in + (std::int64_t(c) * h_in + r + i) * w_in + f0;
      const float* wr = w + (std::int64_t(c) * kh + i) * kw;
      for (int j = 0; j < kw; ++j) {
        const __m256 wv = _mm256_broadcast_ss(wr + j);
        for (int v = 0; v < FV; ++v) acc[v] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + j + 8 * v), acc[v]);
      }
    }
  for (int v = 0; v < FV; ++v) _mm256_storeu_ps(out + f0 + 8 * v, acc[v]);
}

// One column of 4 bins of spectral_mix, all rows and outputs; Masked reads / writes only `mask`'s lanes.
template <bool Masked>
__attribute__((target("avx2,fma"))) void spectral_column(const SpectralConv& k, const float* x, int h_in, float* y,
                                                         int kb, __m256i mask) {
  const int h_out = h_in - k.kh + 1;
  const std::int64_t row = std::int64_t(k.bins) * 2;  // floats per row
  const float* wb = k.w.data() + std::size_t(kb) * k.kh * k.c * k.o * 16;
  for (int o0 = 0; o0 < k.o; o0 += 8) {
    for (int t = 0; t < h_out; ++t) {
      __m256 acc[8];
      for (int v = 0; v < 8; ++v) acc[v] = _mm256_setzero_ps();
      for (int i = 0; i < k.kh; ++i) {
        for (int c = 0; c < k.c; ++c) {
          const float* xp = x + (std::int64_t(c) * h_in + t + i) * row + kb * 8;
          const __m256 xv = Masked ? _mm256_maskload_ps(xp, mask) : _mm256_loadu_ps(xp);
          const __m256 xs = _mm256_permute_ps(xv, 0xB1);  // (im, re) pairs
          const float* w = wb + ((std::size_t(i) * k.c + c) * k.o + o0) * 16;
          for (int v = 0; v < 8; ++v) {
            acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(w + 16 * v), xv, acc[v]);
            acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(w + 16 * v + 8), xs, acc[v]);
          }
        }
      }
      for (int v = 0; v < 8; ++v) {
        float* yp = y + (std::int64_t(o0 + v) * h_out + t) * row + kb * 8;
        if (Masked)
          _mm256_maskstore_ps(yp, mask, acc[v]);
        else
          _mm256_storeu_ps(yp, acc[v]);
      }
    }
  }
}

}  // namespace

void conv_single(const float* w, int c, int kh, int kw, float bias, const float* in, int h_in, int w_in, float* out) {
  const int h_out = h_in - kh + 1, w_out = w_in - kw + 1;
  for (int r = 0; r < h_out; ++r) {
    float* dst = out + std::int64_t(r) * w_out;
    int f = 0;
    for (; f + 64 <= w_out; f += 64) single_block<8>(w, c, kh, kw, bias, in, h_in, w_in, r, f, dst);
    for (; f + 8 <= w_out; f += 8) single_block<1>(w, c, kh, kw, bias, in, h_in, w_in, r, f, dst);
    for (; f < w_out; ++f) {
      float s = bias;
      for (int ci = 0; ci < c; ++ci)
        for (int i = 0; i < kh; ++i)
          for (int j = 0; j < kw; ++j)
            s += w[(std::int64_t(ci) * kh + i) * kw + j] * in[(std::int64_t(ci) * h_in + r + i) * w_in + f + j];
      dst[f] = s;
    }
  }
}

__attribute__((target("avx2,fma"))) void conv_single_nhwc(const float* w, int c, int kh, int kw, int ph, int pw,
                                                           float bias, const float* in, int h, int wd, float* out) {
  const int h_out = h + 2 * ph - kh + 1, w_out = wd + 2 * pw - kw + 1;
  for (int r = 0; r < h_out; ++r)
    for (int f = 0; f < w_out; ++f) {
      __m256 a0 = _mm256_setzero_ps(), a1 = a0;
      for (int i = std::max(0, ph - r); i < std::min(kh, h + ph - r); ++i)
        for (int j = std::max(0, pw - f); j < std::min(kw, wd + pw - f); ++j) {
          const float* x = in + (std::int64_t(r + i - ph) * wd + (f + j - pw)) * c;
          const float* q = w + (std::int64_t(i) * kw + j) * c;
          int v = 0;
          for (; v + 16 <= c; v += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + v), _mm256_loadu_ps(x + v), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + v + 8), _mm256_loadu_ps(x + v + 8), a1);
          }
          if (v < c) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + v), _mm256_loadu_ps(x + v), a0);
        }
      const __m256 a = _mm256_add_ps(a0, a1);
      __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
      s = _mm_add_ps(s, _mm_movehl_ps(s, s));
      s = _mm_add_ss(s, _mm_movehdup_ps(s));
      out[std::int64_t(r) * w_out + f] = bias + _mm_cvtss_f32(s);
    }
}

SpectralConv SpectralConv::from_tf(const std::vector<float>& hwio, int kh, int kw, int c, int o, int n) {
  SpectralConv s;
  s.c = c, s.kh = kh, s.o = o, s.n = n, s.bins = n / 2 + 1;
  const int blocks = (s.bins + 3) / 4, pad = kw / 2;
  s.w.assign(std::size_t(blocks) * kh * c * o * 16, 0.f);
  const double two_pi = 2.0 * std::acos(-1.0);
  for (int k = 0; k < s.bins; ++k)
    for (int i = 0; i < kh; ++i)
      for (int ci = 0; ci < c; ++ci)
        for (int oi = 0; oi < o; ++oi) {
          // Correlation out[f] = sum_j w[j] x[f + j - pad]  <=>  Out[k] = X[k] sum_j w[j] e^{+2 pi i k (j - pad) / n}.
          double re = 0, im = 0;
          for (int j = 0; j < kw; ++j) {
            const double wv = hwio[((std::size_t(i) * kw + j) * c + ci) * o + oi];
            const double a = two_pi * double((std::int64_t(k) * (j - pad)) % n) / n;
            re += wv * std::cos(a);
            im += wv * std::sin(a);
          }
          float* dst = s.w.data() + (((std::size_t(k / 4) * kh + i) * c + ci) * o + oi) * 16 + 2 * (k % 4);
          dst[0] = dst[1] = float(re);
          dst[8] = float(-im);
          dst[9] = float(im);
        }
  return s;
}

__attribute__((target("avx2,fma"))) void spectral_mix(const SpectralConv& k, const float* x, int h_in, float* y) {
  const int full = k.bins / 4, rest = k.bins % 4;
  for (int kb = 0; kb < full; ++kb) spectral_column<false>(k, x, h_in, y, kb, _mm256_setzero_si256());
  if (rest) {
    std::int32_t m[8];
    for (int l = 0; l < 8; ++l) m[l] = l < 2 * rest ? -1 : 0;
    spectral_column<true>(k, x, h_in, y, full, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m)));
  }
}

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
  // Register blocking: 12 accumulators (+ weights + one broadcast) fit the 16 AVX2 registers; 12
  // independent chains also cover the FMA latency (3 x 4 and 2 x 6 run ~1.5x faster than 4 x 2 here).
  for (; o0 + 24 <= k.o; o0 += 24) conv_span<3, 4>(k, in, h_in, w_in, row, stride, w_out, o0, relu, out);
  for (; o0 + 16 <= k.o; o0 += 16) conv_span<2, 6>(k, in, h_in, w_in, row, stride, w_out, o0, relu, out);
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
