// vidssl_core_bench: the core's training speed on one device, with nothing but LibTorch (no
// FFmpeg, OpenCV or Google Benchmark), so that it builds and runs on a lent GPU machine that has
// none of them (scripts/gpu-check.sh). The frames are a ray-cast stereo road (bench/road_scene.h).
// For every size and batch it prints one JSON line per measurement:
//   train_step  Model A (SlowSparseLearner::train on B pairs) and Model B (LinearizeLearner::train
//               on B triplets): ms per step with the device synchronized after each step (median,
//               p90), steps/s back to back with one synchronization at the end, clips/s = B × that
//   frame_step  Model C (NearToFarLearner::consume of one stereo pair: stereo, plane, labels, one
//               update of 64 windows, every band classified): ms per frame, frames/s; once per size
//               (its batch is windows, not frames)
//   loop        all models on one stream in one thread, as the reference loop does it: per frame,
//               preprocessing, then each learner's consume(); frames/s, then ms per model per frame
//               with the device synchronized between them. A and B train on `batch` clips from their
//               replay buffers every frame (the newest and older ones), one step per frame
//   decoder_conv  (only when --only names it) the decoder of Models A and B three ways, forward
//               and backward: decoder_conv2d, conv2d under autograd, conv_transpose2d
//   pipeline    the same models in the core's pipeline as `vidssl run` wires them: source →
//               preprocessing → one learner stage per model, each on its own thread, block edges
//               (capacity 4); frames/s of the slowest learner
// On CUDA each line also has the caching allocator's peak allocated and reserved MiB over that
// measurement; on CPU the process's peak resident size so far.
//
//   vidssl_core_bench --device cuda --sizes 320x240,640x480 --batches 1,8 --delta-steps 3 --out bench.jsonl
//   vidssl_core_bench --device cpu --sizes 160x120 --batches 1,2 --steps 2 --frames 3 --warmup 1 --slow-filters 32
//
// A measurement that throws prints a line with "error" and the rest go on; the exit status is then 1.
#include <sys/resource.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#if defined(VIDSSL_TORCH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unistd.h>
#include <utility>
#include <vector>

#include "bench/road_scene.h"
#include "models/linearize/linearize_learner.h"
#include "models/neartofar/near_to_far_learner.h"
#include "models/layers/decoder_conv.h"
#include "models/slow/slow_sparse_learner.h"
#include "models/torch_runtime.h"
#include "models/training/json_line.h"
#include "pipeline/doorbell.h"
#include "pipeline/pipeline.h"
#include "stages/frame_source.h"
#include "stages/learner_stage.h"
#include "stages/preprocess_stage.h"
#include "stages/source_stage.h"

namespace fs = std::filesystem;

namespace vidssl::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Args {
  std::string device = "auto";
  std::vector<std::pair<int, int>> sizes{{320, 240}, {640, 480}};
  std::vector<int> batches{1, 8};
  int steps = 20;        // timed steps (frames) per train_step / frame_step measurement
  int frames = 30;       // timed frames per loop / pipeline measurement
  int warmup = 3;
  double seconds = 10;   // at most this long timing one measurement (at least 3 samples)
  int threads = 0;
  int slow_filters = 64;       // Model A
  int linearize_filters = 64;  // Model B
  int delta_steps = 5;         // Model B
  Precision precision = Precision::fp32;  // every model's training forward pass (run.precision)
  std::vector<std::string> only{"train_step", "frame_step", "loop", "pipeline"};
  std::string out;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "vidssl_core_bench: %s\n"
               "usage: vidssl_core_bench [--device auto|cpu|cuda] [--sizes WxH,...] [--batches B,...] [--steps N]\n"
               "                         [--frames N] [--warmup N] [--seconds S] [--threads N] [--slow-filters N]\n"
               "                         [--linearize-filters N] [--delta-steps K]\n"
               "                         [--only train_step,frame_step,loop,pipeline,decoder_conv]\n"
               "                         [--precision fp32|bf16] [--out FILE]\n",
               problem.c_str());
  std::exit(2);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

