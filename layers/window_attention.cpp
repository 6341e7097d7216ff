#include "layers/window_attention.h"

#include <cmath>
#include <vector>

#include "engine/ops/window_attention.h"
#include "layers/activation.h"
#include "layers/init.h"

namespace fovea {

namespace {

int64_t window_area(Window window) {
  return window[0] * window[1];
}

void check_windowed_grid(const char* what, int64_t height, int64_t width, Window window) {
  FOVEA_CHECK(window[0] > 0 && window[1] > 0 && height % window[0] == 0 && width % window[1] == 0,
              "{}: the {}x{} grid is not a multiple of the {}x{} window", what, height, width,
              window[0], window[1]);
}

// softmax(q k^T * scale + bias + mask) v, window by window. q, k, v [B * nW, heads, N, D];
// bias [heads, N, N]; mask [nW, N, N] or undefined. Without dropout this is the
// window_attention op. With dropout, the window batch is split into [B, nW] so that the
// mask broadcasts over the images instead of being copied per image (timm's fused path
// expands it to [B * nW, heads, N, N]).
Tensor attend_windows(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                      const Tensor& mask, std::optional<double> scale, double dropout,
                      Tensor* attention_map) {
  // The fused op (one kernel per window and head on CUDA) has no dropout: attention
  // dropout in training (timm's Swin default attn_drop is 0) keeps this composition.
  if (dropout == 0.0) return window_attention(q, k, v, bias, mask, scale, attention_map);
  AttentionOptions options;
  options.scale = scale;
  options.dropout_p = dropout;
  options.probabilities = attention_map;
  if (!mask.defined()) {
    options.bias = bias;
    return scaled_dot_product_attention(q, k, v, options);
  }
  const int64_t windows = mask.size(0), images = q.size(0) / windows;
  FOVEA_CHECK(images * windows == q.size(0) && mask.size(1) == q.size(2),
              "window attention: {} windows of {} tokens do not fit the mask {}", q.size(0),
              q.size(2), shape_str(mask.shape()));
  auto per_image = [&](const Tensor& t) {
    return t.reshape({images, windows, t.size(1), t.size(2), t.size(3)});
  };
  options.bias = add(bias.unsqueeze(0), mask.unsqueeze(1));  // [nW, heads, N, N]
  const Tensor out =
      scaled_dot_product_attention(per_image(q), per_image(k), per_image(v), options);
  if (attention_map) *attention_map = attention_map->flatten(0, 1);
  return out.flatten(0, 1);  // [B * nW, heads, N, D]
}

// [B * nW, heads, N, D] -> [B * nW, N, heads * D]
Tensor merge_heads(const Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

// F.normalize(x, dim=-1): x / max(|x|, 1e-12), written as x * rsqrt(max(|x|^2, 1e-24)) so
// that an all-zero vector gets a zero gradient instead of NaN.
Tensor l2_normalize(const Tensor& x) {
  return mul(x, rsqrt(clamp(sum(mul(x, x), {-1}, /*keepdim=*/true), 1e-24, std::nullopt)));
}

}  // namespace

Tensor shifted_window_mask(int64_t height, int64_t width, Window window, Window shift) {
  check_windowed_grid("shifted_window_mask", height, width, window);
  // Each grid row falls into one of three bands: untouched by the roll, the last window's
  // rows that stay, and the `shift` rows that wrap around from the top; likewise columns.
  auto band = [](int64_t i, int64_t size, int64_t win, int64_t sh) {
    return i < size - win ? 0 : (i < size - sh ? 1 : 2);
  };
  const int64_t area = window_area(window);
  const int64_t rows = height / window[0], cols = width / window[1];
  std::vector<float> mask(static_cast<size_t>(rows * cols * area * area));
  std::vector<int64_t> region(static_cast<size_t>(area));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      for (int64_t t = 0; t < area; ++t) {
        const int64_t h = r * window[0] + t / window[1], w = c * window[1] + t % window[1];
        region[t] = 3 * band(h, height, window[0], shift[0]) + band(w, width, window[1], shift[1]);
      }
      float* out = mask.data() + (r * cols + c) * area * area;
      for (int64_t i = 0; i < area; ++i) {
        for (int64_t j = 0; j < area; ++j)
          out[i * area + j] = region[i] == region[j] ? 0.f : -100.f;
      }
    }
  }
  return from_vector(mask, {rows * cols, area, area});
}

