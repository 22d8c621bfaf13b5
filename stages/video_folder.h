#pragma once

#include <string>
#include <vector>

namespace vidssl {

// The clips of a folder, in the order a folder source reads them: its regular files with a video
// extension (.mp4, .mkv, .webm, .avi, …, any case), sorted by name; hidden files and sub-folders
// are not clips. Throws SourceError when the folder cannot be listed or holds no video file.
std::vector<std::string> list_video_files(const std::string& folder);

}  // namespace vidssl
