#include "models/slow/slow_metrics.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>

namespace vidssl {

double temporal_coherence_ratio(const torch::Tensor& features, const std::vector<FrameTiming>& timing, const CoherenceOptions& options) {
  torch::NoGradGuard no_grad;
  const auto f = features.to(torch::kCPU, torch::kDouble).flatten(1);
  const auto n = static_cast<std::int64_t>(timing.size());
  const auto g = options.near_gap;
  if (f.size(0) != n) throw std::invalid_argument("temporal_coherence_ratio: one timing per feature row expected");
  if (g < 1) throw std::invalid_argument("temporal_coherence_ratio: near_gap must be >= 1");
  const auto min_gap_us = static_cast<std::int64_t>(options.min_gap_s * 1e6);
  std::mt19937_64 rng(options.seed);
  double near_sum = 0, far_sum = 0;
  std::int64_t near_count = 0, far_count = 0;
  for (std::int64_t t = 0; t < n; ++t) {
    if (options.clip >= 0 && timing[t].clip_id != options.clip) continue;
    if (t + g < n && timing[t + g].clip_id == timing[t].clip_id) {
      near_sum += (f[t] - f[t + g]).abs().sum().item<double>();
      ++near_count;
    }
    std::vector<std::int64_t> far;
    for (std::int64_t s = 0; s < n; ++s)
      if (timing[s].clip_id != timing[t].clip_id || std::llabs(timing[s].timestamp_us - timing[t].timestamp_us) >= min_gap_us)
        far.push_back(s);
    if (far.empty()) continue;
    const auto s = far[std::uniform_int_distribution<std::size_t>(0, far.size() - 1)(rng)];
    far_sum += (f[t] - f[s]).abs().sum().item<double>();
    ++far_count;
  }
  if (near_count == 0 || far_count == 0)
    throw std::invalid_argument("temporal_coherence_ratio: need frames " + std::to_string(g) + " apart in one clip and frames at least " +
                                std::to_string(options.min_gap_s) + " s apart");
  return (near_sum / near_count) / std::max(far_sum / far_count, 1e-300);
}

namespace {

// Average precision of frame q's ranking of every labelled frame but itself (scene[q]'s frames relevant).
double query_average_precision(const torch::Tensor& similarity, std::int64_t q, const std::vector<std::int64_t>& scene, std::size_t relevant) {
  const auto n = static_cast<std::int64_t>(scene.size());
  const auto row = similarity[q].contiguous();
  const auto* s = row.data_ptr<double>();
  std::vector<std::int64_t> order;
  for (std::int64_t i = 0; i < n; ++i)
    if (i != q && scene[i] >= 0) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return s[a] > s[b]; });
  double hits = 0, precision_sum = 0;
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    if (scene[order[rank]] != scene[q]) continue;
    hits += 1;
    precision_sum += hits / static_cast<double>(rank + 1);
  }
  return precision_sum / static_cast<double>(relevant);
}

}  // namespace

ScenePrecision scene_average_precision(const torch::Tensor& features, const std::vector<std::int64_t>& scene) {
  torch::NoGradGuard no_grad;
  auto f = features.to(torch::kCPU, torch::kDouble).flatten(1);
  const auto n = f.size(0);
  if (static_cast<std::int64_t>(scene.size()) != n) throw std::invalid_argument("temporal_auc: one scene label per frame expected");
  f = f / f.norm(2, 1, true).clamp_min(1e-12);
  const auto similarity = torch::matmul(f, f.t());
  std::map<std::int64_t, std::vector<std::int64_t>> members;
  for (std::int64_t i = 0; i < n; ++i)
    if (scene[i] >= 0) members[scene[i]].push_back(i);
  ScenePrecision precision;
  for (const auto& [label, frames] : members) {
    if (frames.size() < 2) continue;  // no other frame of the scene to find
    double sum = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const double ap = query_average_precision(similarity, frames[i], scene, frames.size() - 1);
      if (i == frames.size() / 2) precision.middle[label] = ap;
      sum += ap;
    }
    precision.every[label] = sum / static_cast<double>(frames.size());
  }
  return precision;
}