int positive(const std::string& key, const std::string& text, int minimum) {
  try {
    std::size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == text.size() && value >= minimum) return value;
  } catch (const std::exception&) {
  }
  usage(key + ": expected an integer >= " + std::to_string(minimum) + ", got '" + text + "'");
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (key == "--help" || key == "-h") usage("times the core's training steps and loops");
    if (i + 1 >= argc) usage(key + ": expected a value");
    const std::string value = argv[++i];
    if (key == "--device") {
      a.device = value;
    } else if (key == "--sizes") {
      a.sizes.clear();
      for (const std::string& s : split(value)) {
        const auto x = s.find('x');
        if (x == std::string::npos) usage("--sizes: expected WxH, got '" + s + "'");
        a.sizes.emplace_back(positive("--sizes", s.substr(0, x), 16), positive("--sizes", s.substr(x + 1), 16));
      }
    } else if (key == "--batches") {
      a.batches.clear();
      for (const std::string& b : split(value)) a.batches.push_back(positive("--batches", b, 1));
    } else if (key == "--steps") {
      a.steps = positive(key, value, 1);
    } else if (key == "--frames") {
      a.frames = positive(key, value, 2);
    } else if (key == "--warmup") {
      a.warmup = positive(key, value, 0);
    } else if (key == "--seconds") {
      a.seconds = std::atof(value.c_str());
      if (!(a.seconds > 0)) usage("--seconds: expected a positive number, got '" + value + "'");
    } else if (key == "--threads") {
      a.threads = positive(key, value, 0);
    } else if (key == "--slow-filters") {
      a.slow_filters = positive(key, value, 4);
    } else if (key == "--linearize-filters") {
      a.linearize_filters = positive(key, value, 4);
    } else if (key == "--delta-steps") {
      a.delta_steps = positive(key, value, 0);
    } else if (key == "--precision") {
      if (value != to_string(Precision::fp32) && value != to_string(Precision::bf16))
        usage("--precision: expected fp32 or bf16, got '" + value + "'");
      a.precision = value == to_string(Precision::bf16) ? Precision::bf16 : Precision::fp32;
    } else if (key == "--only") {
      a.only = split(value);
      for (const std::string& o : a.only)
        if (o != "train_step" && o != "frame_step" && o != "loop" && o != "pipeline" && o != "decoder_conv")
          usage("--only: unknown measurement '" + o + "'");
    } else if (key == "--out") {
      a.out = value;
    } else {
      usage("unknown option " + key);
    }
  }
  if (a.sizes.empty() || a.batches.empty()) usage("--sizes and --batches need at least one value");
  return a;
}

void synchronize(torch::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

// The peak over one measurement: on CUDA the caching allocator's, reset at its start (cached blocks
// freed first, so that reserved is this measurement's too); on CPU only the process's peak resident
// size exists, which never goes down.
void reset_peak_memory(torch::Device device) {
#if defined(VIDSSL_TORCH_CUDA)
  if (device.is_cuda()) {
    synchronize(device);
    c10::cuda::CUDACachingAllocator::emptyCache();
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : 0);
  }
#else
  (void)device;
#endif
}

void add_peak_memory(JsonLine& line, torch::Device device) {
#if defined(VIDSSL_TORCH_CUDA)
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
    // Index 0 is StatType::AGGREGATE (all pools), whose namespace moved between LibTorch versions.
    line.add("peak_allocated_mb", static_cast<double>(stats.allocated_bytes[0].peak) / (1 << 20));
    line.add("peak_reserved_mb", static_cast<double>(stats.reserved_bytes[0].peak) / (1 << 20));
    return;
  }
#endif
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  line.add("process_max_rss_mb", static_cast<double>(usage.ru_maxrss) / 1024.0);
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

struct Timing {
  std::vector<double> synced_s;  // each call timed alone, the device synchronized after it
  int back_to_back = 0;          // calls timed together, one synchronization at the end
  double back_to_back_s = 0;
};

// `warmup` untimed calls, then up to `n` synchronized ones (at least 3, at most `seconds` of them),
// then as many back to back. fn(i) gets a running call number (a frame index where it consumes a stream).
Timing time_calls(const std::function<void(int)>& fn, torch::Device device, int warmup, int n, double seconds) {
  int call = 0;
  for (int i = 0; i < warmup; ++i) fn(call++);
  synchronize(device);
  Timing timing;
  const auto start = Clock::now();
  while (static_cast<int>(timing.synced_s.size()) < n && (timing.synced_s.size() < 3 || seconds_since(start) < seconds)) {
    const auto t = Clock::now();
    fn(call++);
    synchronize(device);
    timing.synced_s.push_back(seconds_since(t));
  }
  timing.back_to_back = static_cast<int>(timing.synced_s.size());
  const auto t = Clock::now();
  for (int i = 0; i < timing.back_to_back; ++i) fn(call++);
  synchronize(device);
  timing.back_to_back_s = seconds_since(t);
  return timing;
}

