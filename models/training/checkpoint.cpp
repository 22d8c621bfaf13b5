#include "models/training/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/torch.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "models/torch_runtime.h"
#include "models/training/checked_write.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

constexpr const char* kPrefix = "step-";
constexpr const char* kTempPrefix = ".tmp-step-";

std::string checkpoint_name(std::int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "%s%010lld", kPrefix, static_cast<long long>(step));
  return name;
}

bool is_checkpoint_name(const std::string& name) {
  return name.rfind(kPrefix, 0) == 0 && name.size() > std::strlen(kPrefix);
}

void fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw std::runtime_error(path.string() + ": cannot open to sync: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error(path.string() + ": fsync failed: " + std::strerror(errno));
}

void write_file(const fs::path& path, const std::string& bytes) {
  throw_if_unwritten(path.string(), write_checked(path.string(), bytes.data(), bytes.size()));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": missing or unreadable (expected a vidssl checkpoint file)");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Writes tensors as torch::pickle_save does (the zip archive torch.load reads: the pickled dict, then
// each tensor's bytes as a record), straight to the file. pickle_save builds the whole archive in a
// vector grown by doubling: for a replay buffer of tens of MB, blocks of 1, 2, 4 … 64 MB at every
// checkpoint, the bulk of what a checkpoint allocated and freed (docs/benchmarks.md, issue 14).
void write_tensors(const fs::path& path, const std::map<std::string, torch::Tensor>& tensors) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, tensor] : tensors) dict.insert(name, tensor.detach().cpu().contiguous());
  std::vector<char> pickle;  // the dict's structure and references to the tensors: a few kB
  torch::jit::Pickler pickler([&](const char* bytes, size_t size) { pickle.insert(pickle.end(), bytes, bytes + size); });
  pickler.protocol();
  pickler.pushIValue(c10::IValue(dict));
  pickler.stop();
  CheckedFile file(path.string());
  {
    // The archive is told every write succeeded: a writer that reports a short write makes it throw
    // from its destructor, which ends the process. The file keeps the first failure; close() says it.
    caffe2::serialize::PyTorchStreamWriter archive([&](const void* data, size_t size) -> size_t {
      file.write(static_cast<const char*>(data), size);
      return size;
    });
    torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(), archive);
    archive.writeEndOfFile();
  }
  throw_if_unwritten(path.string(), file.close(FileSync::yes));
}

std::map<std::string, torch::Tensor> unpickle_tensors(const fs::path& path) {
  const std::string bytes = read_file(path);
  std::map<std::string, torch::Tensor> out;
  try {
    const auto value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
    for (const auto& entry : value.toGenericDict()) out[entry.key().toStringRef()] = entry.value().toTensor();
  } catch (const c10::Error& e) {
    throw std::runtime_error(path.string() + ": not a tensor dictionary written by vidssl (damaged file?)");
  }
  return out;
}

std::vector<fs::path> checkpoints_in(const fs::path& folder) {
  std::vector<fs::path> found;
  if (!fs::is_directory(folder)) return found;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_directory() && is_checkpoint_name(entry.path().filename().string()) &&
        fs::exists(entry.path() / "meta.json"))
      found.push_back(entry.path());
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

CheckpointStore::CheckpointStore(std::string run_dir, int keep_last)
    : folder_((fs::path(run_dir) / "checkpoints").string()), keep_last_(std::max(1, keep_last)) {
  fs::create_directories(folder_);
  for (const auto& entry : fs::directory_iterator(folder_))
    if (entry.path().filename().string().rfind(kTempPrefix, 0) == 0) fs::remove_all(entry.path());
}

std::string CheckpointStore::save(const CheckpointData& data) {
  const fs::path final_path = fs::path(folder_) / checkpoint_name(data.step);
  if (fs::exists(final_path / "meta.json")) return final_path.string();  // this step is already saved
  const fs::path temp = fs::path(folder_) / (kTempPrefix + std::to_string(data.step) + "-" + std::to_string(::getpid()));
  try {
    fs::remove_all(temp);
    fs::create_directories(temp);
    write_tensors(temp / "weights.pt", data.weights);
    write_tensors(temp / "state.pt", data.state);
    write_file(temp / "optimizer.pt", data.optimizer);
    write_file(temp / "config.yaml", data.config);
    std::ostringstream meta;
    meta << "{\"step\": " << data.step << ", \"model\": \"" << data.model << "\", \"learner\": \"" << data.learner << "\"}\n";
    write_file(temp / "meta.json", meta.str());
    fsync_path(temp, O_RDONLY | O_DIRECTORY);
    fs::remove_all(final_path);  // an incomplete folder of the same step (no meta.json)
    fs::rename(temp, final_path);
    fsync_path(folder_, O_RDONLY | O_DIRECTORY);
  } catch (const std::exception& e) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    throw std::runtime_error(std::string("checkpoint not written, the previous one is kept: ") + error_message(e));
  }
  auto older = checkpoints_in(folder_);  // sorted by step: cut after the one just written
  older.erase(std::upper_bound(older.begin(), older.end(), final_path), older.end());
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep_last_) < older.size(); ++i) fs::remove_all(older[i]);
  return final_path.string();
}

std::optional<std::string> CheckpointStore::latest() const {
  auto all = checkpoints_in(folder_);
  if (all.empty()) return std::nullopt;
  return all.back().string();
}

std::optional<std::string> CheckpointStore::newest(const std::string& dir) {
  auto all = checkpoints_in(fs::path(dir) / "checkpoints");
  if (all.empty()) return std::nullopt;
  return all.back().string();
}

std::vector<std::string> CheckpointStore::all(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& path : checkpoints_in(fs::path(dir) / "checkpoints")) out.push_back(path.string());
  return out;
}

std::string CheckpointStore::set_aside(const std::string& checkpoint_folder) {
  const fs::path from(checkpoint_folder);
  fs::path to = from.parent_path() / ("damaged-" + from.filename().string());
  for (int i = 2; fs::exists(to); ++i) to = from.parent_path() / ("damaged-" + from.filename().string() + "-" + std::to_string(i));
  fs::rename(from, to);
  return to.string();
}

CheckpointData CheckpointStore::load(const std::string& checkpoint_folder) {
  const fs::path folder(checkpoint_folder);
  CheckpointData data;
  data.weights = unpickle_tensors(folder / "weights.pt");
  data.state = unpickle_tensors(folder / "state.pt");
  data.optimizer = read_file(folder / "optimizer.pt");
  data.config = read_file(folder / "config.yaml");
  const std::string meta = read_file(folder / "meta.json");
  long long step = -1;
  char model[64] = {0};
  if (std::sscanf(meta.c_str(), "{\"step\": %lld, \"model\": \"%63[^\"]\"", &step, model) != 2)
    throw std::runtime_error((folder / "meta.json").string() + ": expected {\"step\": N, \"model\": \"…\"}");
  data.step = step;
  data.model = model;
  char learner[64] = {0};
  const auto at = meta.find("\"learner\": \"");
  if (at != std::string::npos && std::sscanf(meta.c_str() + at, "\"learner\": \"%63[^\"]\"", learner) == 1) data.learner = learner;
  return data;
}

}  // namespace vidssl
