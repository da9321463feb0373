// The hand-written kernels of src/ml/direct_conv.cpp against each other and against plain loops.
#include "ml/direct_conv.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <vector>

using namespace cadenza::ml;

namespace {

std::vector<float> random_values(std::size_t n, std::uint32_t seed) {
  std::vector<float> v(n);
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = float(seed >> 8) / 16777216.f - 0.5f;
  }
  return v;
}

// Naive real DFT of one row (zero-padded to n), complex interleaved, n / 2 + 1 bins.
void rdft(const float* x, int len, int n, float* out) {
  const double two_pi = 2.0 * std::acos(-1.0);
  for (int k = 0; k <= n / 2; ++k) {
    std::complex<double> s = 0;
    for (int m = 0; m < len; ++m) s += double(x[m]) * std::polar(1.0, -two_pi * double((std::int64_t(k) * m) % n) / n);
    out[2 * k] = float(s.real());
    out[2 * k + 1] = float(s.imag());
  }
}

// Naive inverse of rdft, first `len` samples.
void irdft(const float* spec, int n, int len, float* out) {
  const double two_pi = 2.0 * std::acos(-1.0);
  for (int m = 0; m < len; ++m) {
    double s = 0;
    for (int k = 0; k <= n / 2; ++k) {
      const std::complex<double> v{spec[2 * k], spec[2 * k + 1]};
      const double weight = (k == 0 || 2 * k == n) ? 1.0 : 2.0;
      s += weight * (v * std::polar(1.0, two_pi * double((std::int64_t(k) * m) % n) / n)).real();
    }
    out[m] = float(s / n);
  }
}

}  // namespace

TEST_CASE("spectral conv equals the direct conv with zero 'same' padding along the width") {
  if (!direct_conv_supported()) {
    MESSAGE("no AVX2/FMA: kernels not checked");
    return;
  }
  struct Shape {
    int c, o, kh, kw, width, h_in, n, tp;  // tp: zero rows above and below, done by spectral_mix
  };
  // The shape of Basic Pitch's conv2d_1 (8 -> 8, 3x39, 264 bins, n = 288, 'same' in time too), and
  // small odd ones whose bin count (49) leaves a partial block of 4.
  for (const Shape s : {Shape{8, 8, 3, 39, 264, 7, 288, 1}, Shape{3, 16, 2, 9, 80, 5, 96, 0},
                        Shape{3, 8, 3, 9, 80, 5, 96, 1}}) {
    CAPTURE(s.width);
    CAPTURE(s.tp);
    const int pad = s.kw / 2, h_in = s.h_in, hp = h_in + 2 * s.tp, rows = hp - s.kh + 1, bins = s.n / 2 + 1;
    const auto w = random_values(std::size_t(s.kh) * s.kw * s.c * s.o, 11);  // TF layout [kh][kw][c][o]
    const auto x = random_values(std::size_t(s.c) * h_in * s.width, 5);    // [c][h_in][width]

    // Direct: zero-pad both axes, conv_row per output row (no bias, no relu), NHWC out.
    std::vector<float> xp(std::size_t(s.c) * hp * (s.width + 2 * pad), 0.f);
    for (int c = 0; c < s.c; ++c)
      for (int r = 0; r < h_in; ++r)
        for (int f = 0; f < s.width; ++f)
          xp[(std::size_t(c) * hp + r + s.tp) * (s.width + 2 * pad) + pad + f] = x[(std::size_t(c) * h_in + r) * s.width + f];
    const auto direct_k = PackedConv::from_tf(w, s.kh, s.kw, s.c, s.o, {});
    std::vector<float> direct(std::size_t(rows) * s.width * s.o);
    for (int r = 0; r < rows; ++r)
      conv_row(direct_k, xp.data(), hp, s.width + 2 * pad, r, 1, s.width, false,
               direct.data() + std::size_t(r) * s.width * s.o);

    // Spectral: DFT of every row, mix, inverse DFT.
    const auto spec_k = SpectralConv::from_tf(w, s.kh, s.kw, s.c, s.o, s.n);
    REQUIRE(spec_k.bins == bins);
    std::vector<float> spec(std::size_t(s.c) * h_in * bins * 2), mixed(std::size_t(s.o) * rows * bins * 2);
    for (int row = 0; row < s.c * h_in; ++row)
      rdft(x.data() + std::size_t(row) * s.width, s.width, s.n, spec.data() + std::size_t(row) * bins * 2);
    spectral_mix(spec_k, spec.data(), h_in, s.tp, mixed.data());
    double worst = 0, scale = 0;
    std::vector<float> y(s.width);
    for (int o = 0; o < s.o; ++o)
      for (int r = 0; r < rows; ++r) {
        irdft(mixed.data() + (std::size_t(o) * rows + r) * bins * 2, s.n, s.width, y.data());
        for (int f = 0; f < s.width; ++f) {
          const double d = direct[(std::size_t(r) * s.width + f) * s.o + o];
          worst = std::max(worst, std::abs(double(y[f]) - d));
          scale = std::max(scale, std::abs(d));
        }
      }
    MESSAGE("max |spectral - direct| " << worst << " (outputs up to " << scale << ")");
    CHECK(scale > 0.5);
    CHECK(worst < 2e-5 * scale);
  }
}

