#include "apps/bench_command.h"


#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "models/ops/contrast_normalizer.h"
#include "models/ops/gaussian_pyramid.h"
#include "models/linearize/linearize_learner.h"
#include "models/slow/slow_sparse_learner.h"
#include "models/torch_runtime.h"
#include "pipeline/pipeline.h"
#include "stages/ffmpeg_source.h"
#include "stages/json_line.h"
#include "stages/preprocess_stage.h"
#include "stages/source_stage.h"
#include "stages/train_stage.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void synchronize(torch::Device device) {
  // A host read of a device value waits for the device's queued work.
  if (device.is_cuda()) torch::zeros({1}, torch::TensorOptions().device(device)).cpu();
}

// Median seconds per call of fn, after warm-up, over about `budget_s`.
double median_seconds(const std::function<void()>& fn, double budget_s, torch::Device device) {
  for (int i = 0; i < 3; ++i) fn();
  synchronize(device);
  std::vector<double> samples;
  const auto start = Clock::now();
  while (samples.size() < 5 || (seconds_since(start) < budget_s && samples.size() < 10000)) {
    const auto t = Clock::now();
    fn();
    synchronize(device);
    samples.push_back(seconds_since(t));
  }
  std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
  return samples[samples.size() / 2];
}

std::string find_clip(const std::string& name) {
  const fs::path data = "/usr/share/doc/opencv-doc/examples/data";
  if (fs::exists(data / name)) return (data / name).string();
  const fs::path gz = fs::path("/usr/share/doc/opencv-doc/opencv4/html") / (name + ".gz");
  if (!fs::exists(gz)) return {};
  const fs::path out = fs::temp_directory_path() / ("vidssl-bench-" + name);
  if (!fs::exists(out)) {
    const std::string cmd = "gzip -dc '" + gz.string() + "' > '" + out.string() + ".part' && mv '" + out.string() + ".part' '" + out.string() + "'";
    if (std::system(cmd.c_str()) != 0) return {};
  }
  return out.string();
}

// Seconds `ffmpeg -threads 1 -i FILE -f null -` spends decoding, as its -benchmark flag reports
// (rtime: the decode loop, without the ~0.3 s this VM takes to start the process and probe the
// file, which would otherwise dominate a 0.3 s clip). -1 when ffmpeg is missing or fails.
double ffmpeg_seconds(const std::string& clip) {
  std::string quoted = "'";
  for (const char c : clip) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const std::string command = "ffmpeg -nostdin -benchmark -threads 1 -i " + quoted + " -an -f null - 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  double rtime = -1;
  char line[4096];
  while (std::fgets(line, sizeof line, pipe)) {
    if (const char* at = std::strstr(line, "rtime=")) rtime = std::atof(at + 6);
  }
  if (pclose(pipe) != 0) return -1;
  return rtime > 0 ? rtime : -1;
}

void bench_decode(const BenchArgs& args) {
  for (const std::string name : {"vtest.avi", "box.mp4"}) {
    const std::string clip = find_clip(name);
    if (clip.empty()) {
      spdlog::warn("bench decode: {} not found (install opencv-doc); skipped", name);
      continue;
    }
    double best = 1e30, best_ffmpeg = 1e30;
    std::int64_t frames = 0;
    for (int pass = 0; pass < 3; ++pass) {
      SourceOptions options;
      options.path = clip;
      FfmpegSource source(options, FfmpegSourceOptions{1});
      const auto t = Clock::now();  // after opening and probing, as ffmpeg's rtime
      Frame frame;
      frames = 0;
      while (source.read(frame)) ++frames;
      best = std::min(best, seconds_since(t));
      const double reference = ffmpeg_seconds(clip);
      if (reference > 0) best_ffmpeg = std::min(best_ffmpeg, reference);
    }
    JsonLine line;
    line.add("bench", "decode").add("clip", name).add("decoder_threads", 1).add("frames", frames)
        .add("frames_per_s", frames / best);
    if (best_ffmpeg < 1e30) line.add("ffmpeg_frames_per_s", frames / best_ffmpeg).add("ratio_to_ffmpeg", best_ffmpeg / best);
    std::printf("%s\n", line.str().c_str());
    std::fflush(stdout);
  }
}

void bench_preprocess(const BenchArgs& args, torch::Device device) {
  const ContrastNormalizer normalize;
  const GaussianPyramid pyramid(GaussianPyramidOptions{3});
  for (auto [w, h] : {std::pair{320, 240}, std::pair{640, 480}}) {
    auto x = torch::rand({1, 1, h, w}, torch::TensorOptions().device(device));
    const double s = median_seconds([&] { pyramid(normalize(x)); }, args.seconds, device);
    std::printf("%s\n", JsonLine().add("bench", "preprocess").add("model", "preprocess").add("device", device.str())
                            .add("width", w).add("height", h).add("levels", 3).add("ms_per_frame", 1e3 * s).str().c_str());
    std::fflush(stdout);
  }
}

