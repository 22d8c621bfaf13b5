#include "stages/run_config.h"

#include <filesystem>
#include <stdexcept>

#include "stages/config_reader.h"

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

RunConfig read_config(ConfigReader& r) {
  RunConfig c;
  auto& s = c.source;
  r.read("source.path", s.path);
  r.read("source.width", s.width);
  r.read("source.height", s.height);
  r.read("source.channels", s.channels);
  r.read("source.realtime", s.realtime);
  r.read("source.max_frames", s.max_frames);
  r.read("source.decoder_threads", c.decoder_threads);
  read_edge(r, "source.edge", c.source_edge);
  require(s.width >= 0 && s.height >= 0, "source.width", "sizes >= 0 (0 keeps the source's size)");
  require(s.channels == 1 || s.channels == 3, "source.channels", "1 (luma) or 3 (YUV)");

  auto& p = c.preprocess;
  r.read("preprocess.contrast", p.contrast);
  r.read("preprocess.kernel", p.contrast_options.kernel_size);
  r.read("preprocess.sigma", p.contrast_options.sigma);
  read_edge(r, "preprocess.edge", c.preprocess_edge);
  require(p.contrast_options.kernel_size > 0 && p.contrast_options.kernel_size % 2 == 1, "preprocess.kernel", "an odd size >= 1");
  require(p.contrast_options.sigma > 0, "preprocess.sigma", "a number > 0");

  r.read_choice("model.kind", c.model, {{"slow", std::string("slow")}, {"linearize", std::string("linearize")}});
  // Only the chosen model's keys are read: another model's key is reported as unknown.
  if (c.model == "slow") {
    read_slow_model(r, s.channels, c.slow);
  } else {
    read_linearize_model(r, s.channels, c.linearize);
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
