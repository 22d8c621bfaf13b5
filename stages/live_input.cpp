#include "stages/live_input.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>

namespace vidssl {

bool is_live_input(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return false;
  return S_ISFIFO(info.st_mode) || S_ISCHR(info.st_mode) || S_ISSOCK(info.st_mode);
}

double reconnect_wait_s(int attempt) { return std::min(8.0, 0.25 * std::pow(2.0, std::max(0, attempt - 1))); }

}  // namespace vidssl