class Output {
 public:
  explicit Output(const std::string& path) {
    if (!path.empty()) {
      file_.open(path, std::ios::app);
      if (!file_) throw std::runtime_error(path + ": cannot open for writing");
    }
  }
  void write(const JsonLine& line) {
    const std::string text = line.str();
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
    if (file_.is_open()) {
      file_ << text << '\n';
      file_.flush();
    }
  }

 private:
  std::ofstream file_;
};

// One size's stream: the decoded stereo frames (CPU, 3×H×W uint8, what a stereo source delivers).
struct Stream {
  StereoCamera camera;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> frames;
};

Stream render_stream(int width, int height, int count) {
  const RoadScene scene(road_camera(width, height));
  Stream stream{scene.camera(), {}};
  for (int t = 0; t < count; ++t) stream.frames.push_back(scene.render(t, 3));
  return stream;
}

// Model A and B's input: the luma, contrast-normalized on the device, cropped to what both pool.
PreprocessOptions preprocess_options(torch::Device device) {
  PreprocessOptions o;
  o.channels = 1;
  o.size_multiple = 4;  // lcm of Model A's 2×2 pooling and Model B's 4×4 blocks
  o.device = device;
  return o;
}

std::unique_ptr<SlowSparseLearner> make_slow(const Args& a, int batch, torch::Device device) {
  torch::manual_seed(1);
  ClipLearnerOptions clips;
  clips.replay.batch = batch;
  clips.precision = a.precision;
  return std::make_unique<SlowSparseLearner>(SlowSparseOptions().filters(a.slow_filters), OptimizerOptions{}, clips, device);
}

std::unique_ptr<LinearizeLearner> make_linearize(const Args& a, int batch, torch::Device device) {
  torch::manual_seed(1);
  ClipLearnerOptions clips;
  clips.replay.batch = batch;
  clips.precision = a.precision;
  return std::make_unique<LinearizeLearner>(LinearizeOptions().filters(a.linearize_filters).delta_steps(a.delta_steps), OptimizerOptions{}, clips,
                                            device);
}

// configs/kitti-all.yaml's Model C, with one update per frame as the reference loop makes, and a
// disparity range that covers the nearest road this camera sees (at the stereo level, with a margin).
NearToFarOptions neartofar_options(const StereoCamera& camera, Precision precision) {
  NearToFarOptions o;
  o.precision = precision;
  o.stereo_level = 1;
  o.bands.bands = 12;
  o.bands.near_distance = 6.5;
  o.bands.far_distance = 100;
  o.batch = 64;
  o.steps_per_frame = 1;
  o.optimizer.lr = 0.001;
  o.net.in_channels(3);
  const double nearest = o.ground.camera_height * camera.fy / (camera.height - 1 - camera.cy);
  const double disparity = camera.disparity(nearest) / (1 << o.stereo_level);
  o.stereo.max_disparity = std::max(16, 8 * static_cast<int>(std::ceil(1.25 * disparity / 8)));
  return o;
}

std::unique_ptr<NearToFarLearner> make_neartofar(const Args& a, const StereoCamera& camera, torch::Device device) {
  torch::manual_seed(1);
  return std::make_unique<NearToFarLearner>(neartofar_options(camera, a.precision), camera, device);
}

JsonLine line_for(const std::string& bench, const std::string& model, torch::Device device, int width, int height, Precision precision) {
  JsonLine line;
  line.add("bench", bench).add("model", model).add("device", device.str()).add("width", width).add("height", height)
      .add("precision", to_string(precision));
  return line;
}

void add_timing(JsonLine& line, const Timing& t, const std::string& unit, int batch) {
  const double per_s = t.back_to_back / t.back_to_back_s;
  line.add("samples", static_cast<std::int64_t>(t.synced_s.size()))
      .add("ms_per_" + unit, 1e3 * quantile(t.synced_s, 0.5))
      .add("ms_per_" + unit + "_p90", 1e3 * quantile(t.synced_s, 0.9))
      .add(unit + "s_per_s", per_s);
  if (batch > 0) line.add("clips_per_s", batch * per_s);
}