void bench_slow_step(const BenchArgs& args, torch::Device device, int w, int h, int filters, int batch) {
  torch::manual_seed(1);
  SlowSparseLearner learner(SlowSparseOptions().filters(filters), OptimizerOptions{}, device);
  auto pairs = torch::randn({batch, 2, 1, h, w}, torch::TensorOptions().device(device));
  const double s = median_seconds([&] { learner.train(pairs); }, args.seconds, device);
  std::printf("%s\n", JsonLine().add("bench", "train_step").add("model", "slow").add("device", device.str()).add("width", w)
                          .add("height", h).add("filters", filters).add("batch", batch).add("steps_per_s", 1 / s).str().c_str());
  std::fflush(stdout);
}

// Model B: δ inferred by k steps per sample (each a forward and backward through unpooling and the
// decoder), then the weight update; smooth frames moving one pixel per frame.
void bench_linearize_step(const BenchArgs& args, torch::Device device, int w, int h, int filters, int batch, int delta_steps) {
  torch::manual_seed(1);
  LinearizeLearner learner(LinearizeOptions().filters(filters).delta_steps(delta_steps), OptimizerOptions{}, device);
  const auto wide = torch::avg_pool2d(torch::randn({batch, 1, h, w + 2}), 5, 1, 2);
  const auto triplets = torch::stack({wide.slice(3, 2, w + 2), wide.slice(3, 1, w + 1), wide.slice(3, 0, w)}, 1).to(device);
  const double s = median_seconds([&] { learner.train(triplets); }, args.seconds, device);
  std::printf("%s\n", JsonLine().add("bench", "train_step").add("model", "linearize").add("device", device.str()).add("width", w)
                          .add("height", h).add("filters", filters).add("batch", batch).add("delta_steps", delta_steps)
                          .add("steps_per_s", 1 / s).str().c_str());
  std::fflush(stdout);
}

// The whole pipeline on a real clip: decode -> preprocess -> train, one step per frame pair, with
// the run's default of one decoder thread (FFmpeg's own threads would compete with training).
void bench_slow_end_to_end(const BenchArgs& args, torch::Device device, int w, int h, int filters, int batch) {
  const std::string clip = find_clip("vtest.avi");
  if (clip.empty()) return;
  torch::manual_seed(1);
  SlowSparseLearner learner(SlowSparseOptions().filters(filters), OptimizerOptions{}, device);
  const auto run_dir = fs::temp_directory_path() / ("vidssl-bench-run-" + std::to_string(getpid()));
  TrainStageOptions train_options;
  train_options.run_dir = run_dir.string();
  train_options.checkpoint_every = 0;
  train_options.replay.batch = batch;
  train_options.panel_interval_s = 1e9;
  SourceOptions source_options;
  source_options.path = clip;
  source_options.width = w;
  source_options.height = h;
  PreprocessOptions preprocess_options;
  preprocess_options.device = device;
  Pipeline pipeline;
  auto& source = pipeline.add<SourceStage>(
      "source", std::make_unique<FfmpegSource>(source_options, FfmpegSourceOptions{1}), [](const std::string&) {});
  auto& preprocess = pipeline.add<PreprocessStage>("preprocess", preprocess_options);
  auto& train = pipeline.add<TrainStage>("train", learner, train_options, nullptr);
  pipeline.connect(source, preprocess, {8, EdgePolicy::block});
  pipeline.connect(preprocess, train, {8, EdgePolicy::block});
  const auto t = Clock::now();
  pipeline.start();
  pipeline.join();
  synchronize(device);
  const double s = seconds_since(t);
  fs::remove_all(run_dir);
  std::printf("%s\n", JsonLine().add("bench", "end_to_end").add("model", "slow").add("device", device.str()).add("clip", "vtest.avi")
                          .add("width", w).add("height", h).add("filters", filters).add("batch", batch)
                          .add("steps", train.steps()).add("steps_per_s", train.steps() / s).str().c_str());
  std::fflush(stdout);
}

}  // namespace

int bench_command(const BenchArgs& args) {
  configure_torch_runtime();
  const torch::Device device = resolve_device(args.device);
  const bool all = args.only == "all";
  if (!all && args.only != "decode" && args.only != "preprocess" && args.only != "slow" && args.only != "linearize")
    throw std::invalid_argument("--only: expected decode, preprocess, slow, linearize or all, got '" + args.only + "'");
  spdlog::info("bench on {} with {} LibTorch threads", device.str(), at::get_num_threads());
  if (all || args.only == "decode") bench_decode(args);
  if (all || args.only == "preprocess") bench_preprocess(args, device);
  if (all || args.only == "slow") {
    bench_slow_step(args, device, 160, 120, 32, 1);
    bench_slow_step(args, device, 320, 240, 32, 1);
    bench_slow_end_to_end(args, device, 160, 120, 32, 1);
    bench_slow_end_to_end(args, device, 320, 240, 32, 1);
    if (device.is_cuda()) bench_slow_step(args, device, 640, 480, 64, 8);
  }
  if (all || args.only == "linearize") {
    bench_linearize_step(args, device, 160, 120, 64, 1, 5);
    bench_linearize_step(args, device, 320, 240, 64, 1, 5);
    bench_linearize_step(args, device, 160, 120, 32, 4, 5);  // configs/clips-linearize.yaml
    if (device.is_cuda()) bench_linearize_step(args, device, 640, 480, 64, 8, 5);
  }
  return 0;
}

}  // namespace vidssl