TEST_CASE("single-output conv equals plain loops") {
  if (!direct_conv_supported()) return;
  struct Shape {
    int c, kh, kw, h_in, w_in;
  };
  // Basic Pitch's contours-reduced (8 ch, 5x5, 264 + 4 wide), conv2d_3 (32 ch, 7x3), conv2d_5 (33 ch,
  // 3x3), and a width that leaves a scalar tail.
  for (const Shape s : {Shape{8, 5, 5, 9, 268}, Shape{32, 7, 3, 10, 90}, Shape{33, 3, 3, 4, 90}, Shape{2, 3, 4, 5, 84}}) {
    CAPTURE(s.w_in);
    const auto w = random_values(std::size_t(s.c) * s.kh * s.kw, 3);
    const auto x = random_values(std::size_t(s.c) * s.h_in * s.w_in, 9);
    const int h_out = s.h_in - s.kh + 1, w_out = s.w_in - s.kw + 1;
    std::vector<float> y(std::size_t(h_out) * w_out);
    conv_single(w.data(), s.c, s.kh, s.kw, 0.25f, x.data(), s.h_in, s.w_in, y.data());
    double worst = 0;
    for (int r = 0; r < h_out; ++r)
      for (int f = 0; f < w_out; ++f) {
        double e = 0.25;
        for (int c = 0; c < s.c; ++c)
          for (int i = 0; i < s.kh; ++i)
            for (int j = 0; j < s.kw; ++j)
              e += double(w[(std::size_t(c) * s.kh + i) * s.kw + j]) * x[(std::size_t(c) * s.h_in + r + i) * s.w_in + f + j];
        worst = std::max(worst, std::abs(e - y[std::size_t(r) * w_out + f]));
      }
    CHECK(worst < 1e-5);
  }
}

TEST_CASE("channels-last single-output conv with its own zero padding equals plain loops") {
  if (!direct_conv_supported()) return;
  struct Shape {
    int c, kh, kw, ph, pw, h, w;
  };
  // Basic Pitch's conv2d_3 (32 ch, 7x3, 'same') and conv2d_5's h3 part (32 ch, 3x3), and 24 / 8 channels.
  for (const Shape s : {Shape{32, 7, 3, 3, 1, 12, 88}, Shape{32, 3, 3, 1, 1, 5, 88}, Shape{24, 3, 5, 1, 2, 6, 9},
                        Shape{8, 2, 2, 0, 0, 4, 7}}) {
    CAPTURE(s.c);
    const auto w = random_values(std::size_t(s.kh) * s.kw * s.c, 4);  // [kh][kw][c]
    const auto x = random_values(std::size_t(s.h) * s.w * s.c, 8);    // [h][w][c]
    const int h_out = s.h + 2 * s.ph - s.kh + 1, w_out = s.w + 2 * s.pw - s.kw + 1;
    std::vector<float> y(std::size_t(h_out) * w_out);
    conv_single_nhwc(w.data(), s.c, s.kh, s.kw, s.ph, s.pw, -0.5f, x.data(), s.h, s.w, y.data());
    double worst = 0;
    for (int r = 0; r < h_out; ++r)
      for (int f = 0; f < w_out; ++f) {
        double e = -0.5;
        for (int i = 0; i < s.kh; ++i)
          for (int j = 0; j < s.kw; ++j) {
            const int yy = r + i - s.ph, xx = f + j - s.pw;
            if (yy < 0 || yy >= s.h || xx < 0 || xx >= s.w) continue;
            for (int c = 0; c < s.c; ++c)
              e += double(w[(std::size_t(i) * s.kw + j) * s.c + c]) * x[(std::size_t(yy) * s.w + xx) * s.c + c];
          }
        worst = std::max(worst, std::abs(e - y[std::size_t(r) * w_out + f]));
      }
    CHECK(worst < 1e-5);
  }
}

TEST_CASE("Winograd rows equal the direct conv, tail rows included") {
  if (!direct_conv_supported()) return;
  struct Shape {
    int c, kh, kw, o, stride, h_in, w_out, m;
  };
  // Basic Pitch's conv2d_4 (8 -> 32, 5x5, stride 3 along the bins) with F(4, 5), 10 output rows
  // (two tiles and two rows done directly); F(2, 3) on a small odd shape.
  for (const Shape s : {Shape{8, 5, 5, 32, 3, 14, 88, 4}, Shape{3, 3, 2, 16, 1, 8, 13, 2}}) {
    CAPTURE(s.m);
    const int w_in = (s.w_out - 1) * s.stride + s.kw, h_out = s.h_in - s.kh + 1;
    auto w = random_values(std::size_t(s.kh) * s.kw * s.c * s.o, 21);
    for (auto& v : w) v *= 0.3f;
    const auto bias = random_values(std::size_t(s.o), 2);
    auto x = random_values(std::size_t(s.c) * s.h_in * w_in, 13);
    for (auto& v : x) v *= 4.f;
    const auto direct = PackedConv::from_tf(w, s.kh, s.kw, s.c, s.o, bias);
    const auto wino = WinogradConv::from_tf(w, s.kh, s.kw, s.c, s.o, bias, s.m);
    for (bool relu : {false, true}) {
      std::vector<float> a(std::size_t(h_out) * s.w_out * s.o), b(a.size(), -1.f);
      for (int r = 0; r < h_out; ++r)
        conv_row(direct, x.data(), s.h_in, w_in, r, s.stride, s.w_out, relu, a.data() + std::size_t(r) * s.w_out * s.o);
      winograd_rows(wino, x.data(), s.h_in, w_in, s.stride, s.w_out, relu, b.data());
      double worst = 0, scale = 0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        worst = std::max(worst, double(std::abs(a[i] - b[i])));
        scale = std::max(scale, double(std::abs(a[i])));
      }
      MESSAGE("max |winograd - direct| " << worst << " (outputs up to " << scale << ")");
      CHECK(scale > 1.0);
      CHECK(worst < 1e-5 * scale);
    }
  }
}