// Model A or B: `learner.train` on B clips of consecutive preprocessed frames.
void bench_train_step(const Args& a, const Stream& stream, ClipLearner& learner, const std::string& model, int batch, torch::Device device,
                      Output& out) {
  const int width = stream.camera.width, height = stream.camera.height;
  const PreprocessStage preprocess("preprocess", preprocess_options(device));
  const std::int64_t k = learner.clip_length();
  std::vector<torch::Tensor> prepared;
  for (std::int64_t i = 0; i < batch + k - 1; ++i) prepared.push_back(preprocess.prepare(stream.frames[static_cast<std::size_t>(i)].first));
  std::vector<torch::Tensor> clips;
  for (int b = 0; b < batch; ++b) clips.push_back(torch::stack(std::vector<torch::Tensor>(prepared.begin() + b, prepared.begin() + b + k)));
  const torch::Tensor input = torch::stack(clips);  // B×K×1×H×W on the device
  const Timing t = time_calls([&](int) { learner.train(input); }, device, a.warmup, a.steps, a.seconds);
  JsonLine line = line_for("train_step", model, device, width, height, a.precision);
  line.add("batch", batch);
  if (model == "slow") line.add("filters", a.slow_filters);
  if (model == "linearize") line.add("filters", a.linearize_filters).add("delta_steps", a.delta_steps);
  add_timing(line, t, "step", batch);
  add_peak_memory(line, device);
  out.write(line);
}

// The decoder of Models A and B, codes 2B×F×H×W -> 2B×1×H×W (a batch of B pairs), forward and
// backward (the gradients of the codes and of the weight) three ways that compute the same thing:
// decoder_conv2d, the custom function every model uses (its weight gradient is the one oneDNN
// computes fastest on a CPU), LibTorch's conv2d under autograd, and conv_transpose2d with the
// transposed, flipped kernel.
// Which is fastest on a GPU has not been measured: this is the measurement to choose by.
void bench_decoder_conv(const Args& a, int width, int height, int batch, torch::Device device, Output& out) {
  namespace F = torch::nn::functional;
  const std::int64_t f = a.slow_filters, k = SlowSparseOptions().kernel();
  torch::manual_seed(1);
  const auto codes = torch::relu(torch::randn({2 * batch, f, height, width}, torch::TensorOptions().device(device))).requires_grad_();
  const auto weight = torch::randn({1, f, k, k}, torch::TensorOptions().device(device)).requires_grad_();
  const auto target = torch::randn({2 * batch, 1, height, width}, torch::TensorOptions().device(device));
  const std::vector<std::pair<std::string, std::function<torch::Tensor()>>> ways = {
      {"decoder_conv2d", [&] { return decoder_conv2d(codes, weight); }},
      {"conv2d", [&] { return F::conv2d(codes, weight, F::Conv2dFuncOptions().padding(k / 2)); }},
      {"conv_transpose2d",
       [&] { return F::conv_transpose2d(codes, weight.transpose(0, 1).flip({2, 3}), F::ConvTranspose2dFuncOptions().padding(k / 2)); }},
  };
  for (const auto& [name, decode] : ways) {
    const Timing t = time_calls(
        [&](int) {
          codes.mutable_grad() = torch::Tensor();
          weight.mutable_grad() = torch::Tensor();
          const Autocast autocast(device, a.precision);
          (decode().to(torch::kFloat) - target).pow(2).mean().backward();
        },
        device, a.warmup, a.steps, a.seconds);
    JsonLine line = line_for("decoder_conv", name, device, width, height, a.precision);
    line.add("batch", batch).add("filters", static_cast<std::int64_t>(f)).add("kernel", static_cast<std::int64_t>(k));
    add_timing(line, t, "step", 0);
    out.write(line);
  }
}

