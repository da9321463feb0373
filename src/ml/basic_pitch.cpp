// The only translation unit of the transcriber that includes libtorch.
#include "cadenza/ml/basic_pitch.hpp"
#include "cadenza/ml/runtime.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "cadenza/core/error.hpp"
#include "cadenza/ml/tfjs_weights.hpp"
#include "direct_conv.hpp"

namespace cadenza::ml {
namespace {

namespace F = torch::nn::functional;

constexpr int kOctaves = 9;
constexpr int kBinsPerOctave = 36;
constexpr int kCqtBins = 309;  // the graph keeps the top 309 of the 9 * 36 bins
constexpr int kStackBins = 264;
constexpr std::array<int, 8> kHarmonicShifts{-36, 0, 36, 57, 72, 84, 93, 101};  // 0.5, 1, 2, ..., 7

torch::Tensor from_tfjs(const TfjsTensor& t) {
  return torch::from_blob(const_cast<float*>(t.values.data()), t.shape, torch::kFloat32).clone();
}

// TF conv2d kernel [kh, kw, in, out] -> torch [out, in, kh, kw].
torch::Tensor conv2d_weight(const TfjsWeights& w, const std::string& name, std::vector<std::int64_t> shape) {
  return from_tfjs(w.get(name, shape)).permute({3, 2, 0, 1}).contiguous();
}

// TF conv1d-as-conv2d kernel [1, k, 1, out] -> torch conv1d [out, 1, k].
torch::Tensor conv1d_weight(const TfjsWeights& w, const std::string& name, std::int64_t out) {
  return from_tfjs(w.get(name, {1, 256, 1, out})).reshape({256, out}).t().unsqueeze(1).contiguous();
}

float scalar(const TfjsWeights& w, const std::string& name) {
  const auto& t = w.get(name);
  if (t.values.size() != 1) throw Error{ErrorKind::Internal, "model weight " + name + " is not a scalar"};
  return t.values[0];
}

std::string conv_name(int index) {
  return index == 0 ? "cq_t2010v2_1/conv1d/ExpandDims_1"
                    : "cq_t2010v2_1/conv1d_" + std::to_string(index) + "/ExpandDims_1";
}

}  // namespace

std::filesystem::path default_models_dir() { return CADENZA_MODELS_DIR; }

std::filesystem::path BasicPitchNet::model_dir(const std::filesystem::path& models_dir) {
  return models_dir / "node_modules" / "@spotify" / "basic-pitch" / "model";
}

std::int64_t BasicPitchNet::output_frames(std::size_t n_samples) {
  // As basic-pitch: floor(n * (ANNOTATIONS_FPS / AUDIO_SAMPLE_RATE)) in double precision.
  return static_cast<std::int64_t>(std::floor(double(n_samples) * (double(kAnnotationsFps) / kSampleRate)));
}

struct BasicPitchNet::Impl {
  // CQT: per octave one kernel holding the 36 real rows then the 36 imaginary rows, and the
  // anti-aliasing low-pass used to halve the rate before the next (lower) octave.
  std::array<torch::Tensor, kOctaves> cqt;
  std::array<torch::Tensor, kOctaves - 1> lowpass;
  torch::Tensor cqt_scale;  // [309]
  float log_eps = 0, log_mul = 0, bn_scale = 0, bn_offset = 0;
  torch::Tensor w1, b1, wc, bc, w2, b2, w3, b3, w4, b4, w5, b5;
  int batch = 4;
  int threads = 1;

