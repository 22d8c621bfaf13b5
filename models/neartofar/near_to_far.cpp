#include "models/neartofar/near_to_far.h"

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "models/neartofar/stereo_points.h"
#include "models/ops/pyramid_resample.h"
#include "models/torch_runtime.h"
#include "models/training/guarded_step.h"
#include "models/training/host_read.h"
#include "models/training/module_state.h"

namespace vidssl {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// Labels on the host as a vector.
std::vector<std::int64_t> labels_of(const torch::Tensor& labels) {
  const torch::Tensor host = labels.to(torch::kCPU, torch::kInt64).contiguous();
  return {host.data_ptr<std::int64_t>(), host.data_ptr<std::int64_t>() + host.numel()};
}

// The camera of pyramid level k: the pyramid keeps even samples, so level pixel j is input pixel 2^k·j.
StereoCamera level_camera(const StereoCamera& camera, int level) {
  const double f = std::ldexp(1.0, -level);
  StereoCamera c = camera;
  c.fx *= f, c.fy *= f, c.cx *= f, c.cy *= f;
  c.width = static_cast<int>(std::ceil(camera.width * f));
  c.height = static_cast<int>(std::ceil(camera.height * f));
  return c;
}

torch::Tensor luma_level(const torch::Tensor& image, int level, torch::Device device) {
  torch::Tensor y = upload(image.select(0, 0).contiguous(), device).to(torch::kFloat32).unsqueeze(0);
  for (int k = 0; k < level; ++k) y = pyramid_down(y);
  return y.squeeze(0);
}

}  // namespace

void NearToFarOptions::check() const {
  require(stereo_level >= 0 && stereo_level <= 3, "stereo_level must be 0 … 3, got " + std::to_string(stereo_level));
  require(stereo_max_distance > 0, "stereo_max_distance must be > 0 m");
  require(ground_max_distance > 0, "ground_max_distance must be > 0 m");
  require(steps_per_frame >= 0 && steps_per_frame <= 1000, "train.steps_per_frame must be 0 … 1000, got " + std::to_string(steps_per_frame));
  require(batch >= 1 && batch <= 65536, "train.batch must be 1 … 65536, got " + std::to_string(batch));
  require(train_max_distance > 0, "train_max_distance must be > 0 m");
  require(net.classes() == kTraversabilityClasses && buffer.classes == kTraversabilityClasses,
          "the classifier has the five classes of DESIGN §8.3");
  require(bands.band_rows == TraversabilityNetOptions::window_rows && bands.window_width == TraversabilityNetOptions::window_width &&
              bands.window_stride == TraversabilityNetOptions::window_stride,
          "band_rows, window_width and window_stride must match the classifier's 12×25 window at stride 4");
  check_options(stereo);
  ground.check();
  labels.check();
  bands.check();
  net.check();
  buffer.check();
}

NearToFar::NearToFar(NearToFarOptions options, torch::Device device)
    : options_((options.check(), options)),
      device_(device),
      matcher_(options_.stereo),
      ground_(options_.ground),
      cut_(options_.bands),
      net_(options_.net),
      buffer_(options_.buffer) {
  net_->to(device_);
  std::vector<torch::Tensor> parameters =
      options_.train_all_layers ? net_->parameters() : net_->logistic->parameters();
  optimizer_ = make_optimizer(options_.optimizer, parameters);
}

