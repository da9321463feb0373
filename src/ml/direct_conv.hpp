#pragma once
// Hand-vectorised (AVX2/FMA) direct convolutions for the hot layers of Basic Pitch, whose shapes
// (8 input channels, 3x39 kernels, 256-tap 1-D filters) run poorly through oneDNN and the generic BLAS
// of Debian's libtorch. Torch-free; the caller threads over rows and falls back to torch::conv2d
// where direct_conv_supported() is false.
#include <cstdint>
#include <vector>

namespace cadenza::ml {

bool direct_conv_supported();

// Weights packed for the kernel: [C][KH][KW][O] from TF's [KH][KW][C][O].
struct PackedConv {
  int c = 0, kh = 0, kw = 0, o = 0;
  std::vector<float> w;     // [C][KH][KW][O]
  std::vector<float> bias;  // [O]
  static PackedConv from_tf(const std::vector<float>& hwio, int kh, int kw, int c, int o, const std::vector<float>& bias);
};

// One output row of a 2-D convolution, NCHW input already zero-padded, NHWC output:
//   out[f][o] = act(bias[o] + sum_{c,i,j} w[c][i][j][o] * in[c][row + i][f * stride + j]),  f < w_out.
// `in` points at channel 0 of one image [C][h_in][w_in]; `out` at the output row [w_out][O].
// O must be a multiple of 8.
void conv_row(const PackedConv& k, const float* in, int h_in, int w_in, int row, int stride, int w_out, bool relu,
              float* out);

// A stride-1 convolution to one output channel, NCHW input already zero-padded, all rows:
//   out[r][f] = bias + sum_{c,i,j} w[c][i][j] * in[c][r + i][f + j],  r < h_in - KH + 1, f < w_in - KW + 1.
// `w` is torch's [1][C][KH][KW]; `in` one image [C][h_in][w_in]; `out` [h_out][w_out].
void conv_single(const float* w, int c, int kh, int kw, float bias, const float* in, int h_in, int w_in, float* out);

// The same with a channels-last input [h][w][C] (C a multiple of 8) and zero padding (ph, pw) done
// here (no padded copy): out[r][f] = bias + sum_{i,j,c} w[i][j][c] * in[r + i - ph][f + j - pw][c],
// out [h + 2 ph - KH + 1][w + 2 pw - KW + 1]. `w` is [KH][KW][C].
void conv_single_nhwc(const float* w, int c, int kh, int kw, int ph, int pw, float bias, const float* in, int h, int wd,
                      float* out);

// A KHxKW convolution (stride 1, zero 'same' padding of KW/2 along the width) done along the width
// in the frequency domain: with rows transformed by a real DFT of size n >= width + KW - 1 (complex
// interleaved, n/2 + 1 bins), each output spectrum is a per-bin complex matrix product summed over the
// KH row taps; an inverse real DFT of it gives the output row (bias and activation applied after).
struct SpectralConv {
  int c = 0, kh = 0, o = 0, n = 0, bins = 0;
  // Per block of 4 bins, per (i, c, o): 8 floats re(H) repeated per lane pair, 8 floats im(H) * (-1, +1).
  std::vector<float> w;  // [ceil(bins / 4)][KH][C][O][16]
  static SpectralConv from_tf(const std::vector<float>& hwio, int kh, int kw, int c, int o, int n);
};

// Spectral mixing: y[o][t][k] = sum_{c,i} H[o][c][i][k] * x[c][t + i - pad][k] for t < h_in + 2 pad - KH + 1,
// rows outside [0, h_in) being zero; complex numbers interleaved (re, im), rows of `bins` numbers.
// `x` is [C][h_in][bins], `y` [O][h_out][bins]. O must be a multiple of 8.
void spectral_mix(const SpectralConv& k, const float* x, int h_in, int pad, float* y);

// A KHxKW convolution with stride 1 along the rows through Winograd's minimal filtering F(m, KH) along
// the rows: each tile of m output rows comes from alpha = m + KH - 1 linear combinations of input rows,
// each convolved with a one-row kernel (kh = 1, transformed weights), then recombined (KH * m / alpha
// times fewer multiply-adds than direct). Same layouts and result as conv_row over all output rows.
struct WinogradConv {
  int m = 0, alpha = 0;
  std::vector<float> at, bt;  // output transform [m][alpha], input transform [alpha][alpha]
  std::vector<PackedConv> u;  // alpha one-row convolutions (no bias)
  PackedConv direct;          // the original kernel (bias, rows after the last whole tile)
  static WinogradConv from_tf(const std::vector<float>& hwio, int kh, int kw, int c, int o,
                              const std::vector<float>& bias, int m);
};

// All h_in - KH + 1 output rows, as conv_row(k.direct, in, h_in, w_in, row, stride, w_out, relu, ...)
// would write them one after the other: out [h_out][w_out][O].
void winograd_rows(const WinogradConv& k, const float* in, int h_in, int w_in, int stride, int w_out, bool relu,
                   float* out);

// dst[i] = max(src[i] + bias, 0) for i < n.
void bias_relu(const float* src, float bias, int n, float* dst);

// y[n] = sum_k h[k] * x[2n + k] for n < n_out (a stride-2 FIR; x holds 2 * n_out + taps - 2 samples).
// `h_even` / `h_odd` are h[0::2] / h[1::2]; `x_even` / `x_odd` are x[0::2] / x[1::2].
void fir_decimate2(const float* x_even, const float* x_odd, const float* h_even, const float* h_odd, int half_taps,
                   float* y, int n_out);

}  // namespace cadenza::ml