Tensor relative_position_index(Window window) {
  const int64_t area = window_area(window);
  std::vector<int64_t> index(static_cast<size_t>(area * area));
  for (int64_t i = 0; i < area; ++i) {
    for (int64_t j = 0; j < area; ++j) {
      const int64_t dh = i / window[1] - j / window[1] + window[0] - 1;  // in [0, 2Wh-1)
      const int64_t dw = i % window[1] - j % window[1] + window[1] - 1;  // in [0, 2Ww-1)
      index[i * area + j] = dh * (2 * window[1] - 1) + dw;
    }
  }
  return from_vector(index, {area * area});
}

Tensor resize_relative_position_bias_table(const Tensor& table, Window from, Window to) {
  const int64_t heads = table.size(-1);
  FOVEA_CHECK(table.dim() == 2 && table.size(0) == (2 * from[0] - 1) * (2 * from[1] - 1),
              "resize_relative_position_bias_table: a {}x{} window has a [{}, heads] table, got {}",
              from[0], from[1], (2 * from[0] - 1) * (2 * from[1] - 1), shape_str(table.shape()));
  if (from == to) return table;
  // The table is already NHWC: one image of (2Wh-1) x (2Ww-1) offsets with `heads` channels.
  const Tensor grid = table.reshape({1, 2 * from[0] - 1, 2 * from[1] - 1, heads});
  return interpolate(grid, {.size = std::array<int64_t, 2>{2 * to[0] - 1, 2 * to[1] - 1},
                            .mode = "bicubic"})
      .reshape({(2 * to[0] - 1) * (2 * to[1] - 1), heads});
}

// ---- v1 ----

WindowAttention::WindowAttention(int64_t dim, int64_t heads, Window window_size, bool qkv_bias,
                                 double attn_drop, double proj_drop)
    : Module("WindowAttention"),
      num_heads(heads),
      window(window_size),
      attn_drop_(attn_drop),
      proj_drop_(std::make_shared<Dropout>(proj_drop)) {
  FOVEA_CHECK(dim % heads == 0, "WindowAttention: dim {} is not divisible by {} heads", dim, heads);
  Tensor table = empty({(2 * window[0] - 1) * (2 * window[1] - 1), heads});
  init::trunc_normal_(table, 0.0, 0.02);
  register_parameter("relative_position_bias_table", &relative_position_bias_table, table);
  register_buffer("relative_position_index", &relative_position_index,
                  fovea::relative_position_index(window), /*persistent=*/false);
  qkv = register_module("qkv", std::make_shared<Linear>(dim, 3 * dim, qkv_bias));
  proj = register_module("proj", std::make_shared<Linear>(dim, dim));
  register_module("proj_drop", proj_drop_);
}

Tensor WindowAttention::relative_position_bias() const {
  const int64_t area = window_area(window);
  // [N * N, heads] -> [heads, N, N]
  return index_select(relative_position_bias_table, 0, relative_position_index)
      .reshape({area, area, num_heads})
      .permute({2, 0, 1});
}

Tensor WindowAttention::forward(const Tensor& x, const Tensor& mask, Tensor* attention_map) {
  const int64_t windows = x.size(0), tokens = x.size(1), dim = x.size(2);
  FOVEA_CHECK(tokens == window_area(window),
              "WindowAttention: expected windows of {}x{} tokens, got {}", window[0], window[1],
              shape_str(x.shape()));
  // [B * nW, N, 3C] -> [3, B * nW, heads, N, C / heads]
  const Tensor qkv_heads =
      (*qkv)(x).reshape({windows, tokens, 3, num_heads, dim / num_heads}).permute({2, 0, 3, 1, 4});
  const Tensor out = attend_windows(qkv_heads.select(0, 0), qkv_heads.select(0, 1),
                                    qkv_heads.select(0, 2), relative_position_bias(), mask,
                                    std::nullopt, is_training() ? attn_drop_ : 0.0, attention_map);
  return (*proj_drop_)((*proj)(merge_heads(out)));
}

// ---- v2 ----