// Model C: consume() of one stereo pair, cycling through the stream.
void bench_frame_step(const Args& a, const Stream& stream, torch::Device device, Output& out) {
  reset_peak_memory(device);
  auto learner = make_neartofar(a, stream.camera, device);
  std::int64_t trained = 0, consumed = 0;
  double labeled = 0;
  std::string skipped;
  const Timing t = time_calls(
      [&](int i) {
        const auto& [left, right] = stream.frames[static_cast<std::size_t>(i) % stream.frames.size()];
        LearnerFrame frame;
        frame.index = i;
        frame.timestamp_us = i * 33333LL;
        frame.image = left;
        frame.decoded = left;
        frame.right = right;
        const LearnerUpdate update = learner->consume(frame);
        ++consumed;
        for (const auto& [key, value] : update.values) {
          if (key == "updates" && value > 0) ++trained;
          if (key == "labeled_windows") labeled += value;
        }
        if (!update.skipped.empty() && skipped.empty()) skipped = update.skipped;
      },
      device, a.warmup, a.steps, a.seconds);
  const NearToFarOptions options = neartofar_options(stream.camera, a.precision);
  JsonLine line = line_for("frame_step", "neartofar", device, stream.camera.width, stream.camera.height, a.precision);
  line.add("window_batch", static_cast<std::int64_t>(options.batch)).add("stereo_level", options.stereo_level)
      .add("max_disparity", options.stereo.max_disparity);
  add_timing(line, t, "frame", 0);
  line.add("trained_frames", trained).add("frames_consumed", consumed).add("labeled_windows_mean", labeled / std::max<std::int64_t>(1, consumed));
  if (!skipped.empty()) line.add("first_skip_reason", skipped);
  add_peak_memory(line, device);
  out.write(line);
}

struct Models {
  std::unique_ptr<SlowSparseLearner> slow;
  std::unique_ptr<LinearizeLearner> linearize;
  std::unique_ptr<NearToFarLearner> neartofar;
  std::vector<std::pair<std::string, Learner*>> all() const {
    return {{"slow", slow.get()}, {"linearize", linearize.get()}, {"neartofar", neartofar.get()}};
  }
};

Models make_models(const Args& a, const Stream& stream, int batch, torch::Device device) {
  return {make_slow(a, batch, device), make_linearize(a, batch, device), make_neartofar(a, stream.camera, device)};
}

// Untimed frames before a loop is timed: enough for the replay buffers to hold `batch` clips.
int loop_warmup(const Args& a, int batch) { return std::max(a.warmup, batch + 3); }

// Frames a loop measurement uses: the warm-up, the timed frames and the per-model breakdown's.
int loop_frames(const Args& a, int batch) { return loop_warmup(a, batch) + a.frames + std::max(3, a.frames / 3); }

// The reference loop's shape: one thread, per frame preprocessing then every model's consume().
// Returns the timed frames (fewer than --frames where --seconds ran out), for the pipeline to match.
int bench_loop(const Args& a, const Stream& stream, int batch, torch::Device device, Output& out) {
  reset_peak_memory(device);
  Models models = make_models(a, stream, batch, device);
  const PreprocessStage preprocess("preprocess", preprocess_options(device));
  std::vector<double> ms(4, 0.0);  // preprocess, then the models in all()'s order
  const auto frame_at = [&](std::int64_t i, bool timed_stages) {
    const auto& [left, right] = stream.frames.at(static_cast<std::size_t>(i));
    auto t = Clock::now();
    const auto lap = [&](std::size_t slot) {
      if (!timed_stages) return;
      synchronize(device);
      ms[slot] += 1e3 * seconds_since(t);
      t = Clock::now();
    };
    LearnerFrame mono;
    mono.index = i;
    mono.timestamp_us = i * 33333LL;
    mono.image = preprocess.prepare(left);
    mono.decoded = left;
    lap(0);
    models.slow->consume(mono);
    lap(1);
    models.linearize->consume(mono);
    lap(2);
    LearnerFrame stereo = mono;
    stereo.image = left;
    stereo.right = right;
    models.neartofar->consume(stereo);
    lap(3);
  };
  std::int64_t next = 0;
  for (int i = 0; i < loop_warmup(a, batch); ++i) frame_at(next++, false);
  synchronize(device);
  const auto start = Clock::now();
  int timed = 0;
  while (timed < a.frames && (timed < 3 || seconds_since(start) < a.seconds)) {
    frame_at(next++, false);
    ++timed;
  }
  synchronize(device);
  const double seconds = seconds_since(start);
  const int breakdown = std::max(3, timed / 3);
  for (int i = 0; i < breakdown; ++i) frame_at(next++, true);
  JsonLine line = line_for("loop", "slow+linearize+neartofar", device, stream.camera.width, stream.camera.height, a.precision);
  line.add("batch", batch).add("slow_filters", a.slow_filters).add("linearize_filters", a.linearize_filters)
      .add("delta_steps", a.delta_steps).add("frames", timed)
      .add("frames_per_s", timed / seconds).add("ms_per_frame", 1e3 * seconds / timed)
      .add("ms_preprocess", ms[0] / breakdown).add("ms_slow", ms[1] / breakdown).add("ms_linearize", ms[2] / breakdown)
      .add("ms_neartofar", ms[3] / breakdown).add("breakdown_frames", breakdown)
      .add("steps_slow", models.slow->steps()).add("steps_linearize", models.linearize->steps())
      .add("steps_neartofar", models.neartofar->steps());
  add_peak_memory(line, device);
  out.write(line);
  return timed;
}

