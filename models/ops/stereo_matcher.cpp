#include "models/ops/stereo_matcher.h"

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "models/ops/stereo_matcher_cpu.h"

namespace vidssl {
namespace {

void require_odd_window(int side, const char* option) {
  if (side < 1 || side % 2 == 0)
    throw std::invalid_argument(std::string(option) + " must be odd and positive, got " +
                                std::to_string(side));
}

}  // namespace

void check_options(const StereoMatcherOptions& o) {
  if (o.max_disparity < 2)
    throw std::invalid_argument("max_disparity must be at least 2, got " +
                                std::to_string(o.max_disparity));
  require_odd_window(o.cost_window, "cost_window");
  require_odd_window(o.aggregation_window, "aggregation_window");
  if (o.cost == StereoCost::census && (o.cost_window < 3 || o.cost_window > 7))
    throw std::invalid_argument("cost_window for the census cost must be 3, 5 or 7 (the code has "
                                "cost_window² − 1 bits in one 64-bit word), got " +
                                std::to_string(o.cost_window));
  if (!(o.uniqueness >= 0 && o.uniqueness < 1))
    throw std::invalid_argument("uniqueness must be in [0, 1), got " + std::to_string(o.uniqueness));
}

namespace {

// H×W or 1×H×W, uint8 or floating point → H×W float32 on the same device.
torch::Tensor as_plane(const torch::Tensor& image, const char* side) {
  const std::string what = std::string("StereoMatcher: the ") + side + " image";
  if (!image.defined()) throw std::invalid_argument(what + " is undefined");
  if (!(image.dim() == 2 || (image.dim() == 3 && image.size(0) == 1)))
    throw std::invalid_argument(what + " must be HxW or 1xHxW, got " + c10::str(image.sizes()));
  if (image.scalar_type() != torch::kUInt8 && !c10::isFloatingType(image.scalar_type()))
    throw std::invalid_argument(what + " must be uint8 or floating point, got " +
                                std::string(c10::toString(image.scalar_type())));
  if (image.numel() == 0) throw std::invalid_argument(what + " " + c10::str(image.sizes()) + " is empty");
  return image.reshape({image.size(-2), image.size(-1)}).to(torch::kFloat32);
}

// out(v, u) = x(v, max(u − d, 0)) along the last dimension: the right image's pixel that left
// column u sees at disparity d, the first column standing in for the part outside the image.
torch::Tensor shift_right_clamped(const torch::Tensor& x, std::int64_t d) {
  const std::int64_t width = x.size(-1);
  if (d == 0) return x;
  const torch::Tensor first = x.narrow(-1, 0, 1);
  if (d >= width) return first.expand(x.sizes());
  return torch::cat({first.expand({x.size(0), d}), x.narrow(-1, 0, width - d)}, -1);
}

// Census codes as int64 (at most 48 bits, so never negative): neighbours in raster order, edges replicated.
torch::Tensor census_codes(const torch::Tensor& image, int window) {
  namespace F = torch::nn::functional;
  const std::int64_t r = window / 2, height = image.size(0), width = image.size(1);
  const torch::Tensor padded =
      F::pad(image.view({1, 1, height, width}), F::PadFuncOptions({r, r, r, r}).mode(torch::kReplicate))
          .view({height + 2 * r, width + 2 * r});
  torch::Tensor code = torch::zeros({height, width}, image.options().dtype(torch::kInt64));
  for (std::int64_t dy = -r; dy <= r; ++dy)
    for (std::int64_t dx = -r; dx <= r; ++dx) {
      if (dy == 0 && dx == 0) continue;
      const torch::Tensor neighbour = padded.narrow(0, dy + r, height).narrow(1, dx + r, width);
      code = code * 2 + neighbour.lt(image).to(torch::kInt64);
    }
  return code;
}

// Bits set in each non-negative int64, by the usual SWAR reduction (torch has no popcount op).
torch::Tensor popcount(torch::Tensor x) {
  const auto shift = [](const torch::Tensor& t, std::int64_t bits) { return torch::bitwise_right_shift(t, bits); };
  const std::int64_t pairs = 0x5555555555555555, nibbles = 0x3333333333333333, bytes = 0x0f0f0f0f0f0f0f0f;
  x = x - shift(x, 1).bitwise_and(pairs);
  x = x.bitwise_and(nibbles) + shift(x, 2).bitwise_and(nibbles);
  x = (x + shift(x, 4)).bitwise_and(bytes);
  x = x + shift(x, 8);
  x = x + shift(x, 16);
  x = x + shift(x, 32);
  return x.bitwise_and(0x7f);
}

// Σ over the (2r + 1)² box of every D×H×W plane, zero outside the image: shifted slices added
// one by one, so integer-valued costs sum exactly on every device (a convolution may run in TF32).
torch::Tensor box_sum(const torch::Tensor& volume, std::int64_t r) {
  if (r == 0) return volume;
  const std::int64_t height = volume.size(1), width = volume.size(2);
  const torch::Tensor padded = torch::constant_pad_nd(volume, {r, r, r, r});
  torch::Tensor rows = padded.narrow(2, 0, width).clone();
  for (std::int64_t dx = 1; dx <= 2 * r; ++dx) rows += padded.narrow(2, dx, width);
  torch::Tensor sum = rows.narrow(1, 0, height).clone();
  for (std::int64_t dy = 1; dy <= 2 * r; ++dy) sum += rows.narrow(1, dy, height);
  return sum;
}

}  // namespace

StereoMatcher::StereoMatcher(StereoMatcherOptions options) : options_(options) { check_options(options_); }

torch::Tensor StereoMatcher::operator()(const torch::Tensor& left, const torch::Tensor& right, OpPath path) const {
  const torch::Tensor l = as_plane(left, "left");
  const torch::Tensor r = as_plane(right, "right");
  if (l.sizes() != r.sizes())
    throw std::invalid_argument("StereoMatcher: the left and right images differ in size: " + c10::str(l.sizes()) +
                                " and " + c10::str(r.sizes()));
  if (l.device() != r.device())
    throw std::invalid_argument("StereoMatcher: the left image is on " + l.device().str() + ", the right on " +
                                r.device().str());
  return runs_fast_cpu(l, path) ? run_cpu(l, r) : run_reference(l, r);
}

torch::Tensor StereoMatcher::run_cpu(const torch::Tensor& left, const torch::Tensor& right) const {
  const torch::Tensor l = left.contiguous(), r = right.contiguous();
  torch::Tensor disparity = torch::empty(l.sizes(), l.options());
  const StereoMatchParams params{options_.max_disparity,     options_.cost == StereoCost::census,
                                 options_.cost_window,       options_.aggregation_window,
                                 static_cast<float>(options_.uniqueness), options_.lr_tolerance};
  stereo_match_cpu(l.data_ptr<float>(), r.data_ptr<float>(), l.size(0), l.size(1), params, disparity.data_ptr<float>());
  return disparity;
}

torch::Tensor StereoMatcher::run_reference(const torch::Tensor& left, const torch::Tensor& right) const {
  const std::int64_t n = options_.max_disparity, height = left.size(0), width = left.size(1);
  const float inf = std::numeric_limits<float>::infinity();

  // 1–2. D×H×W matching costs, then their box aggregation.
  std::vector<torch::Tensor> costs;
  if (options_.cost == StereoCost::census) {
    const torch::Tensor left_codes = census_codes(left, options_.cost_window);
    const torch::Tensor right_codes = census_codes(right, options_.cost_window);
    for (std::int64_t d = 0; d < n; ++d)
      costs.push_back(popcount(left_codes.bitwise_xor(shift_right_clamped(right_codes, d))).to(torch::kFloat32));
  } else {
    for (std::int64_t d = 0; d < n; ++d) costs.push_back((left - shift_right_clamped(right, d)).abs());
  }
  torch::Tensor volume = torch::stack(costs);
  if (options_.cost == StereoCost::sad) volume = box_sum(volume, options_.cost_window / 2);
  const torch::Tensor aggregated = box_sum(volume, options_.aggregation_window / 2);

  // 3. Winner-take-all (argmin returns the first of equal minima: ties to the smaller disparity).
  const torch::Tensor winner = aggregated.argmin(0);
  const torch::Tensor best = aggregated.gather(0, winner.unsqueeze(0)).squeeze(0);

  // 4. Checks.
  const torch::Tensor columns = torch::arange(width, winner.options()).expand({height, width});
  torch::Tensor valid = columns.ge(n - 1);
  if (options_.lr_tolerance >= 0) {
    // Right view: candidate d of right column ur is left column ur + d, +∞ where that leaves the image.
    std::vector<torch::Tensor> right_costs;
    for (std::int64_t d = 0; d < n; ++d) {
      const torch::Tensor plane = aggregated[d];
      if (d >= width) {
        right_costs.push_back(torch::full_like(plane, inf));
        continue;
      }
      right_costs.push_back(
          torch::cat({plane.narrow(1, d, width - d), torch::full({height, d}, inf, plane.options())}, 1));
    }
    const torch::Tensor right_winner = torch::stack(right_costs).argmin(0);
    const torch::Tensor seen_by_right = right_winner.gather(1, (columns - winner).clamp_min(0));
    valid = valid.logical_and((seen_by_right - winner).abs().le(options_.lr_tolerance));
  }
  if (options_.uniqueness > 0) {
    const torch::Tensor candidates = torch::arange(n, winner.options()).view({n, 1, 1});
    const torch::Tensor near_winner = (candidates - winner.unsqueeze(0)).abs().le(1);
    const torch::Tensor second = std::get<0>(aggregated.masked_fill(near_winner, inf).min(0));
    valid = valid.logical_and((second - best).gt(best * options_.uniqueness));
  }

  // 5. Sub-pixel vertex of the parabola through the costs at d − 1, d, d + 1.
  const torch::Tensor below = aggregated.gather(0, (winner - 1).clamp(0, n - 1).unsqueeze(0)).squeeze(0);
  const torch::Tensor above = aggregated.gather(0, (winner + 1).clamp(0, n - 1).unsqueeze(0)).squeeze(0);
  const torch::Tensor curvature = below - best * 2 + above;
  const torch::Tensor has_parabola = winner.gt(0).logical_and(winner.lt(n - 1)).logical_and(curvature.gt(0));
  const torch::Tensor offset =
      torch::where(has_parabola, (below - above) / (curvature * 2), torch::zeros_like(curvature));
  return torch::where(valid, winner.to(torch::kFloat32) + offset, torch::full_like(offset, -1.f));
}

}  // namespace vidssl
