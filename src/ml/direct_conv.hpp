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

// y[n] = sum_k h[k] * x[2n + k] for n < n_out (a stride-2 FIR; x holds 2 * n_out + taps - 2 samples).
// `h_even` / `h_odd` are h[0::2] / h[1::2]; `x_even` / `x_odd` are x[0::2] / x[1::2].
void fir_decimate2(const float* x_even, const float* x_odd, const float* h_even, const float* h_odd, int half_taps,
                   float* y, int n_out);

}  // namespace cadenza::ml