  // The same layers packed for the AVX2 kernels (used when the CPU has AVX2 + FMA).
  bool fast = false;
  // Per octave, 3 blocks of 12 bins (24 rows: 12 real then 12 imaginary) with only the taps where
  // some row of the block is non-zero (the higher bins' kernels are shorter: ~1/3 fewer FLOPs).
  static constexpr int kCqtBlocks = 3, kBlockBins = kBinsPerOctave / kCqtBlocks;
  std::array<std::array<PackedConv, kCqtBlocks>, kOctaves> cqt_packed;
  std::array<std::array<int, kCqtBlocks>, kOctaves> cqt_first_tap{};
  std::array<std::vector<float>, kOctaves - 1> lp_even, lp_odd;
  PackedConv pk2;
  WinogradConv wk4;  // conv2d_4 through Winograd F(4, 5) along time (2.5x fewer products, ~1.7x faster)
  // conv2d_1 along the bins in the frequency domain: a real DFT of size 288 >= 264 + 38 keeps the
  // circular convolution equal to the zero-padded one on the 264 kept bins.
  static constexpr int kSpectralN = 288;
  SpectralConv sk1;
  // conv2d_3 and conv2d_5 (one output channel) over conv_fast's channels-last outputs: [KH][KW][C].
  torch::Tensor w3_hwc, w5_note, w5_hwc;

  // [B, C, H, W] zero-padded input -> relu?(conv) as [B, O, H_out, w_out] (a permuted NHWC tensor).
  static torch::Tensor conv_fast(const torch::Tensor& padded, const PackedConv& k, int stride, int w_out, bool relu) {
    const auto B = padded.size(0), h_in = padded.size(2), w_in = padded.size(3);
    const auto h_out = h_in - k.kh + 1;
    auto out = torch::empty({B, h_out, w_out, k.o}, torch::kFloat32);
    const float* in = padded.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    const auto image = padded.size(1) * h_in * w_in;
    at::parallel_for(0, B * h_out, 1, [&](std::int64_t begin, std::int64_t end) {
      for (auto r = begin; r < end; ++r) {
        const auto b = r / h_out, row = r % h_out;
        conv_row(k, in + b * image, int(h_in), int(w_in), int(row), stride, w_out, relu,
                 dst + r * std::int64_t(w_out) * k.o);
      }
    });
    return out.permute({0, 3, 1, 2});
  }

  // [B, C, H, W] zero-padded input -> conv to the one output channel of w [1, C, KH, KW] + b (conv_single).
  static torch::Tensor conv_one(const torch::Tensor& padded, const torch::Tensor& w, const torch::Tensor& b) {
    const auto B = padded.size(0), h_in = padded.size(2), w_in = padded.size(3), kh = w.size(2), kw = w.size(3);
    auto out = torch::empty({B, 1, h_in - kh + 1, w_in - kw + 1}, torch::kFloat32);
    const float bias = b.item<float>();
    for (std::int64_t i = 0; i < B; ++i)
      conv_single(w.data_ptr<float>(), int(padded.size(1)), int(kh), int(kw), bias,
                  padded.data_ptr<float>() + i * padded.stride(0), int(h_in), int(w_in),
                  out.data_ptr<float>() + i * out.stride(0));
    return out;
  }

  // conv_fast's output (an NCHW view of NHWC data) -> conv to one channel, zero padding (ph, pw),
  // weights [KH][KW][C] (conv_single_nhwc): [B, 1, H_out, W_out].
  static torch::Tensor conv_one_nhwc(const torch::Tensor& x, const torch::Tensor& w_hwc, float bias, int ph, int pw) {
    const auto B = x.size(0), C = x.size(1), h = x.size(2), wd = x.size(3), kh = w_hwc.size(0), kw = w_hwc.size(1);
    if (x.stride(1) != 1 || x.stride(3) != C || x.stride(2) != wd * C)
      throw Error{ErrorKind::Internal, "conv_one_nhwc: input is not channels-last"};
    auto out = torch::empty({B, 1, h + 2 * ph - kh + 1, wd + 2 * pw - kw + 1}, torch::kFloat32);
    for (std::int64_t i = 0; i < B; ++i)
      conv_single_nhwc(w_hwc.data_ptr<float>(), int(C), int(kh), int(kw), ph, pw, bias,
                       x.data_ptr<float>() + i * x.stride(0), int(h), int(wd), out.data_ptr<float>() + i * out.stride(0));
    return out;
  }