NearToFarResult NearToFar::step(const torch::Tensor& left, const torch::Tensor& right, const StereoCamera& camera) {
  if (left.dim() != 3 || right.dim() != 3 || left.sizes() != right.sizes())
    throw std::invalid_argument("NearToFar: wants a left and a right C×H×W image of one size");
  if (left.size(0) != options_.net.in_channels())
    throw std::invalid_argument("NearToFar: the classifier wants " + std::to_string(options_.net.in_channels()) +
                                "-channel frames, got " + std::to_string(left.size(0)) + " (source.channels)");
  NearToFarResult result;
  const auto total = Clock::now();
  torch::NoGradGuard no_grad;
  const StereoCamera stereo_camera = level_camera(camera, options_.stereo_level);

  // 1. Stereo and 3-D points on the device (skipped without a usable calibration), then read to
  // the host in one copy with the disparity: the plane fit and the labels are host work (RANSAC,
  // integral images), and reading every band's labels or counts one by one made ~60 reads a
  // frame, each a wait for a GPU.
  auto t = Clock::now();
  torch::Tensor points;  // 3×H×W on the host
  if (!(camera.baseline > 0) || !(camera.fx > 0)) {
    result.skipped = "calibration has no positive baseline (B = " + std::to_string(camera.baseline) + " m)";
  } else {
    const torch::Tensor disparity =
        matcher_(luma_level(left, options_.stereo_level, device_), luma_level(right, options_.stereo_level, device_));
    const torch::Tensor host = read_to_host(torch::cat({disparity.unsqueeze(0), disparity_to_points(disparity, stereo_camera)}));
    result.disparity = host[0];
    points = host.slice(0, 1);
  }
  result.ms.emplace_back("stereo", ms_since(t));

  // 2. Ground plane.
  t = Clock::now();
  if (points.defined()) {
    const int row_begin = static_cast<int>(std::ceil(stereo_camera.cy));
    result.plane_fit = ground_.fit(ground_candidates(points, options_.ground_max_distance, row_begin));
    result.plane_ok = result.plane_fit.ok;
    if (!result.plane_ok) result.skipped = "ground plane: " + result.plane_fit.reason;
  }
  result.plane = result.plane_ok ? result.plane_fit.plane : last_plane_ ? *last_plane_ : ground_.prior();
  if (result.plane_ok) last_plane_ = result.plane;
  result.ms.emplace_back("plane", ms_since(t));

  // 3. Bands (cut with the best plane there is, so prediction goes on when the fit fails).
  t = Clock::now();
  const torch::Tensor image = upload(left, device_).to(torch::kFloat32) / 255.0;
  const std::vector<Band> bands = cut_(image, camera, result.plane);

  // Where each window lies in the left image: its label's pixels and the prediction's box.
  std::vector<std::vector<std::array<double, 4>>> boxes(bands.size());
  for (std::size_t b = 0; b < bands.size(); ++b)
    for (std::int64_t j = 0; j < bands[b].windows(options_.bands); ++j) boxes[b].push_back(bands[b].window_box(j, options_.bands, camera));
  result.ms.emplace_back("bands", ms_since(t));

  // 4. Labels of every window from the heights of its stereo points, on the host.
  t = Clock::now();
  std::vector<std::vector<std::int64_t>> labels(bands.size());  // per band; empty without a plane
  if (result.plane_ok) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    torch::Tensor heights = ground_.heights(points, result.plane);
    const torch::Tensor depth = points.select(0, 2);
    heights.masked_fill_(depth > options_.stereo_max_distance, nan);
    result.heights = heights;
    const double to_level = std::ldexp(1.0, -options_.stereo_level);
    const auto ladder = options_.bands.distances();
    const double half_step = ladder.size() > 1 ? std::sqrt(ladder[1] / ladder[0]) : 1.2;
    for (std::size_t b = 0; b < bands.size(); ++b) {
      // A window is labeled by what stands on its footprint, the ground within half a ladder step
      // of its band's distance: the road and trees farther up the picture belong to other bands.
      const torch::Tensor footprint =
          heights.masked_fill((depth < bands[b].distance / half_step) | (depth > bands[b].distance * half_step), nan);
      const auto n = static_cast<std::int64_t>(boxes[b].size());
      torch::Tensor pixels = torch::empty({n, 4}, torch::kInt64);
      auto a = pixels.accessor<std::int64_t, 2>();
      for (std::int64_t j = 0; j < n; ++j) {
        const auto& box = boxes[b][j];
        // Level pixels whose centres (input pixel 2^k·i) fall inside the box.
        a[j][0] = static_cast<std::int64_t>(std::ceil(box[0] * to_level));
        a[j][1] = static_cast<std::int64_t>(std::floor(box[1] * to_level)) + 1;
        a[j][2] = static_cast<std::int64_t>(std::ceil(box[2] * to_level));
        a[j][3] = static_cast<std::int64_t>(std::floor(box[3] * to_level)) + 1;
      }
      const LabelOptions labels_here = options_.labels.at_distance(
          bands[b].distance, result.plane.camera_height(), stereo_camera.fx * stereo_camera.baseline);
      labels[b] = labels_of(label_windows(footprint, pixels, labels_here));
      for (const std::int64_t label : labels[b]) result.labeled_windows += label >= 0 ? 1 : 0;
    }
  }
  result.ms.emplace_back("labels", ms_since(t));

  // 5. Online learning on the near windows: each band's labeled windows gathered in one
  // index_select, entered into the buffer in one scatter.
  t = Clock::now();
  torch::Tensor losses;  // per update: the loss and whether it was applied, on the device
  if (result.plane_ok) {
    for (std::size_t b = 0; b < bands.size(); ++b) {
      if (bands[b].distance > options_.train_max_distance) continue;
      std::vector<std::int64_t> labeled, their_labels;
      for (std::size_t j = 0; j < labels[b].size(); ++j)
        if (labels[b][j] >= 0) labeled.push_back(static_cast<std::int64_t>(j)), their_labels.push_back(labels[b][j]);
      if (labeled.empty()) continue;
      // C×12×W → windows×C×12×25, the crops the convolutional classifier sees at each output column.
      const torch::Tensor windows = bands[b].image.unfold(2, options_.bands.window_width, options_.bands.window_stride).permute({2, 0, 1, 3});
      buffer_.add(windows.index_select(0, upload(torch::tensor(labeled), device_)), torch::tensor(their_labels));
      result.trained_windows += static_cast<std::int64_t>(labeled.size());
    }
    if (result.trained_windows == 0) result.skipped = "no labeled window nearer than " + std::to_string(options_.train_max_distance) + " m";
  }
  if (result.skipped.empty()) losses = train();
  result.ms.emplace_back("train", ms_since(t));

  // 6. Every band, near and far, classified; the probabilities of all bands and this frame's
  // losses come back in one read.
  t = Clock::now();
  std::vector<torch::Tensor> on_device;
  for (std::size_t b = 0; b < bands.size(); ++b)
    if (bands[b].windows(options_.bands) > 0)
      on_device.push_back(torch::softmax(net_->forward(bands[b].image.unsqueeze(0)), 1)[0].select(1, 0).t().flatten());
  if (losses.defined()) on_device.push_back(losses.flatten());
  const torch::Tensor host = on_device.empty() ? torch::Tensor() : read_to_host(torch::cat(on_device));
  const float* value = host.defined() ? host.data_ptr<float>() : nullptr;
  for (std::size_t b = 0; b < bands.size(); ++b) {
    const std::int64_t n = bands[b].windows(options_.bands);
    if (n == 0) continue;
    BandPrediction band;
    band.index = bands[b].index;
    band.distance = bands[b].distance;
    band.windows.resize(n);
    for (std::int64_t j = 0; j < n; ++j) {
      WindowPrediction& w = band.windows[j];
      w.azimuth = bands[b].azimuth(j, options_.bands, camera);
      for (int c = 0; c < kTraversabilityClasses; ++c) w.probabilities[c] = *value++;
      w.label = labels[b].empty() ? kUnlabeled : labels[b][static_cast<std::size_t>(j)];
      w.box = boxes[b][j];
    }
    result.bands.push_back(std::move(band));
  }
  if (losses.defined()) {
    double loss_sum = 0;
    for (std::int64_t s = 0; s < losses.size(0); ++s, value += 2) {
      result.losses.push_back(value[0]);
      if (value[1] == 0) continue;
      loss_sum += value[0];
      ++result.steps;
    }
    updates_ += result.steps;
    if (result.steps > 0) result.loss = loss_sum / static_cast<double>(result.steps);
    if (result.steps < static_cast<std::int64_t>(result.losses.size())) result.skipped = "non-finite loss";
  }
  result.ms.emplace_back("predict", ms_since(t));
  result.ms.emplace_back("total", ms_since(total));
  return result;
}