double mean_average_precision(const std::map<std::int64_t, double>& precision) {
  if (precision.empty()) throw std::invalid_argument("temporal_auc: no scene has two frames");
  double sum = 0;
  for (const auto& [label, ap] : precision) sum += ap;
  return sum / static_cast<double>(precision.size());
}

double temporal_auc(const torch::Tensor& features, const std::vector<std::int64_t>& scene) {
  return mean_average_precision(scene_average_precision(features, scene).middle);
}

std::map<std::int32_t, ClipConfusion> clip_confusion(const torch::Tensor& features, const std::vector<FrameTiming>& timing) {
  torch::NoGradGuard no_grad;
  auto f = features.to(torch::kCPU, torch::kDouble).flatten(1);
  const auto n = f.size(0);
  if (static_cast<std::int64_t>(timing.size()) != n) throw std::invalid_argument("clip_confusion: one timing per feature row expected");
  f = f / f.norm(2, 1, true).clamp_min(1e-12);
  // A frame is never among its own neighbours: below any cosine similarity.
  const auto similarity = torch::matmul(f, f.t()).fill_diagonal_(-2.0);
  std::map<std::int32_t, std::vector<std::int64_t>> members;
  for (std::int64_t i = 0; i < n; ++i) members[timing[static_cast<std::size_t>(i)].clip_id].push_back(i);
  std::map<std::int32_t, ClipConfusion> out;
  for (const auto& [clip, rows] : members) {
    const auto r = static_cast<std::int64_t>(rows.size()) - 1;
    if (r < 1) continue;
    const auto nearest = std::get<1>(similarity.index_select(0, torch::tensor(rows, torch::kLong)).topk(r, 1));
    const auto nearest_rows = nearest.contiguous();
    const auto* index = nearest_rows.data_ptr<std::int64_t>();
    std::map<std::int32_t, std::int64_t> intruders;
    std::int64_t own = 0, other = 0;
    for (std::int64_t k = 0; k < nearest_rows.numel(); ++k) {
      const auto from = timing[static_cast<std::size_t>(index[k])].clip_id;
      if (from == clip) {
        ++own;
      } else {
        ++intruders[from];
        ++other;
      }
    }
    ClipConfusion confusion;
    confusion.r_precision = static_cast<double>(own) / static_cast<double>(nearest_rows.numel());
    if (other > 0) {
      // The lowest clip number takes a tie: max_element keeps the first of equals, the map is in order.
      const auto top = std::max_element(intruders.begin(), intruders.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
      confusion.confused_with = top->first;
      confusion.confused_share = static_cast<double>(top->second) / static_cast<double>(other);
    }
    out[clip] = confusion;
  }
  return out;
}

torch::Tensor center_features(const torch::Tensor& features) {
  torch::NoGradGuard no_grad;
  const auto f = features.flatten(1);
  return f - f.mean(0, true);
}

std::vector<std::int64_t> fixed_length_scenes(const std::vector<FrameTiming>& timing, double scene_s, double gap_s) {
  std::vector<std::int64_t> scene(timing.size());
  const auto length_us = static_cast<std::int64_t>(scene_s * 1e6);
  const auto period_us = length_us + static_cast<std::int64_t>(gap_s * 1e6);
  std::int64_t label = -1, start_us = 0;
  std::int32_t clip = -1;
  for (std::size_t i = 0; i < timing.size(); ++i) {
    if (timing[i].clip_id != clip || timing[i].timestamp_us - start_us >= period_us) {
      ++label;
      clip = timing[i].clip_id;
      start_us = timing[i].timestamp_us;
    }
    scene[i] = timing[i].timestamp_us - start_us < length_us ? label : -1;
  }
  return scene;
}

std::int64_t dark_channels(const torch::Tensor& activity, double share) {
  if (activity.dim() != 1 || activity.numel() == 0) throw std::invalid_argument("dark_channels: expected a non-empty vector of activities");
  const double most = activity.max().item<double>();
  if (!(most > 0)) return activity.numel();  // nothing responds: every channel is dark
  return (activity < share * most).sum().item<std::int64_t>();
}

}  // namespace vidssl