  // conv2d_1 (3x39, 8 -> 8, zero 'same' padding) + bias + relu: rfft of every input row, per-bin complex
  // 8x8 products summed over the 3 time taps (spectral_mix), irfft. ~8x fewer FLOPs than direct.
  // Returned zero-padded by `pad` on all four sides (the next layer's padding), [B, 8, T + 2 pad, 264 + 2 pad].
  torch::Tensor conv1_spectral(const torch::Tensor& hs, int pad) const {
    const auto B = hs.size(0), T = hs.size(2), O = std::int64_t(sk1.o);
    auto spec = torch::view_as_real(torch::fft::rfft(hs, kSpectralN)).contiguous();  // [B, 8, T, bins, 2]
    auto mixed = torch::empty({B, O, T, sk1.bins, 2}, torch::kFloat32);
    for (std::int64_t b = 0; b < B; ++b)
      spectral_mix(sk1, spec.data_ptr<float>() + b * spec.stride(0), int(T), 1,
                   mixed.data_ptr<float>() + b * mixed.stride(0));
    auto y = torch::fft::irfft(torch::view_as_complex(mixed), kSpectralN).contiguous();  // [B, 8, T, 288]
    const std::int64_t h = T + 2 * pad, w = kStackBins + 2 * pad;
    auto out = torch::empty({B, O, h, w}, torch::kFloat32);
    const float* src = y.data_ptr<float>();
    const float* bias = b1.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    for (std::int64_t bo = 0; bo < B * O; ++bo) {
      float* image = dst + bo * h * w;
      std::fill(image, image + pad * w, 0.f);
      std::fill(image + (T + pad) * w, image + h * w, 0.f);
      for (std::int64_t t = 0; t < T; ++t) {
        float* d = image + (t + pad) * w;
        std::fill(d, d + pad, 0.f);
        bias_relu(src + (bo * T + t) * kSpectralN, bias[bo % O], kStackBins, d + pad);
        std::fill(d + pad + kStackBins, d + w, 0.f);
      }
    }
    return out;
  }

  // The same as conv_fast through winograd_rows (stride 1 along H).
  static torch::Tensor conv_winograd(const torch::Tensor& padded, const WinogradConv& k, int stride, int w_out, bool relu) {
    const auto B = padded.size(0), h_in = padded.size(2), w_in = padded.size(3);
    const auto h_out = h_in - k.direct.kh + 1;
    auto out = torch::empty({B, h_out, w_out, k.direct.o}, torch::kFloat32);
    for (std::int64_t b = 0; b < B; ++b)
      winograd_rows(k, padded.data_ptr<float>() + b * padded.stride(0), int(h_in), int(w_in), stride, w_out, relu,
                    out.data_ptr<float>() + b * out.stride(0));
    return out.permute({0, 3, 1, 2});
  }

  // CQT magnitudes [B, T, 309] through torch's conv1d.
  torch::Tensor cqt_torch(const torch::Tensor& audio) const {
    torch::Tensor x = audio.unsqueeze(1);  // [B, 1, L]
    std::vector<torch::Tensor> re, im;
    for (int o = 0; o < kOctaves; ++o) {
      auto xp = F::pad(x, F::PadFuncOptions({128, 128}).mode(torch::kReflect));
      auto y = torch::conv1d(xp, cqt[o], {}, kFftHop >> o).transpose(1, 2);  // [B, T, 72]
      re.push_back(y.slice(2, 0, kBinsPerOctave));
      im.push_back(y.slice(2, kBinsPerOctave, 2 * kBinsPerOctave));
      if (o + 1 < kOctaves) x = torch::conv1d(F::pad(x, F::PadFuncOptions({127, 127})), lowpass[o], {}, 2);
    }
    return magnitudes(re, im);
  }

