#include "models/training/checked_write.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace vidssl {

std::string write_checked(const std::string& path, const char* data, std::uint64_t size, FileSync sync) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return std::strerror(errno);
  constexpr std::uint64_t kChunk = 1 << 20;
  std::vector<char> zeros(data ? 0 : std::min(size, kChunk), 0);
  std::uint64_t done = 0;
  int error = 0;
  while (done < size && !error) {
    const std::size_t chunk = static_cast<std::size_t>(std::min(size - done, kChunk));
    errno = 0;
    if (std::fwrite(data ? data + done : zeros.data(), 1, chunk, f) != chunk) error = errno ? errno : EIO;
    done += chunk;
  }
  if (!error && std::fflush(f) != 0) error = errno ? errno : EIO;
  if (!error && sync == FileSync::yes && fsync(fileno(f)) != 0) error = errno;
  if (std::fclose(f) != 0 && !error) error = errno ? errno : EIO;
  return error ? std::strerror(error) : "";
}

}  // namespace vidssl