// The pre-rendered frames as a stereo source.
class RenderedSource final : public FrameSource {
 public:
  RenderedSource(const Stream& stream, std::size_t count) : stream_(stream), count_(std::min(count, stream.frames.size())) {
    info_.description = "road scene (bench/road_scene.h)";
    info_.width = stream.camera.width;
    info_.height = stream.camera.height;
    info_.channels = 3;
    info_.fps = 30;
    info_.frame_count = static_cast<std::int64_t>(count_);
    info_.stereo = stream.camera;
  }
  bool read(Frame& frame) override {
    if (next_ >= count_) return false;
    frame = Frame{};
    frame.index = static_cast<std::int64_t>(next_);
    frame.clip_frame = frame.index;
    frame.timestamp_us = frame.index * 33333LL;
    frame.image = stream_.frames[next_].first;
    frame.right = stream_.frames[next_].second;
    ++next_;
    return true;
  }
  const SourceInfo& info() const override { return info_; }

 private:
  const Stream& stream_;
  std::size_t count_;
  std::size_t next_ = 0;
  SourceInfo info_;
};

// `vidssl run`'s graph for these three models (apps/run_graph.cpp), built from the core alone.
// Frames/s: the slowest learner's pace between the end of the warm-up and its last frame (the
// learners' final checkpoints, written after, are not counted).
void bench_pipeline(const Args& a, const Stream& stream, int batch, int frames, torch::Device device, Output& out) {
  reset_peak_memory(device);
  Models models = make_models(a, stream, batch, device);
  const int warmup = loop_warmup(a, batch);
  const fs::path folder = fs::temp_directory_path() / ("vidssl-core-bench-" + std::to_string(getpid()));
  struct RemoveAtExit {  // the learners' final checkpoints, also when a stage threw
    fs::path path;
    ~RemoveAtExit() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } remove_folder{folder};
  Pipeline p;
  auto& source = p.add<SourceStage>("source", std::make_unique<RenderedSource>(stream, static_cast<std::size_t>(warmup + frames)),
                                    [](const std::string& warning) { std::fprintf(stderr, "source: %s\n", warning.c_str()); });
  auto& preprocess = p.add<PreprocessStage>("preprocess", preprocess_options(device));
  const EdgeOptions edge{4, EdgePolicy::block};
  p.connect(source, preprocess, edge);
  auto bell = std::make_shared<Doorbell>();
  std::vector<std::shared_ptr<Mailbox<LearnerReport>>> taps;
  std::vector<LearnerStage*> stages;
  for (const auto& [name, learner] : models.all()) {
    LearnerStageOptions options;
    options.checkpoint_every = 0;
    options.panel_interval_s = -1;
    options.videos = false;
    options.folder = (folder / name).string();
    auto& stage = p.add<LearnerStage>(name, *learner, options, nullptr);
    if (learner->needs().preprocessed)
      p.connect(preprocess, stage, edge);
    else
      p.connect(source, stage, edge);
    taps.push_back(p.tap(stage, bell));
    stages.push_back(&stage);
  }
  std::vector<std::uint64_t> seen(taps.size(), 0);
  std::vector<std::int64_t> done(taps.size(), -1);
  std::uint64_t heard = 0;
  Clock::time_point warm{}, last{};
  std::int64_t warm_frame = -1, last_frame = -1;
  p.start();
  for (bool finished = false; !finished;) {
    bell->wait_for(heard, std::chrono::milliseconds(100));
    finished = p.wait_for(std::chrono::milliseconds(0));
    for (std::size_t i = 0; i < taps.size(); ++i)
      if (auto r = taps[i]->take_newer(seen[i])) done[i] = r->frame_index;
    const std::int64_t slowest = *std::min_element(done.begin(), done.end());
    if (slowest > last_frame) {
      if (warm_frame < 0 && slowest >= warmup - 1) warm = Clock::now(), warm_frame = slowest;
      last = Clock::now(), last_frame = slowest;
    }
  }
  p.join();
  synchronize(device);
  const double seconds = std::chrono::duration<double>(last - warm).count();
  if (warm_frame < 0 || last_frame <= warm_frame || seconds <= 0)
    throw std::runtime_error("the learners finished " + std::to_string(last_frame + 1) + " frames, no more than the warm-up");
  JsonLine line = line_for("pipeline", "slow+linearize+neartofar", device, stream.camera.width, stream.camera.height, a.precision);
  line.add("batch", batch).add("slow_filters", a.slow_filters).add("linearize_filters", a.linearize_filters)
      .add("delta_steps", a.delta_steps).add("threads", at::get_num_threads())
      .add("frames", last_frame - warm_frame).add("frames_per_s", static_cast<double>(last_frame - warm_frame) / seconds);
  for (std::size_t i = 0; i < stages.size(); ++i) line.add("steps_" + models.all()[i].first, stages[i]->steps());
  add_peak_memory(line, device);
  out.write(line);
}