namespace {

// The continuous position bias' input: every offset (dh, dw) of a window, scaled to
// [-8, 8] at the (pretrained) window's edge and compressed by sign(x) log2(1 + |x|) / 3,
// so that the MLP extrapolates gently to larger windows. [(2Wh-1)(2Ww-1), 2].
Tensor log_spaced_relative_coords(Window window, Window pretrained) {
  const Window reference = pretrained[0] > 0 ? pretrained : window;
  auto coordinate = [](int64_t offset, int64_t edge) {
    // A 1-token window has only the offset 0 (timm divides 0 by 0 there).
    const double x =
        8.0 * static_cast<double>(offset) / static_cast<double>(std::max<int64_t>(edge - 1, 1));
    return static_cast<float>((x > 0) - (x < 0)) *
           static_cast<float>(std::log2(std::abs(x) + 1.0) / std::log2(8.0));
  };
  std::vector<float> coords;
  for (int64_t dh = -(window[0] - 1); dh < window[0]; ++dh) {
    for (int64_t dw = -(window[1] - 1); dw < window[1]; ++dw) {
      coords.push_back(coordinate(dh, reference[0]));
      coords.push_back(coordinate(dw, reference[1]));
    }
  }
  return from_vector(coords, {(2 * window[0] - 1) * (2 * window[1] - 1), 2});
}

}  // namespace

WindowAttentionV2::WindowAttentionV2(int64_t dim, int64_t heads, Window window_size, bool qkv_bias,
                                     double attn_drop, double proj_drop, Window pretrained_window)
    : Module("WindowAttentionV2"),
      num_heads(heads),
      window(window_size),
      attn_drop_(attn_drop),
      proj_drop_(std::make_shared<Dropout>(proj_drop)) {
  FOVEA_CHECK(dim % heads == 0, "WindowAttentionV2: dim {} is not divisible by {} heads", dim,
              heads);
  register_parameter("logit_scale", &logit_scale, full({heads, 1, 1}, std::log(10.0)));
  cpb_mlp = register_module("cpb_mlp", std::make_shared<Sequential>());
  cpb_mlp->add(std::make_shared<Linear>(2, 512));
  cpb_mlp->add(std::make_shared<Activation>(ActivationKind::relu));
  cpb_mlp->add(std::make_shared<Linear>(512, heads, /*bias=*/false));
  register_buffer("relative_coords_table", &relative_coords_table,
                  log_spaced_relative_coords(window, pretrained_window), /*persistent=*/false);
  register_buffer("relative_position_index", &relative_position_index,
                  fovea::relative_position_index(window), /*persistent=*/false);
  qkv = register_module("qkv", std::make_shared<Linear>(dim, 3 * dim, /*bias=*/false));
  if (qkv_bias) {
    register_parameter("q_bias", &q_bias, zeros({dim}));
    register_buffer("k_bias", &k_bias, zeros({dim}), /*persistent=*/false);
    register_parameter("v_bias", &v_bias, zeros({dim}));
  }
  proj = register_module("proj", std::make_shared<Linear>(dim, dim));
  register_module("proj_drop", proj_drop_);
}

Tensor WindowAttentionV2::relative_position_bias() {
  const int64_t area = window_area(window);
  const Tensor table = (*cpb_mlp)(relative_coords_table);  // [(2Wh-1)(2Ww-1), heads]
  const Tensor bias =
      index_select(table, 0, relative_position_index).reshape({area, area, num_heads});
  return mul(sigmoid(bias.permute({2, 0, 1})), 16.0);
}

Tensor WindowAttentionV2::forward(const Tensor& x, const Tensor& mask, Tensor* attention_map) {
  const int64_t windows = x.size(0), tokens = x.size(1), dim = x.size(2);
  FOVEA_CHECK(tokens == window_area(window),
              "WindowAttentionV2: expected windows of {}x{} tokens, got {}", window[0], window[1],
              shape_str(x.shape()));
  const Tensor bias = q_bias.defined() ? cat({q_bias, k_bias, v_bias}, 0) : Tensor();
  const Tensor qkv_heads = linear(x, qkv->weight, bias)
                               .reshape({windows, tokens, 3, num_heads, dim / num_heads})
                               .permute({2, 0, 3, 1, 4});
  // Cosine attention: unit q and k, the temperature folded into q (so the op's scale is 1).
  const Tensor temperature = exp(clamp(logit_scale, std::nullopt, std::log(100.0)));
  const Tensor q = mul(l2_normalize(qkv_heads.select(0, 0)), temperature);
  const Tensor k = l2_normalize(qkv_heads.select(0, 1));
  const Tensor out = attend_windows(q, k, qkv_heads.select(0, 2), relative_position_bias(), mask,
                                    1.0, is_training() ? attn_drop_ : 0.0, attention_map);
  return (*proj_drop_)((*proj)(merge_heads(out)));
}

}  // namespace fovea
