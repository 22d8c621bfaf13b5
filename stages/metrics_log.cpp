#include "stages/metrics_log.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace vidssl {

MetricsLog::MetricsLog(const std::string& path) : path_(path), out_(path, std::ios::app) {
  if (!out_) throw std::runtime_error(path + ": cannot open for writing");
}

void MetricsLog::write(const std::string& json_line) {
  std::lock_guard<std::mutex> lock(mutex_);
  errno = 0;
  out_ << json_line << '\n';
  out_.flush();
  if (!out_) {
    const int error = errno;
    out_.clear();  // a later line may fit once room is made; this one is reported
    throw std::runtime_error(path_ + ": cannot write a line" + (error ? std::string(" (") + std::strerror(error) + ")" : std::string()));
  }
}

}  // namespace vidssl
