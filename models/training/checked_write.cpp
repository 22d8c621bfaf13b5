#include "models/training/checked_write.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace vidssl {

CheckedFile::CheckedFile(const std::string& path) : file_(std::fopen(path.c_str(), "wb")) {
  if (!file_) error_ = errno ? errno : EIO;
}

CheckedFile::~CheckedFile() {
  if (file_) std::fclose(file_);
}

bool CheckedFile::write(const char* data, std::uint64_t size) {
  constexpr std::uint64_t kChunk = 1 << 20;
  static const std::vector<char> zeros(kChunk, 0);
  for (std::uint64_t done = 0; done < size && !error_;) {
    const std::size_t chunk = static_cast<std::size_t>(std::min(size - done, kChunk));
    errno = 0;
    if (std::fwrite(data ? data + done : zeros.data(), 1, chunk, file_) != chunk) error_ = errno ? errno : EIO;
    done += chunk;
  }
  return error_ == 0;
}

std::string CheckedFile::close(FileSync sync) {
  if (file_) {
    if (!error_ && std::fflush(file_) != 0) error_ = errno ? errno : EIO;
    if (!error_ && sync == FileSync::yes && fsync(fileno(file_)) != 0) error_ = errno;
    if (std::fclose(file_) != 0 && !error_) error_ = errno ? errno : EIO;
    file_ = nullptr;
  }
  return error_ ? std::strerror(error_) : "";
}

std::string write_checked(const std::string& path, const char* data, std::uint64_t size, FileSync sync) {
  CheckedFile file(path);
  file.write(data, size);
  return file.close(sync);
}

void throw_if_unwritten(const std::string& path, const std::string& why) {
  if (!why.empty()) throw std::runtime_error(path + ": cannot write (" + why + ")");
}

}  // namespace vidssl