  // The same with the AVX2 kernels: 256-tap CQT rows and a polyphase stride-2 low-pass.
  torch::Tensor cqt_fast(const torch::Tensor& audio) const {
    const auto B = audio.size(0);
    std::vector<torch::Tensor> re, im;
    torch::Tensor x = audio;  // [B, L]
    for (int o = 0; o < kOctaves; ++o) {
      auto xp = F::pad(x.unsqueeze(1), F::PadFuncOptions({128, 128}).mode(torch::kReflect)).unsqueeze(1).contiguous();
      const int frames = int((xp.size(3) - 256) / (kFftHop >> o) + 1);
      std::vector<torch::Tensor> re_o, im_o;
      for (int g = 0; g < kCqtBlocks; ++g) {
        const auto& k = cqt_packed[o][g];
        // Starting the rows at the block's first non-zero tap: one "image" of 1 x (size - first) samples.
        auto y = torch::empty({B, frames, k.o}, torch::kFloat32);
        const auto len = xp.size(3);
        for (std::int64_t b = 0; b < B; ++b)
          conv_row(k, xp.data_ptr<float>() + b * len + cqt_first_tap[o][g], 1, int(len - cqt_first_tap[o][g]), 0,
                   kFftHop >> o, frames, false, y.data_ptr<float>() + b * frames * k.o);
        re_o.push_back(y.slice(2, 0, kBlockBins));
        im_o.push_back(y.slice(2, kBlockBins, 2 * kBlockBins));
      }
      re.push_back(torch::cat(re_o, 2));  // [B, T, 36]
      im.push_back(torch::cat(im_o, 2));
      if (o + 1 < kOctaves) {
        auto zp = F::pad(x, F::PadFuncOptions({127, 127}));
        auto even = zp.slice(1, 0, c10::nullopt, 2).contiguous(), odd = zp.slice(1, 1, c10::nullopt, 2).contiguous();
        const auto n_out = (zp.size(1) - 256) / 2 + 1;
        auto next = torch::empty({B, n_out}, torch::kFloat32);
        at::parallel_for(0, B, 1, [&](std::int64_t begin, std::int64_t end) {
          for (auto b = begin; b < end; ++b)
            fir_decimate2(even.data_ptr<float>() + b * even.size(1), odd.data_ptr<float>() + b * odd.size(1),
                          lp_even[o].data(), lp_odd[o].data(), 128, next.data_ptr<float>() + b * n_out, int(n_out));
        });
        x = next;
      }
    }
    return magnitudes(re, im);
  }

  // Lowest octave first, top 309 bins, scaled, |re + i im|.
  torch::Tensor magnitudes(std::vector<torch::Tensor>& re, std::vector<torch::Tensor>& im) const {
    std::reverse(re.begin(), re.end());
    std::reverse(im.begin(), im.end());
    const std::int64_t total = std::int64_t(kOctaves) * kBinsPerOctave;
    auto real = torch::cat(re, 2).slice(2, total - kCqtBins, total) * cqt_scale;
    auto imag = torch::cat(im, 2).slice(2, total - kCqtBins, total) * cqt_scale;
    return torch::sqrt(real * real + imag * imag);
  }

