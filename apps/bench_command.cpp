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

#include "apps/learner_kinds.h"
#include "apps/run_graph.h"
#include "models/linearize/linearize_learner.h"
#include "models/ops/contrast_normalizer.h"
#include "models/ops/gaussian_pyramid.h"
#include "models/slow/slow_sparse_learner.h"
#include "models/torch_runtime.h"
#include "models/training/json_line.h"
#include "stages/config_reader.h"
#include "stages/decoder_threads.h"
#include "stages/ffmpeg_source.h"
#include "stages/run_config.h"

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

std::string shell_quoted(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// An H.264 clip of FFmpeg's testsrc2 (moving colour bars, a clock, noise-free edges) at a camera's
// size, 6 s at 30 frames/s, made once per machine in the temporary folder: the large input the
// decode bench needs, which no Debian package ships. Empty when ffmpeg or libx264 is missing.
std::string make_h264_clip(int width, int height) {
  const fs::path out = fs::temp_directory_path() / ("vidssl-bench-h264-" + std::to_string(width) + "x" + std::to_string(height) + ".mp4");
  if (fs::exists(out)) return out.string();
  const std::string part = out.string() + ".part.mp4";
  const std::string command = "ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=" + std::to_string(width) + "x" +
                              std::to_string(height) + ":rate=30 -frames:v 180 -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p " +
                              shell_quoted(part) + " && mv " + shell_quoted(part) + " " + shell_quoted(out.string());
  if (std::system(command.c_str()) != 0) return {};
  return out.string();
}

// Seconds `ffmpeg -threads N -i FILE -f null -` spends decoding, as its -benchmark flag reports
// (rtime: the decode loop, without the ~0.3 s this VM takes to start the process and probe the
// file, which would otherwise dominate a 0.3 s clip). -1 when ffmpeg is missing or fails.
double ffmpeg_seconds(const std::string& clip, int threads) {
  const std::string command =
      "ffmpeg -nostdin -benchmark -threads " + std::to_string(threads) + " -i " + shell_quoted(clip) + " -an -f null - 2>&1";
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

// Luma at native size (what a run decodes before fitting) with `threads` decoder threads, against
// ffmpeg at the same count; the best of three passes of each.
void bench_decode_clip(const std::string& name, const std::string& clip, int threads) {
  double best = 1e30, best_ffmpeg = 1e30;
  std::int64_t frames = 0;
  int width = 0, height = 0;
  for (int pass = 0; pass < 3; ++pass) {
    SourceOptions options;
    options.path = clip;
    options.channels = 1;
    FfmpegSource source(options, FfmpegSourceOptions{.decoder_threads = threads});
    width = source.clip_info().width;
    height = source.clip_info().height;
    const auto t = Clock::now();  // after opening and probing, as ffmpeg's rtime
    Frame frame;
    frames = 0;
    while (source.read(frame)) ++frames;
    best = std::min(best, seconds_since(t));
    const double reference = ffmpeg_seconds(clip, threads);
    if (reference > 0) best_ffmpeg = std::min(best_ffmpeg, reference);
  }
  JsonLine line;
  line.add("bench", "decode").add("clip", name).add("width", width).add("height", height).add("decoder_threads", threads)
      .add("frames", frames).add("frames_per_s", frames / best);
  if (best_ffmpeg < 1e30) line.add("ffmpeg_frames_per_s", frames / best_ffmpeg).add("ratio_to_ffmpeg", best_ffmpeg / best);
  std::printf("%s\n", line.str().c_str());
  std::fflush(stdout);
}

// The opencv-doc clips on one thread; then 720p and 1080p H.264 on one thread and on the count a
// run would choose with every core spare (stages/decoder_threads.h), each against ffmpeg.
void bench_decode(const BenchArgs&) {
  for (const std::string name : {"vtest.avi", "box.mp4"}) {
    const std::string clip = find_clip(name);
    if (clip.empty()) {
      spdlog::warn("bench decode: {} not found (install opencv-doc); skipped", name);
      continue;
    }
    bench_decode_clip(name, clip, 1);
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const auto& [w, h] : {std::pair{1280, 720}, std::pair{1920, 1080}}) {
    const std::string clip = make_h264_clip(w, h);
    const std::string name = "h264-" + std::to_string(h) + "p";
    if (clip.empty()) {
      spdlog::warn("bench decode: cannot make the {} clip (ffmpeg with libx264 missing); skipped", name);
      continue;
    }
    bench_decode_clip(name, clip, 1);
    if (const int threads = auto_decoder_threads(w, h, cores); threads > 1) bench_decode_clip(name, clip, threads);
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
  SlowSparseLearner learner(SlowSparseOptions().filters(filters), OptimizerOptions{}, ClipLearnerOptions{}, device);
  auto pairs = torch::randn({batch, 2, 1, h, w}, torch::TensorOptions().device(device));
  // The figures read every step, as a run on the CPU reads them (median_seconds waits for a GPU anyway).
  const double s = median_seconds([&] { learner.train(pairs); learner.read_steps(); }, args.seconds, device);
  std::printf("%s\n", JsonLine().add("bench", "train_step").add("model", "slow").add("device", device.str()).add("width", w)
                          .add("height", h).add("filters", filters).add("batch", batch).add("steps_per_s", 1 / s).str().c_str());
  std::fflush(stdout);
}

// Model B: δ inferred by k steps per sample (each a forward and backward through unpooling and the
// decoder), then the weight update; smooth frames moving one pixel per frame.
void bench_linearize_step(const BenchArgs& args, torch::Device device, int w, int h, int filters, int block, int batch, int delta_steps) {
  torch::manual_seed(1);
  auto options = LinearizeOptions().filters(filters).delta_steps(delta_steps);
  options.block().space(block);
  LinearizeLearner learner(options, OptimizerOptions{}, ClipLearnerOptions{}, device);
  const auto wide = torch::avg_pool2d(torch::randn({batch, 1, h, w + 2}), 5, 1, 2);
  const auto triplets = torch::stack({wide.slice(3, 2, w + 2), wide.slice(3, 1, w + 1), wide.slice(3, 0, w)}, 1).to(device);
  const double s = median_seconds([&] { learner.train(triplets); learner.read_steps(); }, args.seconds, device);
  std::printf("%s\n", JsonLine().add("bench", "train_step").add("model", "linearize").add("device", device.str()).add("width", w)
                          .add("height", h).add("filters", filters).add("block", block).add("batch", batch).add("delta_steps", delta_steps)
                          .add("steps_per_s", 1 / s).str().c_str());
  std::fflush(stdout);
}

// The whole graph of `vidssl run` (apps/run_graph.h) built from `yaml` (with the temporary run
// folder and no display added): decode -> preprocess -> every learner, block edges. Frames/s is the
// rate at which the slowest learner finishes frames, between the end of the warm-up and the last
// frame (the learners' setup before and their final checkpoints after are not counted).
void bench_pipeline(const std::string& models, const std::string& yaml, std::int64_t warmup, torch::Device device, JsonLine line) {
  const auto run_dir = fs::temp_directory_path() / ("vidssl-bench-run-" + std::to_string(getpid()));
  const RunConfig config = parse_run_config(
      yaml + "\nrun: {display: none, threads: " + std::to_string(at::get_num_threads()) + ", out: " + run_dir.string() + "}\n",
      "bench " + models, learner_kinds());
  RunGraphOptions options;
  options.run_dir = run_dir.string();
  options.device = device;
  options.panel_interval_s = -1;
  const auto graph = build_run_graph(config, learner_kinds(), options);
  std::vector<std::uint64_t> seen(graph->learners.size(), 0);
  std::vector<std::int64_t> done(graph->learners.size(), -1);
  std::uint64_t heard = 0;
  Clock::time_point warm{}, last{};
  std::int64_t warm_frame = -1, last_frame = -1;
  graph->pipeline.start();
  for (bool finished = false; !finished;) {
    graph->bell->wait_for(heard, std::chrono::milliseconds(100));
    finished = graph->pipeline.wait_for(std::chrono::milliseconds(0));
    for (std::size_t i = 0; i < graph->learners.size(); ++i)
      if (auto r = graph->learners[i].latest->take_newer(seen[i])) done[i] = r->frame_index;
    const std::int64_t slowest = *std::min_element(done.begin(), done.end());
    if (slowest > last_frame) {
      if (warm_frame < 0 && slowest >= warmup - 1) warm = Clock::now(), warm_frame = slowest;
      last = Clock::now(), last_frame = slowest;
    }
  }
  graph->pipeline.join();
  synchronize(device);
  fs::remove_all(run_dir);
  const double seconds = std::chrono::duration<double>(last - warm).count();
  if (warm_frame < 0 || last_frame <= warm_frame || seconds <= 0)
    throw std::runtime_error("bench pipeline " + models + ": fewer frames than the warm-up (" + std::to_string(last_frame + 1) + ")");
  line.add("threads", config.threads).add("frames", last_frame - warm_frame)
      .add("frames_per_s", static_cast<double>(last_frame - warm_frame) / seconds);
  for (const auto& l : graph->learners) line.add("steps_" + l.config->name, l.stage->steps());
  std::printf("%s\n", line.str().c_str());
  std::fflush(stdout);
}

// Models A and B on a real clip scaled to w×h (luma), one step per frame, batch 1: Model A 32
// filters on pairs, Model B 64 filters with k = 5 δ-steps on triplets.
void bench_clip_pipeline(const BenchArgs& args, torch::Device device, const std::string& models, int w, int h) {
  const std::string clip = find_clip("vtest.avi");
  if (clip.empty()) {
    spdlog::warn("bench pipeline: vtest.avi not found (install opencv-doc); skipped");
    return;
  }
  const std::int64_t warmup = 3, frames = std::max<std::int64_t>(8, static_cast<std::int64_t>(args.seconds * 4));
  std::string yaml = "source: {path: " + clip + ", width: " + std::to_string(w) + ", height: " + std::to_string(h) +
                     ", channels: 1, max_frames: " + std::to_string(warmup + frames) + "}\nmodels:\n";
  if (models.find("slow") != std::string::npos) yaml += "  slow: {filters: 32, train: {batch: 1, checkpoint_every: 0}}\n";
  if (models.find("linearize") != std::string::npos)
    yaml += "  linearize: {filters: 64, delta_steps: 5, train: {batch: 1, checkpoint_every: 0}}\n";
  JsonLine line;
  line.add("bench", "pipeline").add("models", models).add("device", device.str()).add("clip", "vtest.avi").add("width", w).add("height", h);
  bench_pipeline(models, yaml, warmup, device, line);
}

// All three models on the KITTI stereo folder as configs/kitti-all.yaml trains them, one step per
// frame: Models A (32 filters) and B (64 filters, k = 5) at batch 1 on the half-size left image,
// Model C one update of its 64 windows.
void bench_kitti_pipeline(const BenchArgs& args, torch::Device device) {
  const fs::path kitti = fs::path(VIDSSL_SOURCE_DIR) / "../shared/data/kitti-rural-stereo";
  if (!fs::is_directory(kitti)) {
    spdlog::warn("bench pipeline: {} not found; the KITTI measurement is skipped", kitti.string());
    return;
  }
  const std::int64_t warmup = 3, frames = std::clamp<std::int64_t>(static_cast<std::int64_t>(args.seconds * 2), 8, 48);
  YAML::Node root = YAML::LoadFile((fs::path(VIDSSL_SOURCE_DIR) / "configs/kitti-all.yaml").string());
  root.remove("run");
  for (const std::string& assignment :
       {"source.path=" + kitti.string(), "source.max_frames=" + std::to_string(warmup + frames), std::string("models.slow.filters=32"),
        std::string("models.slow.train.batch=1"), std::string("models.linearize.filters=64"), std::string("models.linearize.delta_steps=5"),
        std::string("models.linearize.train.batch=1"), std::string("models.neartofar.train.steps_per_frame=1")})
    apply_override(root, assignment);
  for (const char* name : {"slow", "linearize", "neartofar"}) apply_override(root, std::string("models.") + name + ".train.checkpoint_every=0");
  apply_override(root, "models.neartofar.videos=false");  // the reference loop writes no video
  YAML::Emitter yaml;
  yaml << root;
  JsonLine line;
  line.add("bench", "pipeline").add("models", "slow+linearize+neartofar").add("device", device.str()).add("source", "kitti");
  bench_pipeline("slow+linearize+neartofar", yaml.c_str(), warmup, device, line);
}

}  // namespace

int bench_command(const BenchArgs& args) {
  configure_torch_runtime(args.threads);
  const torch::Device device = resolve_device(args.device);
  const bool all = args.only == "all";
  if (!all && args.only != "decode" && args.only != "preprocess" && args.only != "slow" && args.only != "linearize" &&
      args.only != "pipeline")
    throw std::invalid_argument("--only: expected decode, preprocess, slow, linearize, pipeline or all, got '" + args.only + "'");
  spdlog::info("bench on {} with {} LibTorch threads", device.str(), at::get_num_threads());
  if (all || args.only == "decode") bench_decode(args);
  if (all || args.only == "preprocess") bench_preprocess(args, device);
  if (all || args.only == "slow") {
    bench_slow_step(args, device, 160, 120, 32, 1);
    bench_slow_step(args, device, 320, 240, 32, 1);
    bench_clip_pipeline(args, device, "slow", 160, 120);
    bench_clip_pipeline(args, device, "slow", 320, 240);
    if (device.is_cuda()) bench_slow_step(args, device, 640, 480, 64, 8);
  }
  if (all || args.only == "linearize") {
    bench_linearize_step(args, device, 160, 120, 64, 4, 1, 5);  // DESIGN §7's blocks
    bench_linearize_step(args, device, 320, 240, 64, 4, 1, 5);
    bench_linearize_step(args, device, 160, 120, 64, 2, 4, 5);  // configs/clips-linearize.yaml
    if (device.is_cuda()) bench_linearize_step(args, device, 640, 480, 64, 4, 8, 5);
  }
  if (all || args.only == "pipeline") {
    bench_clip_pipeline(args, device, "slow+linearize", 320, 240);
    bench_kitti_pipeline(args, device);
  }
  return 0;
}

}  // namespace vidssl
