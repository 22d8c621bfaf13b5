#include "models/linearize/block_motion.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace vidssl {

namespace F = torch::nn::functional;

torch::Tensor block_motion(const torch::Tensor& a, const torch::Tensor& b, MotionAnchor anchor, const BlockMotionOptions& options) {
  if (a.dim() != 4 || a.sizes() != b.sizes())
    throw std::invalid_argument("block_motion: two frames N×C×H×W of one shape expected");
  if (options.block() < 1) throw std::invalid_argument("block_motion: block must be >= 1, got " + std::to_string(options.block()));
  if (options.radius() < 0) throw std::invalid_argument("block_motion: radius must be >= 0, got " + std::to_string(options.radius()));
  if (options.subpixel() < 1) throw std::invalid_argument("block_motion: subpixel must be >= 1, got " + std::to_string(options.subpixel()));
  if (options.tolerance() < 0) throw std::invalid_argument("block_motion: tolerance must be >= 0");
  torch::NoGradGuard no_grad;
  const auto r = options.radius(), s = options.subpixel(), h = a.size(2), w = a.size(3);
  // Shortest first, so that the first displacement within the tolerance is the shortest one.
  std::vector<std::pair<std::int64_t, std::int64_t>> candidates;  // in 1/s pixel
  for (std::int64_t ky = -r * s; ky <= r * s; ++ky)
    for (std::int64_t kx = -r * s; kx <= r * s; ++kx) candidates.emplace_back(kx, ky);
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& p, const auto& q) {
    return p.first * p.first + p.second * p.second < q.first * q.first + q.second * q.second;
  });
  // Each frame, its edge repeated r pixels out, sampled every 1/s pixel (bilinear): a shift by
  // k/s pixel is then a slice with stride s.
  const auto fine = [&](const torch::Tensor& x) {
    const auto padded = F::pad(x, F::PadFuncOptions({r, r, r, r}).mode(torch::kReplicate));
    if (s == 1) return padded;
    const std::vector<std::int64_t> size{s * (h + 2 * r - 1) + 1, s * (w + 2 * r - 1) + 1};
    return F::interpolate(padded, F::InterpolateFuncOptions().size(size).mode(torch::kBilinear).align_corners(true));
  };
  const auto window = [&](const torch::Tensor& sampled, std::int64_t kx, std::int64_t ky) {  // x(p + k/s)
    const auto y0 = s * r + ky, x0 = s * r + kx;
    return sampled.slice(2, y0, y0 + s * (h - 1) + 1, s).slice(3, x0, x0 + s * (w - 1) + 1, s);
  };
  const auto fine_a = fine(a);
  const auto fine_b = anchor == MotionAnchor::middle ? fine(b) : b;
  std::vector<torch::Tensor> costs;
  costs.reserve(candidates.size());
  for (const auto& [kx, ky] : candidates) {
    const auto moved_a = window(fine_a, -kx, -ky);  // a(p − d)
    const auto moved_b = anchor == MotionAnchor::middle ? window(fine_b, kx, ky) : b;  // b(p + d) or b(p)
    const auto error = (moved_a - moved_b).pow(2).mean(1, true);
    costs.push_back(F::avg_pool2d(error, F::AvgPool2dFuncOptions(options.block()).ceil_mode(true)));
  }
  const auto cost = torch::cat(costs, 1);  // N×K×Hb×Wb
  const auto best = std::get<0>(cost.min(1, true));
  const auto within = (cost <= best * (1.0 + options.tolerance())).to(torch::kFloat);
  const auto index = within.argmax(1);  // the first, so the shortest, within the tolerance
  std::vector<float> table;
  for (const auto& [kx, ky] : candidates) {
    table.push_back(static_cast<float>(kx) / static_cast<float>(s));
    table.push_back(static_cast<float>(ky) / static_cast<float>(s));
  }
  const auto displacement = torch::tensor(table).view({-1, 2}).to(a.device(), a.scalar_type());
  const auto chosen = displacement.index_select(0, index.flatten()).view({index.size(0), index.size(1), index.size(2), 2});
  return chosen.permute({0, 3, 1, 2}).contiguous();
}

