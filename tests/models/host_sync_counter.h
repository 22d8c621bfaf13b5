#pragma once

#include <ATen/record_function.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>

namespace vidssl {

// Counts the ATen ops the calling thread runs that make the host wait for the device: a scalar
// read (item(), a tensor in an `if`: _local_scalar_dense), a comparison answered on the host
// (equal) and ops whose output size depends on the data (nonzero, masked_select, unique). On the
// CPU nothing waits, but the ops are the same: counting them here shows what a step would do to
// a GPU. Copies to the host go through read_to_host() (models/training/host_read.h) and are
// counted there.
//
//   HostSyncCounter syncs;
//   learner.train(clips);
//   EXPECT_EQ(syncs.total(), 0) << syncs.report();
class HostSyncCounter {
 public:
  // Which ops count: all of them (a learner on the CPU: its ops are the ones a GPU would run), or
  // only those with an input on a device (a learner that also works on host tensors by design,
  // Model C's labels: there only a GPU run tells the two apart).
  enum class Count { every_op, device_inputs_only };

  explicit HostSyncCounter(Count count = Count::every_op) {
    counts().clear();
    device_inputs_only() = count == Count::device_inputs_only;
    handle_ = at::addThreadLocalCallback(at::RecordFunctionCallback(&on_start).needsInputs(count == Count::device_inputs_only));
  }
  ~HostSyncCounter() { at::removeCallback(handle_); }
  HostSyncCounter(const HostSyncCounter&) = delete;
  HostSyncCounter& operator=(const HostSyncCounter&) = delete;

  std::int64_t total() const {
    std::int64_t n = 0;
    for (const auto& [op, count] : counts()) n += count;
    return n;
  }
  // "aten::_local_scalar_dense x3, ..." for a failure message.
  std::string report() const {
    std::string out;
    for (const auto& [op, count] : counts()) out += (out.empty() ? "" : ", ") + op + " x" + std::to_string(count);
    return out.empty() ? "none" : out;
  }

 private:
  static std::map<std::string, std::int64_t>& counts() {
    thread_local std::map<std::string, std::int64_t> by_op;
    return by_op;
  }
  static bool& device_inputs_only() {
    thread_local bool only = false;
    return only;
  }
  static bool has_device_input(const at::RecordFunction& fn) {
    for (const auto& input : fn.inputs())
      if (input.isTensor() && input.toTensor().defined() && !input.toTensor().device().is_cpu()) return true;
    return false;
  }
  static std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
    static const char* const waiting[] = {"aten::_local_scalar_dense", "aten::equal",      "aten::nonzero", "aten::masked_select",
                                          "aten::_unique2",            "aten::unique_dim", "aten::unique_consecutive"};
    for (const char* op : waiting)
      if (std::strcmp(fn.name(), op) == 0 && (!device_inputs_only() || has_device_input(fn))) ++counts()[op];
    return nullptr;
  }

  at::CallbackHandle handle_;
};

}  // namespace vidssl
