#include "stages/video_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "stages/frame_source.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

const char* const kVideoExtensions[] = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg",
                                         ".ts",  ".mts", ".m2ts", ".flv", ".wmv", ".ogv", ".3gp", ".y4m"};

bool is_video_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(std::begin(kVideoExtensions), std::end(kVideoExtensions), ext) != std::end(kVideoExtensions);
}

}  // namespace

std::vector<std::string> list_video_files(const std::string& folder) {
  std::vector<fs::path> found;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    std::error_code not_regular;
    if (!name.empty() && name[0] != '.' && it->is_regular_file(not_regular) && is_video_file(it->path()))
      found.push_back(it->path());
  }
  if (error) throw SourceError(folder + ": cannot list the folder: " + error.message() + " (expected a readable folder of clips)");
  if (found.empty())
    throw SourceError(folder + ": no video files in the folder (expected files such as .mp4, .avi, .mkv, .webm)");
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return {found.begin(), found.end()};
}

}  // namespace vidssl
