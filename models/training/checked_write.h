#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace vidssl {

// Whether a written file is fsynced before it is closed: checkpoints and the run's config must
// survive a power cut; a live-view PNG need not.
enum class FileSync { yes, no };

// A file written in pieces with every step checked (open, each write, flush, sync, close): the one
// place the run folder's files (config.yaml, checkpoints, pictures, the room probe) are written, so
// that a full disk or a file-size limit is always seen and named. A checkpoint's tensors stream
// through it from memory to the file, with no archive built in memory first.
//
//   CheckedFile file(path);
//   file.write(header.data(), header.size());
//   file.write(tensor_bytes, n);
//   if (const std::string why = file.close(FileSync::yes); !why.empty()) fail(path + ": " + why);
class CheckedFile {
 public:
  explicit CheckedFile(const std::string& path);
  ~CheckedFile();
  CheckedFile(const CheckedFile&) = delete;
  CheckedFile& operator=(const CheckedFile&) = delete;

  // Appends `size` bytes (zeros when data is null); false once anything failed (see close()).
  bool write(const char* data, std::uint64_t size);
  // Flushes, syncs as asked and closes; "" on success, else why the first failure happened
  // (strerror's text, e.g. "No space left on device").
  std::string close(FileSync sync = FileSync::yes);

 private:
  std::FILE* file_ = nullptr;
  int error_ = 0;
};

// A whole file through CheckedFile: "" on success, else why not. With data == nullptr it writes
// `size` zero bytes: how the run folder proves there is room for a checkpoint.
std::string write_checked(const std::string& path, const char* data, std::uint64_t size, FileSync sync = FileSync::yes);

// Throws std::runtime_error "<path>: cannot write (<why>)" when `why` (from write_checked or
// CheckedFile::close) is not empty: every failed write of the run folder reads the same way.
void throw_if_unwritten(const std::string& path, const std::string& why);

}  // namespace vidssl