  // Returns {contours [B,K,264], notes [B,K,88], onsets [B,K,88]} for the K = kFramesPerWindow kept frames.
  std::array<torch::Tensor, 3> forward(const torch::Tensor& audio) const {
    const auto B = audio.size(0);
    auto mag = fast ? cqt_fast(audio) : cqt_torch(audio);  // [B, T, 309]

    // Normalised log power, per window: (dB - min) / (max - min), 0 where max - min == 0.
    auto db = torch::log(mag * mag + log_eps) * log_mul;
    auto mn = std::get<0>(db.reshape({B, -1}).min(1)).view({B, 1, 1});
    auto sub = db - mn;
    auto mx = std::get<0>(sub.reshape({B, -1}).max(1)).view({B, 1, 1});
    auto norm = torch::where(mx == 0, torch::zeros_like(sub), sub / mx);
    auto bn = norm * bn_scale + bn_offset;  // [B, T, 309]

    // Harmonic stacking: 8 shifted copies of the CQT, cut to 264 bins -> [B, 8, T, 264].
    auto padded = F::pad(bn, F::PadFuncOptions({36, 101}));
    std::vector<torch::Tensor> shifted;
    for (int s : kHarmonicShifts) shifted.push_back(padded.slice(2, 36 + s, 36 + s + kStackBins));
    auto hs = torch::stack(shifted, 1);

    // Only the kept frames [half, half + kFramesPerWindow) of each window are returned. The fast path
    // computes each layer on just the rows those frames depend on (all inside the window, so no zero
    // rows are involved): onset rows [15, 157) <- note, h3 rows [14, 158) <- h2 rows [11, 161) <- contour
    // rows [8, 164); h3 rows [14, 158) <- hs rows [12, 160).
    const std::int64_t half = kOverlapFrames / 2, keep = kFramesPerWindow;
    torch::Tensor contour, note, onset;
    if (fast) {
      auto pad = [](const torch::Tensor& t, std::vector<std::int64_t> p) { return F::pad(t, F::PadFuncOptions(p)).contiguous(); };
      contour = torch::sigmoid(conv_one(conv1_spectral(hs, 2), wc, bc));                      // [B, 1, T, 264]
      auto h2 = conv_fast(pad(contour.narrow(2, half - 7, keep + 14), {2, 2, 0, 0}), pk2, 3, kNotes, true);  // rows 11..160
      auto h3 = conv_winograd(pad(hs.narrow(2, half - 3, keep + 6), {1, 1, 0, 0}), wk4, 3, kNotes, true);    // rows 14..157
      note = torch::sigmoid(conv_one_nhwc(h2, w3_hwc, b3.item<float>(), 0, 1));  // rows 14..157
      // conv2d_5 over cat(note, h3): the note channel through conv_one, h3's 32 through conv_one_nhwc.
      onset = torch::sigmoid(conv_one(pad(note, {1, 1, 0, 0}), w5_note, b5).add_(conv_one_nhwc(h3, w5_hwc, 0.f, 0, 1)));
      contour = contour.narrow(2, half, keep);
      note = note.narrow(2, 1, keep);
    } else {
      auto h1 = torch::relu(torch::conv2d(hs, w1, b1, 1, {1, 19}));
      contour = torch::sigmoid(torch::conv2d(h1, wc, bc, 1, {2, 2}));
      auto h2 = torch::relu(torch::conv2d(contour, w2, b2, {1, 3}, {3, 2}));  // [B, 32, T, 88]
      auto h3 = torch::relu(torch::conv2d(hs, w4, b4, {1, 3}, {2, 1}));       // [B, 32, T, 88]
      note = torch::sigmoid(torch::conv2d(h2, w3, b3, 1, {3, 1}));            // [B, 1, T, 88]
      onset = torch::sigmoid(torch::conv2d(torch::cat({note, h3}, 1), w5, b5, 1, {1, 1}));
      contour = contour.narrow(2, half, keep);
      note = note.narrow(2, half, keep);
      onset = onset.narrow(2, half, keep);
    }
    return {contour.squeeze(1), note.squeeze(1), onset.squeeze(1)};
  }
};

BasicPitchNet::BasicPitchNet(const BasicPitchOptions& options) : impl_(std::make_unique<Impl>()) {
  const auto dir = model_dir(options.models_dir);
  if (!std::filesystem::exists(dir / "model.json") || !std::filesystem::exists(dir / "group1-shard1of1.bin"))
    throw Error{ErrorKind::Unavailable, "basic-pitch model not found in " + dir.string() +
                                            ": run scripts/setup (npm ci in models/ installs "
                                            "@spotify/basic-pitch@1.0.1)"};
  const TfjsWeights w = TfjsWeights::load(dir);
  torch::NoGradGuard no_grad;
  auto& m = *impl_;
  for (int o = 0; o < kOctaves; ++o) {
    m.cqt[o] = torch::cat({conv1d_weight(w, conv_name(3 * o), kBinsPerOctave),
                           conv1d_weight(w, conv_name(3 * o + 1), kBinsPerOctave)}, 0);
    if (o + 1 < kOctaves) m.lowpass[o] = conv1d_weight(w, conv_name(3 * o + 2), 1);
  }
  m.cqt_scale = from_tfjs(w.get("cq_t2010v2_1/Sqrt", {kCqtBins, 1, 1})).reshape({kCqtBins});
  m.log_eps = scalar(w, "normalized_log_1/add/y");
  m.log_mul = scalar(w, "normalized_log_1/truediv");
  m.bn_scale = scalar(w, "batch_normalization/FusedBatchNormV3/Scaled");
  m.bn_offset = scalar(w, "batch_normalization/FusedBatchNormV3/Offset");
  m.w1 = conv2d_weight(w, "conv2d_1/Conv2D_weights", {3, 39, 8, 8});
  m.b1 = from_tfjs(w.get("conv2d_1/Conv2D_bn_offset", {8}));
  m.wc = conv2d_weight(w, "contours-reduced/Conv2D/ReadVariableOp", {5, 5, 8, 1});
  m.bc = from_tfjs(w.get("contours-reduced/BiasAdd/ReadVariableOp", {1}));
  m.w2 = conv2d_weight(w, "conv2d_2/Conv2D/ReadVariableOp", {7, 7, 1, 32});
  m.b2 = from_tfjs(w.get("conv2d_2/BiasAdd/ReadVariableOp", {32}));
  m.w3 = conv2d_weight(w, "conv2d_3/Conv2D/ReadVariableOp", {7, 3, 32, 1});
  m.b3 = from_tfjs(w.get("conv2d_3/BiasAdd/ReadVariableOp", {1}));
  m.w4 = conv2d_weight(w, "conv2d_4/Conv2D_weights", {5, 5, 8, 32});
  m.b4 = from_tfjs(w.get("conv2d_4/Conv2D_bn_offset", {32}));
  m.w5 = conv2d_weight(w, "conv2d_5/Conv2D/ReadVariableOp", {3, 3, 33, 1});
  m.b5 = from_tfjs(w.get("conv2d_5/BiasAdd/ReadVariableOp", {1}));
  m.batch = std::max(1, options.batch_windows);
  m.fast = direct_conv_supported() && std::getenv("CADENZA_NO_DIRECT_CONV") == nullptr;
  if (m.fast) {
    auto vec = [](const torch::Tensor& t) {
      auto c = t.contiguous();
      return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    };
    for (int o = 0; o < kOctaves; ++o) {
      for (int g = 0; g < Impl::kCqtBlocks; ++g) {
        const int bins = Impl::kBlockBins;
        auto rows = torch::cat({m.cqt[o].slice(0, g * bins, (g + 1) * bins),
                                m.cqt[o].slice(0, kBinsPerOctave + g * bins, kBinsPerOctave + (g + 1) * bins)})
                        .squeeze(1);  // [24, 256]
        auto used = rows.ne(0).any(0).nonzero();
        const auto first = used.numel() ? used.min().item<std::int64_t>() : 0;
        const auto last = used.numel() ? used.max().item<std::int64_t>() : 0;
        m.cqt_first_tap[o][g] = int(first);
        // [24, taps] -> TF layout [1, taps, 1, 24].
        m.cqt_packed[o][g] = PackedConv::from_tf(vec(rows.slice(1, first, last + 1).t()), 1, int(last - first + 1), 1,
                                                 2 * bins, {});
      }
      if (o + 1 < kOctaves) {
        auto h = m.lowpass[o].reshape({256});
        m.lp_even[o] = vec(h.slice(0, 0, c10::nullopt, 2));
        m.lp_odd[o] = vec(h.slice(0, 1, c10::nullopt, 2));
      }
    }
    m.w3_hwc = m.w3[0].permute({1, 2, 0}).contiguous();
    m.w5_note = m.w5.slice(1, 0, 1).contiguous();
    m.w5_hwc = m.w5[0].slice(0, 1).permute({1, 2, 0}).contiguous();
    m.sk1 = SpectralConv::from_tf(w.get("conv2d_1/Conv2D_weights").values, 3, 39, 8, 8, Impl::kSpectralN);
    m.pk2 = PackedConv::from_tf(w.get("conv2d_2/Conv2D/ReadVariableOp").values, 7, 7, 1, 32, vec(m.b2));
    m.wk4 = WinogradConv::from_tf(w.get("conv2d_4/Conv2D_weights").values, 5, 5, 8, 32, vec(m.b4), 4);
  }
  m.threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
}

BasicPitchNet::~BasicPitchNet() = default;

BasicPitchOutput BasicPitchNet::infer(const std::vector<float>& mono22k, const std::function<void(double)>& progress,
                                      const std::function<bool()>& cancelled) const {
  BasicPitchOutput out;
  out.n_frames = output_frames(mono22k.size());
  if (out.n_frames <= 0) return out;
  const std::int64_t n_windows = (out.n_frames + kFramesPerWindow - 1) / kFramesPerWindow;
  out.frames.resize(std::size_t(out.n_frames) * kNotes);
  out.onsets.resize(std::size_t(out.n_frames) * kNotes);
  out.contours.resize(std::size_t(out.n_frames) * kContourBins);
  const std::int64_t padded_len = kPadStart + std::int64_t(mono22k.size());

  // Windows are split into chunks of up to `batch`; `threads` workers take chunks in turn, each
  // running torch single-threaded (no OpenMP spinning, which costs dearly on a busy machine). The
  // chunk count is a multiple of the worker count where possible and the chunks differ by at most one
  // window, so that the workers finish together (37 windows on 2 workers: 10 chunks of 3-4, not 9 of
  // 4 and one of 1).
  const int workers = int(std::min<std::int64_t>(impl_->threads, n_windows));
  const std::int64_t chunk =
      std::max<std::int64_t>(1, std::min<std::int64_t>(impl_->batch, (n_windows + workers - 1) / workers));
  const std::int64_t n_chunks =
      std::min(n_windows, ((n_windows + chunk - 1) / chunk + workers - 1) / workers * workers);
  std::atomic<std::int64_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  std::mutex mu;  // serialises progress / cancellation callbacks and the first error
  std::exception_ptr error;

  auto work = [&] {
    try {
      // Parallelism is over windows: torch runs each chunk on this worker's thread alone.
      IntraOpThreads one(1);
      c10::InferenceMode guard;
      for (;;) {
        const std::int64_t c = next.fetch_add(1);
        if (c >= n_chunks || stop) return;
        {
          std::lock_guard lock{mu};
          if (cancelled && cancelled()) {
            stop = true;
            return;
          }
        }
        const std::int64_t first = c * n_windows / n_chunks, count = (c + 1) * n_windows / n_chunks - first;
        auto input = torch::zeros({count, kWindowSamples}, torch::kFloat32);
        float* in = input.data_ptr<float>();
        for (std::int64_t b = 0; b < count; ++b) {
          const std::int64_t start = (first + b) * kHopSamples;  // position in the zero-padded signal
          const std::int64_t lo = std::max<std::int64_t>(start, kPadStart);
          const std::int64_t hi = std::min<std::int64_t>(start + kWindowSamples, padded_len);
          if (hi > lo)
            std::copy(mono22k.begin() + (lo - kPadStart), mono22k.begin() + (hi - kPadStart),
                      in + b * kWindowSamples + (lo - start));
        }
        auto [contour, note, onset] = impl_->forward(input);
        contour = contour.contiguous();
        note = note.contiguous();
        onset = onset.contiguous();
        for (std::int64_t b = 0; b < count; ++b) {
          const std::int64_t frame0 = (first + b) * kFramesPerWindow;
          const std::int64_t keep = std::min<std::int64_t>(kFramesPerWindow, out.n_frames - frame0);
          if (keep <= 0) break;
          auto copy = [&](const torch::Tensor& t, std::vector<float>& dst, int bins) {
            const float* src = t.data_ptr<float>() + b * kFramesPerWindow * bins;
            std::copy(src, src + keep * bins, dst.data() + frame0 * bins);
          };
          copy(note, out.frames, kNotes);
          copy(onset, out.onsets, kNotes);
          copy(contour, out.contours, kContourBins);
        }
        const std::int64_t finished = done.fetch_add(count) + count;
        if (progress) {
          std::lock_guard lock{mu};
          progress(double(finished) / double(n_windows));
        }
      }
    } catch (...) {
      std::lock_guard lock{mu};
      if (!error) error = std::current_exception();
      stop = true;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  if (stop) throw Cancelled{};
  return out;
}

}  // namespace cadenza::ml