bool wanted(const Args& a, const std::string& measurement) { return std::find(a.only.begin(), a.only.end(), measurement) != a.only.end(); }

int run(const Args& a) {
  configure_torch_runtime(a.threads);
  const torch::Device device = resolve_device(a.device);
  Output out(a.out);
  JsonLine env;
  env.add("bench", "env").add("device", device.str()).add("torch", std::string(TORCH_VERSION)).add("threads", at::get_num_threads())
      .add("cuda_available", torch::cuda::is_available()).add("cudnn_available", torch::cuda::cudnn_is_available());
#if defined(VIDSSL_TORCH_CUDA)
  env.add("cuda_build", true);
#else
  env.add("cuda_build", false);
#endif
  out.write(env);

  int errors = 0;
  const auto attempt = [&](const std::string& bench, const std::string& model, int width, int height, int batch,
                           const std::function<void()>& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      ++errors;
      JsonLine line = line_for(bench, model, device, width, height, a.precision);
      if (batch > 0) line.add("batch", batch);
      line.add("error", std::string(e.what()));
      out.write(line);
    }
  };
  const int max_batch = *std::max_element(a.batches.begin(), a.batches.end());
  int most_frames = 0;
  for (int b : a.batches) most_frames = std::max(most_frames, loop_frames(a, b));
  for (const auto& [width, height] : a.sizes) {
    Stream stream;
    attempt("render", "road_scene", width, height, 0, [&] { stream = render_stream(width, height, std::max(most_frames, max_batch + 2)); });
    if (stream.frames.empty()) continue;
    for (const int batch : a.batches) {
      if (wanted(a, "train_step")) {
        attempt("train_step", "slow", width, height, batch, [&] {
          reset_peak_memory(device);
          auto learner = make_slow(a, batch, device);
          bench_train_step(a, stream, *learner, "slow", batch, device, out);
        });
        attempt("train_step", "linearize", width, height, batch, [&] {
          reset_peak_memory(device);
          auto learner = make_linearize(a, batch, device);
          bench_train_step(a, stream, *learner, "linearize", batch, device, out);
        });
      }
      if (wanted(a, "decoder_conv"))
        attempt("decoder_conv", "decoder", width, height, batch, [&] { bench_decoder_conv(a, width, height, batch, device, out); });
      if (wanted(a, "frame_step") && batch == a.batches.front())
        attempt("frame_step", "neartofar", width, height, 0, [&] { bench_frame_step(a, stream, device, out); });
      int frames = a.frames;
      if (wanted(a, "loop"))
        attempt("loop", "slow+linearize+neartofar", width, height, batch, [&] { frames = bench_loop(a, stream, batch, device, out); });
      if (wanted(a, "pipeline"))
        attempt("pipeline", "slow+linearize+neartofar", width, height, batch,
                [&] { bench_pipeline(a, stream, batch, std::max(3, frames), device, out); });
    }
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace vidssl::bench

int main(int argc, char** argv) {
  const vidssl::bench::Args args = vidssl::bench::parse(argc, argv);
  try {
    return vidssl::bench::run(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vidssl_core_bench: %s\n", e.what());
    return 1;
  }
}