torch::Tensor dense_motion(const torch::Tensor& blocks, std::int64_t height, std::int64_t width) {
  const std::vector<std::int64_t> size{height, width};
  return F::interpolate(blocks, F::InterpolateFuncOptions().size(size).mode(torch::kBilinear).align_corners(false));
}

torch::Tensor shift_by(const torch::Tensor& x, const torch::Tensor& field, double scale) {
  const auto n = x.size(0), h = x.size(2), w = x.size(3);
  if (field.dim() != 4 || field.size(0) != n || field.size(1) != 2 || field.size(2) != h || field.size(3) != w)
    throw std::invalid_argument("shift_by: a field N×2×H×W of the frames' size expected");
  const auto options = torch::TensorOptions().dtype(x.scalar_type()).device(x.device());
  const auto px = torch::arange(w, options).view({1, 1, w}) - scale * field.select(1, 0);
  const auto py = torch::arange(h, options).view({1, h, 1}) - scale * field.select(1, 1);
  // Normalized coordinates of pixel centres (align_corners false): −1 and 1 are the outer edges.
  const auto grid = torch::stack({(2 * px + 1) / w - 1, (2 * py + 1) / h - 1}, 3);
  return F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
}

std::vector<torch::Tensor> motion_hypotheses(const torch::Tensor& blocks, std::int64_t height, std::int64_t width, std::int64_t block) {
  std::vector<torch::Tensor> fields{torch::zeros({blocks.size(0), 2, height, width}, blocks.options()), dense_motion(blocks, height, width)};
  const auto padded = F::pad(blocks, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  const auto rows = blocks.size(2), cols = blocks.size(3);
  for (std::int64_t oy = 0; oy < 3; ++oy)
    for (std::int64_t ox = 0; ox < 3; ++ox) {
      const auto neighbour = padded.slice(2, oy, oy + rows).slice(3, ox, ox + cols);  // the block (oy − 1, ox − 1) away
      fields.push_back(neighbour.repeat_interleave(block, 2).repeat_interleave(block, 3).slice(2, 0, height).slice(3, 0, width));
    }
  return fields;
}

torch::Tensor hypothesis_weights(const torch::Tensor& disagreement, std::int64_t window, double floor) {
  if (window < 1 || window % 2 == 0) throw std::invalid_argument("hypothesis_weights: window must be odd and >= 1, got " + std::to_string(window));
  if (!(floor > 0)) throw std::invalid_argument("hypothesis_weights: floor must be > 0");
  const auto r = window / 2;
  const auto padded = F::pad(disagreement, F::PadFuncOptions({r, r, r, r}).mode(torch::kReplicate));
  const auto inverse = 1.0 / (F::avg_pool2d(padded, F::AvgPool2dFuncOptions(window).stride(1)) + floor);
  return inverse / inverse.sum(1, true);
}

namespace {

// Both frames moved by every hypothesis (a by scale_a·f, b by scale_b·f), mixed with the weights
// their agreement gives.
AlignedPair mix_hypotheses(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& blocks, double scale_a, double scale_b,
                           const BlockMotionOptions& options) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> moved_a, moved_b, disagreement;
  for (const auto& field : motion_hypotheses(blocks, a.size(2), a.size(3), options.block())) {
    moved_a.push_back(shift_by(a, field, scale_a));
    moved_b.push_back(shift_by(b, field, scale_b));
    disagreement.push_back((moved_a.back() - moved_b.back()).pow(2).mean(1, true));
  }
  const auto weights = hypothesis_weights(torch::cat(disagreement, 1), options.window(), options.floor()).unsqueeze(2);  // N×K×1×H×W
  return {(weights * torch::stack(moved_a, 1)).sum(1), (weights * torch::stack(moved_b, 1)).sum(1)};
}

}  // namespace

AlignedPair align_halfway(const torch::Tensor& earlier, const torch::Tensor& later, const BlockMotionOptions& options) {
  return mix_hypotheses(earlier, later, block_motion(earlier, later, MotionAnchor::middle, options), 1.0, -1.0, options);
}

AlignedPair align_ahead(const torch::Tensor& earlier, const torch::Tensor& later, const BlockMotionOptions& options) {
  return mix_hypotheses(earlier, later, block_motion(earlier, later, MotionAnchor::second, options), 2.0, 1.0, options);
}

}  // namespace vidssl
