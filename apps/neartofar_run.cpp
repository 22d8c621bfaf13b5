#include "apps/neartofar_run.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>

#include "apps/drive_pipeline.h"
#include "models/training/checkpoint.h"
#include "pipeline/pipeline.h"
#include "stages/display_sink.h"
#include "stages/json_line.h"
#include "stages/near_to_far_stage.h"
#include "stages/prediction_log.h"
#include "stages/resampled_source.h"
#include "stages/source_stage.h"
#include "stages/stereo_sequence_source.h"
#include "stages/traversability_video.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

Panel bgr_panel(const std::string& title, const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  const torch::Tensor t = torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8).permute({2, 0, 1}).to(torch::kFloat32);
  return {title, t.clone(), Panel::Scale::bytes};
}

// "frame 12/51 | 4 updates | loss 0.82 | 2113 windows, 402 labeled | 231 ms | skipped: ..."
std::string status_text(const NearToFarReport& r, std::int64_t frame_count) {
  double total = 0;
  for (const auto& [k, v] : r.result.ms)
    if (k == "total") total = v;
  std::int64_t windows = 0;
  for (const auto& b : r.result.bands) windows += static_cast<std::int64_t>(b.windows.size());
  char buf[320];
  std::snprintf(buf, sizeof(buf), "frame %lld/%lld | %lld updates | loss %.3f | %lld windows, %lld labeled | %.0f ms%s%s",
                static_cast<long long>(r.frame.index + 1), static_cast<long long>(frame_count),
                static_cast<long long>(r.result.steps), r.result.loss, static_cast<long long>(windows),
                static_cast<long long>(r.result.labeled_windows), total, r.result.skipped.empty() ? "" : " | skipped: ",
                r.result.skipped.c_str());
  return buf;
}

}  // namespace

void init_from_model_a(NearToFar& model, const std::string& path) {
  const std::string folder = CheckpointStore::resolve(path);
  const CheckpointData data = CheckpointStore::load(folder);
  for (const char* key : {"encoder.weight", "lista.filter.weight"}) {
    const auto it = data.weights.find(key);
    if (it == data.weights.end()) continue;
    const std::int64_t n = model.net()->init_from_encoder(it->second);
    spdlog::info("classifier: first {} features start from {} of {}", n, key, folder);
    return;
  }
  throw std::runtime_error(folder + ": model.init_from wants a Model A (slow) checkpoint with an encoder, found model '" +
                           data.model + "'");
}

int run_neartofar(const RunArgs& args, RunConfig& config, torch::Device device, const std::string& run_dir,
                  MetricsLog& metrics) {
  auto stereo = std::make_unique<StereoSequenceSource>(options_before_resampling(config.source));
  const StereoCamera camera = stereo->camera();
  std::unique_ptr<FrameSource> source = resample(std::move(stereo), config.source);
  const SourceInfo info = source->info();
  spdlog::info("source {}: {}x{}x{}, {:.3g} fps, {} frames; fx {:.1f}, baseline {:.3f} m", info.description, info.width,
               info.height, info.channels, info.fps, info.frame_count, camera.fx, camera.baseline);
  NearToFar model(config.neartofar, device);
  if (!config.init_from.empty()) init_from_model_a(model, config.init_from);
  const auto& m = config.neartofar;
  spdlog::info("model neartofar: stereo level {} ({} disparities), {} bands {:.0f}-{:.0f} m{}, classifier {}-{} features, on {}",
               m.stereo_level, m.stereo.max_disparity, m.bands.bands, m.bands.near_distance, m.bands.far_distance,
               m.bands.normalize ? "" : " (plain, not distance-normalized)", m.net.features(), m.net.window_features(), device.str());

  NearToFarStageOptions stage_options;
  stage_options.checkpoint_every = config.train.checkpoint_every;
  stage_options.keep_checkpoints = config.train.keep_checkpoints;
  stage_options.run_dir = run_dir;
  stage_options.config_yaml = config.yaml;

  Pipeline pipeline;
  auto& neartofar = pipeline.add<NearToFarStage>("neartofar", model, camera, stage_options, &metrics);
  std::int64_t skip = 0;
  if (args.resume) {
    skip = neartofar.resume(run_dir);
    spdlog::info("resuming from {} ({} updates, {} windows buffered), source frames before {} are skipped", run_dir,
                 model.updates(), model.buffer().size(), skip);
  }
  auto warn = [&metrics](const std::string& message) {
    spdlog::warn("{}", message);
    metrics.write(JsonLine().add("event", "source_warning").add("message", message).str());
  };
  auto& source_stage = pipeline.add<SourceStage>("source", std::move(source), warn, skip);
  auto& log = pipeline.add<PredictionLog>("predictions", (fs::path(run_dir) / "predictions.jsonl").string(), args.resume);
  auto& video = pipeline.add<TraversabilityVideo>("overlay", run_dir, info.fps, skip);
  pipeline.connect(source_stage, neartofar, config.source_edge);
  pipeline.connect(neartofar, log, EdgeOptions{16, EdgePolicy::block});
  pipeline.connect(neartofar, video, EdgeOptions{4, EdgePolicy::block});
  auto latest = pipeline.tap(neartofar);

  std::string note;
  DisplayOptions display_options = parse_display(config.display, (fs::path(run_dir) / "display.avi").string(), &note);
  display_options.columns = 2;
  display_options.rows = 2;
  display_options.cell_width = 620;
  display_options.cell_height = 188;
  DisplaySink display(display_options);
  if (!note.empty()) spdlog::info("{}", note);

  const DriveResult run = drive_pipeline(pipeline, *latest, display, config.report_every_s, metrics, [&](const NearToFarReport& r) {
    std::string status = status_text(r, info.frame_count);
    if (display_options.mode != DisplayOptions::Mode::none) {
      const cv::Mat left = TraversabilityVideo::left_bgr(r.frame);
      std::vector<Panel> panels{bgr_panel("predicted", draw_traversability(left, r.result, false)),
                                bgr_panel("stereo labels", draw_traversability(left, r.result, true)),
                                bgr_panel("top-down (100 m)", draw_top_down(r.result))};
      if (r.result.disparity.defined()) panels.push_back({"disparity", r.result.disparity.clamp_min(0), Panel::Scale::min_max});
      display.show(panels, status);
    }
    return status;
  });
  if (run.failed) return 1;
  const double seconds = run.seconds;
  spdlog::info("{} frames in {:.1f} s ({:.0f} ms/frame), {} updates, {} frames not trained on", neartofar.frames(), seconds,
               1000.0 * seconds / std::max<std::int64_t>(neartofar.frames(), 1), model.updates(), neartofar.skipped_frames());
  if (neartofar.last_checkpoint()) spdlog::info("checkpoint {}", *neartofar.last_checkpoint());
  spdlog::info("predictions {}", log.path());
  spdlog::info("overlay {}, top-down map {}", video.overlay_path(), video.top_down_path());
  return run.aborted ? 130 : 0;
}

}  // namespace vidssl