torch::Tensor NearToFar::train() {
  torch::AutoGradMode grad(true);
  net_->train();
  std::vector<torch::Tensor> losses;
  for (std::int64_t s = 0; s < options_.steps_per_frame; ++s) {
    auto [windows, labels] = buffer_.sample(options_.batch);
    if (!windows.defined()) break;
    if (data_parallel_ && !data_parallel_->begin_step()) break;  // another rank's stream ended
    torch::Tensor logits;
    {
      const Autocast autocast(device_, options_.precision);
      logits = net_->forward(windows).flatten(1).to(windows.scalar_type());
    }
    const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
    optimizer_->zero_grad();
    loss.backward();
    torch::Tensor figures = loss.detach().reshape({1}).clone();  // the ranks' mean loss, in a data-parallel run
    const torch::Tensor applied = step_where(*optimizer_, data_parallel_.get(), figures, torch::isfinite(loss.detach()));
    losses.push_back(torch::stack({figures[0], applied.to(loss.scalar_type())}));
  }
  net_->eval();
  return losses.empty() ? torch::Tensor() : torch::stack(losses);
}

void NearToFar::join(std::shared_ptr<DataParallel> group) {
  group->join(*optimizer_);
  data_parallel_ = std::move(group);
}

void NearToFar::save(CheckpointData& data) {
  save_learner_state(data, "neartofar", updates_, *net_, *optimizer_);
  for (auto& [key, value] : buffer_.state()) data.state[key] = value;
  if (last_plane_)
    data.state["neartofar.last_plane"] =
        torch::tensor({last_plane_->normal[0], last_plane_->normal[1], last_plane_->normal[2], last_plane_->offset}, torch::kFloat64);
}

void NearToFar::load(const CheckpointData& data) {
  updates_ = load_learner_state(data, *net_, *optimizer_, device_);
  // Checkpoints written before the buffer was saved resume with an empty one.
  if (data.state.count("windows.counts") > 0) buffer_.load_state(data.state, device_);
  last_plane_.reset();
  const auto plane = data.state.find("neartofar.last_plane");
  if (plane != data.state.end() && plane->second.numel() == 4) {
    const torch::Tensor v = plane->second.to(torch::kCPU, torch::kFloat64);
    last_plane_ = Plane{{v[0].item<double>(), v[1].item<double>(), v[2].item<double>()}, v[3].item<double>()};
  }
}

std::string NearToFar::weights_problem() const { return vidssl::weights_problem(*net_); }

void NearToFar::set_learning_rate_scale(double scale) { set_learning_rate(*optimizer_, options_.optimizer.lr * scale); }

}  // namespace vidssl
