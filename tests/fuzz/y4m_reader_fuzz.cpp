// libFuzzer target for the Y4M parser (Y4mReader and the header parser need the standard library
// alone). Built and run by scripts/fuzz.sh y4m with clang; the deterministic mutation test
// (tests/stages/y4m_fuzz_test.cpp) covers the same ground in every ctest run.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

#include "stages/y4m_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    vidssl::Y4mReader reader(in);
    while (reader.read_frame()) {
      if (reader.planes().size() != reader.header().frame_bytes()) std::abort();
    }
    // Memory follows the bytes read: 64 KiB first, then doubling, then std::vector's own growth.
    if (reader.planes().capacity() > 4 * size + (std::size_t{1} << 17)) std::abort();
  } catch (const std::invalid_argument&) {
    // A refused header is a correct outcome.
  }
  return 0;
}
