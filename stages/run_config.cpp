#include "stages/run_config.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "stages/config_reader.h"
#include "stages/source_config.h"

namespace vidssl {
namespace {

void read_edge(ConfigReader& r, const std::string& prefix, EdgeOptions& edge) {
  std::int64_t capacity = static_cast<std::int64_t>(edge.capacity);
  r.read(prefix + ".capacity", capacity);
  if (capacity < 1) throw ConfigError(prefix + ".capacity: expected an integer >= 1, got " + std::to_string(capacity));
  edge.capacity = static_cast<std::size_t>(capacity);
  r.read_choice(prefix + ".policy", edge.policy,
                {{"block", EdgePolicy::block}, {"drop_oldest", EdgePolicy::drop_oldest}, {"drop_newest", EdgePolicy::drop_newest}});
  if (edge.policy == EdgePolicy::drop_oldest && edge.capacity < 2)
    throw ConfigError(prefix + ".capacity: a drop_oldest edge needs capacity >= 2");
}

void require(bool ok, const std::string& key, const std::string& expected) {
  if (!ok) throw ConfigError(key + ": expected " + expected);
}

void read_slow_model(ConfigReader& r, int channels, SlowSparseOptions& m) {
  m.channels(channels);
  SlowEncoder encoder = m.encoder();
  r.read_choice("model.encoder", encoder, {{"relu", SlowEncoder::relu}, {"psd", SlowEncoder::psd}, {"lista", SlowEncoder::lista}});
  m.encoder(encoder);
  SlowTraining training = m.training();
  r.read_choice("model.training", training, {{"direct", SlowTraining::direct}, {"psd", SlowTraining::psd}});
  m.training(training);
  r.read("model.filters", m.filters());
  r.read("model.kernel", m.kernel());
  r.read("model.lista_steps", m.lista_steps());
  r.read("model.alpha", m.alpha());
  r.read("model.beta", m.beta());
  r.read("model.pool_features", m.pool_features());
  r.read("model.pool_space", m.pool_space());
  r.read("model.fista_steps", m.fista_steps());
  r.read("model.fista_lipschitz", m.fista_lipschitz());
  r.read("model.fista_backtrack", m.fista_backtrack());
  require(m.filters() >= 1, "model.filters", "an integer >= 1");
  require(m.kernel() >= 1 && m.kernel() % 2 == 1, "model.kernel", "an odd size >= 1");
  require(m.alpha() >= 0, "model.alpha", "a number >= 0");
  require(m.beta() >= 0, "model.beta", "a number >= 0");
  require(m.pool_features() >= 1 && m.filters() % m.pool_features() == 0, "model.pool_features",
          "a divisor of model.filters (" + std::to_string(m.filters()) + ")");
  require(m.pool_space() >= 1, "model.pool_space", "an integer >= 1");
  require(m.lista_steps() >= 0, "model.lista_steps", "an integer >= 0");
  require(m.fista_steps() >= 1, "model.fista_steps", "an integer >= 1");
  require(m.fista_lipschitz() > 0, "model.fista_lipschitz", "a number > 0");
  require(m.fista_backtrack() > 1, "model.fista_backtrack", "a number > 1");
}

void read_linearize_model(ConfigReader& r, int channels, LinearizeOptions& m) {
  m.channels(channels);
  r.read("model.filters", m.filters());
  r.read("model.kernel", m.kernel());
  r.read("model.pool_features", m.block().features());
  r.read("model.pool_space", m.block().space());
  m.block().feature_stride(m.block().features());
  r.read("model.pool_feature_stride", m.block().feature_stride());
  r.read("model.pool_beta", m.pool_beta());
  r.read("model.curvature", m.curvature());
  r.read("model.delta_dims", m.delta_dims());
  r.read("model.delta_steps", m.delta_steps());
  r.read("model.delta_lr", m.delta_lr());
  require(m.filters() >= 1, "model.filters", "an integer >= 1");
  require(m.kernel() >= 1 && m.kernel() % 2 == 1, "model.kernel", "an odd size >= 1");
  try {  // the tiling rule is the pooling layer's own; its messages name the keys
    m.block().check(m.filters(), m.block().space(), m.block().space());
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  require(m.pool_beta() > 0, "model.pool_beta", "a number > 0");
  require(m.curvature() >= 0, "model.curvature", "a number >= 0");
  require(m.delta_dims() >= 1, "model.delta_dims", "an integer >= 1");
  require(m.delta_steps() >= 0, "model.delta_steps", "an integer >= 0");
  require(m.delta_lr() > 0, "model.delta_lr", "a number > 0");
}

void read_neartofar_model(ConfigReader& r, int channels, RunConfig& c) {
  NearToFarOptions& m = c.neartofar;
  m.net.in_channels(channels);
  r.read("model.stereo_level", m.stereo_level);
  r.read("model.max_disparity", m.stereo.max_disparity);
  r.read_choice("model.stereo_cost", m.stereo.cost, {{"census", StereoCost::census}, {"sad", StereoCost::sad}});
  r.read("model.cost_window", m.stereo.cost_window);
  r.read("model.aggregation_window", m.stereo.aggregation_window);
  r.read("model.uniqueness", m.stereo.uniqueness);
  r.read("model.stereo_max_distance", m.stereo_max_distance);
  r.read("model.camera_height", m.ground.camera_height);
  r.read("model.pitch", m.ground.pitch);
  r.read("model.roll", m.ground.roll);
  r.read("model.ground_max_distance", m.ground_max_distance);
  r.read("model.plane_iterations", m.ground.iterations);
  r.read("model.inlier_distance", m.ground.inlier_distance);
  r.read("model.min_inliers", m.ground.min_inliers);
  r.read("model.obstacle_height", m.labels.obstacle_height);
  r.read("model.ground_tolerance", m.labels.ground_tolerance);
  r.read("model.disparity_sigma", m.labels.disparity_sigma);
  r.read("model.min_points", m.labels.min_points);
  r.read("model.bands", m.bands.bands);
  r.read("model.near_distance", m.bands.near_distance);
  r.read("model.far_distance", m.bands.far_distance);
  r.read("model.band_height", m.bands.band_height);
  r.read("model.normalize_bands", m.bands.normalize);
  r.read("model.plain_scale_distance", m.bands.plain_scale_distance);
  r.read("model.features", m.net.features());
  r.read("model.window_features", m.net.window_features());
  r.read("model.buffer_capacity", m.buffer.capacity);
  r.read("model.train_all_layers", m.train_all_layers);
  r.read("model.train_max_distance", m.train_max_distance);
  r.read("model.init_from", c.init_from);
  require(m.stereo_level >= 0 && m.stereo_level <= 3, "model.stereo_level", "0 (full size) … 3");
  require(m.stereo.max_disparity >= 2, "model.max_disparity", "an integer >= 2");
  require(m.stereo.cost_window >= 1 && m.stereo.cost_window % 2 == 1, "model.cost_window", "an odd size >= 1");
  require(m.stereo.aggregation_window >= 1 && m.stereo.aggregation_window % 2 == 1, "model.aggregation_window", "an odd size >= 1");
  require(m.stereo.uniqueness >= 0 && m.stereo.uniqueness < 1, "model.uniqueness", "a share in [0, 1)");
  require(m.stereo_max_distance > 0, "model.stereo_max_distance", "metres > 0");
  require(m.ground.camera_height > 0, "model.camera_height", "metres > 0");
  require(std::abs(m.ground.pitch) < 1 && std::abs(m.ground.roll) < 1, "model.pitch", "pitch and roll in radians, |angle| < 1");
  require(m.ground_max_distance > 0, "model.ground_max_distance", "metres > 0");
  require(m.ground.iterations >= 1, "model.plane_iterations", "an integer >= 1");
  require(m.ground.inlier_distance > 0, "model.inlier_distance", "metres > 0");
  require(m.ground.min_inliers >= 3, "model.min_inliers", "an integer >= 3");
  require(m.labels.obstacle_height > m.labels.ground_tolerance, "model.obstacle_height", "metres above model.ground_tolerance");
  require(m.labels.ground_tolerance > 0, "model.ground_tolerance", "metres > 0");
  require(m.labels.disparity_sigma >= 0, "model.disparity_sigma", "pixels >= 0");
  require(m.labels.min_points >= 1, "model.min_points", "an integer >= 1");
  require(m.bands.bands >= 2, "model.bands", "an integer >= 2");
  require(m.bands.near_distance > 0, "model.near_distance", "metres > 0");
  require(m.bands.far_distance > m.bands.near_distance, "model.far_distance", "metres beyond model.near_distance");
  require(m.bands.band_height > 0, "model.band_height", "metres > 0");
  require(m.bands.plain_scale_distance > 0, "model.plain_scale_distance", "metres > 0");
  require(m.net.features() >= 1, "model.features", "an integer >= 1");
  require(m.net.window_features() >= 1, "model.window_features", "an integer >= 1");
  require(m.buffer.capacity >= kTraversabilityClasses, "model.buffer_capacity", "an integer >= 5 (one window per class)");
  require(m.train_max_distance > 0, "model.train_max_distance", "metres > 0");
  try {  // what the units check beyond the keys above
    m.check();
    StereoMatcher{m.stereo};
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("model: ") + e.what());
  }
}

RunConfig read_config(ConfigReader& r) {
  RunConfig c;
  auto& s = c.source;
  read_source_options(r, s);
  r.read("source.decoder_threads", c.decoder_threads);
  read_edge(r, "source.edge", c.source_edge);

  auto& p = c.preprocess;
  r.read("preprocess.contrast", p.contrast);
  r.read("preprocess.kernel", p.contrast_options.kernel_size);
  r.read("preprocess.sigma", p.contrast_options.sigma);
  read_edge(r, "preprocess.edge", c.preprocess_edge);
  require(p.contrast_options.kernel_size > 0 && p.contrast_options.kernel_size % 2 == 1, "preprocess.kernel", "an odd size >= 1");
  require(p.contrast_options.sigma > 0, "preprocess.sigma", "a number > 0");

  r.read_choice("model.kind", c.model,
                {{"slow", std::string("slow")}, {"linearize", std::string("linearize")}, {"neartofar", std::string("neartofar")}});
  // Only the chosen model's keys are read: another model's key is reported as unknown.
  if (c.model == "slow") {
    read_slow_model(r, s.channels, c.slow);
  } else if (c.model == "linearize") {
    read_linearize_model(r, s.channels, c.linearize);
  } else {
    read_neartofar_model(r, s.channels, c);
  }

  auto& o = c.optimizer;
  r.read_choice("train.optimizer", o.kind, {{"adam", OptimizerKind::adam}, {"rmsprop", OptimizerKind::rmsprop}, {"sgd", OptimizerKind::sgd}});
  r.read("train.lr", o.lr);
  r.read("train.momentum", o.momentum);
  r.read("train.weight_decay", o.weight_decay);
  require(o.lr > 0, "train.lr", "a number > 0");
  require(o.momentum >= 0 && o.momentum < 1, "train.momentum", "a number in [0, 1)");
  auto& t = c.train;
  r.read("train.batch", t.replay.batch);
  r.read("train.replay_capacity", t.replay.capacity);
  r.read("train.steps_per_frame", t.steps_per_frame);
  r.read("train.max_steps", t.max_steps);
  r.read("train.checkpoint_every", t.checkpoint_every);
  r.read("train.keep_checkpoints", t.keep_checkpoints);
  r.read("train.max_nonfinite", t.max_nonfinite);
  r.read("train.scene_cut", t.scene_cut);
  require(t.replay.batch >= 1, "train.batch", "an integer >= 1");
  require(t.replay.capacity >= 1, "train.replay_capacity", "an integer >= 1");
  require(t.steps_per_frame >= 1, "train.steps_per_frame", "an integer >= 1");
  require(t.checkpoint_every >= 0, "train.checkpoint_every", "an integer >= 0 (0: only at the end)");
  require(t.keep_checkpoints >= 1, "train.keep_checkpoints", "an integer >= 1");
  require(t.max_nonfinite >= 1, "train.max_nonfinite", "an integer >= 1");
  require(t.scene_cut >= 0 && t.scene_cut <= 1, "train.scene_cut", "a share of the 0..255 range in [0, 1] (0: off)");

  std::int64_t seed = static_cast<std::int64_t>(c.seed);
  r.read("run.seed", seed);
  c.seed = static_cast<std::uint64_t>(seed);
  t.replay.seed = c.seed;
  if (c.model == "neartofar") {  // Model C trains per frame from its own window buffer
    c.neartofar.optimizer = o;
    c.neartofar.batch = t.replay.batch;
    c.neartofar.steps_per_frame = t.steps_per_frame;
    c.neartofar.seed = c.seed;
    c.neartofar.buffer.seed = c.seed;
    c.neartofar.ground.seed = c.seed;
  }
  r.read_choice("run.device", c.device, {{"auto", std::string("auto")}, {"cpu", std::string("cpu")}, {"cuda", std::string("cuda")}});
  r.read("run.display", c.display);
  r.read("run.out", c.out);
  r.read("run.threads", c.threads);
  r.read("run.report_every", c.report_every_s);
  require(c.display == "window" || c.display == "none" || c.display.rfind("video:", 0) == 0 || c.display.rfind("png:", 0) == 0,
          "run.display", "window, none, video:FILE or png:DIR");
  require(c.threads >= 0, "run.threads", "an integer >= 0 (0: all cores)");
  require(c.report_every_s > 0, "run.report_every", "a number of seconds > 0");
  r.finish();
  c.yaml = r.resolved_yaml();
  return c;
}

}  // namespace

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  if (!std::filesystem::exists(path)) throw ConfigError(path + ": no such config file");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": not valid YAML (line " + std::to_string(e.mark.line + 1) + ": " + e.msg + ")");
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw ConfigError(path + ": expected a mapping of keys at the top level");
  for (const auto& o : overrides) apply_override(root, o);
  ConfigReader reader(root, path);
  return read_config(reader);
}

RunConfig parse_run_config(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ": not valid YAML (" + e.msg + ")");
  }
  ConfigReader reader(root, origin);
  return read_config(reader);
}

}  // namespace vidssl
