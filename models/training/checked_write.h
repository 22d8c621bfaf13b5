#pragma once

#include <cstdint>
#include <string>

namespace vidssl {

// Whether a written file is fsynced before the write returns: checkpoints and the run's config must
// survive a power cut; a live-view PNG need not.
enum class FileSync { yes, no };

// Writes a whole file checking every step (open, each write, flush, sync, close): the one place the
// run folder's files (config.yaml, checkpoints, pictures, the room probe) are written, so that a full
// disk or a file-size limit is always seen and named. Returns "" on success, else why it failed
// (strerror's text, e.g. "No space left on device"). With data == nullptr it writes `size` zero
// bytes: how the run folder proves there is room for a checkpoint.
std::string write_checked(const std::string& path, const char* data, std::uint64_t size, FileSync sync = FileSync::yes);

}  // namespace vidssl
