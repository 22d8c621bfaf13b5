#include "stages/run_config.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "stages/config_reader.h"
#include "stages/source_config.h"

namespace vidssl {
namespace {

void require(bool ok, const std::string& key, const std::string& expected) {
  if (!ok) throw ConfigError(key + ": expected " + expected);
}

void read_edge(ConfigReader& r, const std::string& prefix, EdgeOptions& edge) {
  std::int64_t capacity = static_cast<std::int64_t>(edge.capacity);
  r.read(prefix + "capacity", capacity);
  edge.capacity = static_cast<std::size_t>(std::max<std::int64_t>(capacity, 0));
  r.read_choice(prefix + "policy", edge.policy,
                {{"block", EdgePolicy::block}, {"drop_oldest", EdgePolicy::drop_oldest}, {"drop_newest", EdgePolicy::drop_newest}});
  check_under(prefix, [&] { check_options(edge); });
}

// A learner's name is its folder in the run and its tag in every metrics line.
bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 32 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (const char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string kind_names(const LearnerKinds& kinds) {
  std::string names;
  for (const auto* k : kinds) names += (names.empty() ? "" : ", ") + std::string(k->name);
  return names;
}

LearnerConfig read_learner(ConfigReader& r, const std::string& name, const RunConfig& c, const LearnerKinds& kinds) {
  const std::string prefix = "models." + name + ".";
  if (!valid_name(name))
    throw ConfigError("models." + name + ": a model's name is its folder in the run: expected a-z, 0-9 and _, starting with a letter");
  LearnerConfig l;
  l.name = name;
  std::string kind = name;
  r.read(prefix + "kind", kind);
  l.kind = &find_learner_kind(kinds, kind, prefix + "kind");

  r.read(prefix + "input.channels", l.channels);
  r.read(prefix + "input.level", l.level);
  require(l.channels == 0 || l.channels == 1 || l.channels == c.source.channels, prefix + "input.channels",
          "0 (the source's), 1 (luma) or the source's " + std::to_string(c.source.channels));
  require(l.level >= 0 && l.level <= 5, prefix + "input.level", "a pyramid level 0 … 5, got " + std::to_string(l.level));
  read_edge(r, prefix + "edge.", l.edge);

  LearnerContext context;
  context.channels = l.channels > 0 ? l.channels : c.source.channels;
  context.seed = c.seed;
  context.precision = c.precision;
  auto& o = context.optimizer;
  r.read_choice(prefix + "train.optimizer", o.kind,
                {{"adam", OptimizerKind::adam}, {"rmsprop", OptimizerKind::rmsprop}, {"sgd", OptimizerKind::sgd}});
  r.read(prefix + "train.lr", o.lr);
  r.read(prefix + "train.momentum", o.momentum);
  r.read(prefix + "train.weight_decay", o.weight_decay);
  check_under(prefix, [&] { check_options(o); });

  auto& s = l.stage;
  r.read(prefix + "videos", s.videos);
  r.read(prefix + "train.max_steps", s.max_steps);
  r.read(prefix + "train.checkpoint_every", s.checkpoint_every);
  r.read(prefix + "train.keep_checkpoints", s.keep_checkpoints);
  r.read(prefix + "train.max_nonfinite", s.max_nonfinite);
  r.read(prefix + "train.divergence", s.divergence);
  r.read(prefix + "train.health_window", s.health_window);
  r.read(prefix + "train.rollback_lr_factor", s.rollback_lr_factor);
  r.read(prefix + "train.max_rollbacks", s.max_rollbacks);
  check_under(prefix, [&] { check_options(s); });

  l.recipe = l.kind->read(r, prefix, context);
  return l;
}

RunConfig read_config(ConfigReader& r, const LearnerKinds& kinds) {
  // The form before multi-model runs: one model at the top. Say how to write it now.
  for (const char* old : {"model", "train"})
    if (r.present(old))
      throw ConfigError(std::string(old) +
                        ": configs now name their models under `models:`, each with its own keys and train: block, e.g. "
                        "models: {slow: {filters: 32, train: {lr: 0.002}}} (model.kind is the entry's name; configs/README.md)");
  if (r.present("preprocess.edge"))
    throw ConfigError("preprocess.edge: each model has its own input edge now: models.<name>.edge (configs/README.md)");

  RunConfig c;
  auto& s = c.source;
  read_source_options(r, s);
  r.read("source.decoder_threads", c.decoder_threads);
  require(c.decoder_threads >= 0 && c.decoder_threads <= 64, "source.decoder_threads", "an integer in [0, 64] (0: chosen from the clip's size and the cores training leaves)");
  r.read("source.stall_timeout", c.stall_timeout_s);
  require(c.stall_timeout_s > 0 && c.stall_timeout_s <= 86400, "source.stall_timeout", "a number of seconds in (0, 86400]");
  read_edge(r, "source.edge.", c.source_edge);

  auto& p = c.preprocess;
  r.read("preprocess.contrast", p.contrast);
  r.read("preprocess.kernel", p.contrast_options.kernel_size);
  r.read("preprocess.sigma", p.contrast_options.sigma);
  check_under("preprocess.", [&] { check_options(p.contrast_options); });

  std::int64_t seed = static_cast<std::int64_t>(c.seed);
  r.read("run.seed", seed);
  c.seed = static_cast<std::uint64_t>(seed);
  r.read("run.device", c.device);
  check_under("run.", [&] { check_device_name(c.device); });
  r.read("run.cudnn_benchmark", c.cuda.cudnn_benchmark);
  r.read("run.tf32", c.cuda.tf32);
  r.read_choice("run.precision", c.precision, {{to_string(Precision::fp32), Precision::fp32}, {to_string(Precision::bf16), Precision::bf16}});
  std::string backend = "auto";
  r.read("run.dist_backend", backend);
  require(backend == "auto" || backend == "gloo" || backend == "nccl", "run.dist_backend", "auto, gloo or nccl");
  if (backend == "gloo") c.dist_backend = DistBackend::gloo;
  if (backend == "nccl") c.dist_backend = DistBackend::nccl;
  r.read("dist.sync_every", c.dist.sync_every);
  r.read("dist.bucket_mb", c.dist.bucket_mb);
  check_under("", [&] { check_options(c.dist); });
  r.read("dist.timeout", c.dist_timeout_s);
  require(c.dist_timeout_s >= 1 && c.dist_timeout_s <= 86400, "dist.timeout", "a number of seconds in [1, 86400]");
  r.read("run.display", c.display);
  r.read("run.out", c.out);
  r.read("run.threads", c.threads);
  r.read("run.report_every", c.report_every_s);
  r.read("run.stop_timeout", c.stop_timeout_s);
  require(c.display == "window" || c.display == "none" || c.display.rfind("video:", 0) == 0 || c.display.rfind("png:", 0) == 0,
          "run.display", "window, none, video:FILE or png:DIR");
  // More threads than a few per core only thrash; a typo of 100000 would start them all.
  const int most_threads = 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  require(c.threads >= 0 && c.threads <= most_threads, "run.threads",
          "an integer in [0, " + std::to_string(most_threads) + "] (0: all cores; at most 4 per core)");
  require(c.report_every_s > 0, "run.report_every", "a number of seconds > 0");
  require(c.stop_timeout_s > 0 && c.stop_timeout_s <= 3600, "run.stop_timeout", "a number of seconds in (0, 3600]");

  const std::vector<std::string> names = r.children("models");
  if (names.empty())
    throw ConfigError("models: expected the models this run trains, e.g. models: {slow: {}} (kinds: " + kind_names(kinds) + ")");
  for (const auto& name : names) {
    c.learners.push_back(read_learner(r, name, c, kinds));
    c.learners.back().stage.threads = c.threads;
  }
  r.finish();
  c.yaml = r.resolved_yaml();
  return c;
}

}  // namespace

const LearnerConfig& RunConfig::learner(const std::string& name) const {
  if (name.empty() && learners.size() == 1) return learners.front();
  std::string names;
  for (const auto& l : learners) {
    if (l.name == name) return l;
    names += (names.empty() ? "" : ", ") + l.name;
  }
  if (name.empty()) throw ConfigError("this run trains " + names + ": pick one with --model NAME");
  throw ConfigError("--model " + name + ": this run trains " + names);
}

const LearnerKind& find_learner_kind(const LearnerKinds& kinds, const std::string& name, const std::string& key) {
  for (const auto* kind : kinds)
    if (name == kind->name) return *kind;
  throw ConfigError(key + ": expected a model kind (" + kind_names(kinds) + "), got '" + name + "'");
}

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides, const LearnerKinds& kinds) {
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
  return read_config(reader, kinds);
}

RunConfig parse_run_config(const std::string& yaml_text, const std::string& origin, const LearnerKinds& kinds) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ": not valid YAML (" + e.msg + ")");
  }
  ConfigReader reader(root, origin);
  return read_config(reader, kinds);
}

}  // namespace vidssl
