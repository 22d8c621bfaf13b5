#include "stages/source_geometry.h"

#include <algorithm>
#include <cmath>

#include "stages/y4m_header.h"

namespace vidssl {

void check_source_options(const SourceOptions& options) {
  if (options.channels != 1 && options.channels != 3)
    throw SourceError(options.path + ": expected channels 1 (luma) or 3 (YUV), got " +
                      std::to_string(options.channels));
  const auto in_range = [](int side) { return side >= 0 && side <= Y4mHeader::kMaxSide; };
  if (!in_range(options.width) || !in_range(options.height))
    throw SourceError(options.path + ": expected an output size between 0 (native) and " +
                      std::to_string(Y4mHeader::kMaxSide) + ", got " + std::to_string(options.width) + "x" +
                      std::to_string(options.height));
}

OutputSize output_size(const SourceOptions& options, int native_width, int native_height) {
  OutputSize size{options.width, options.height};
  if (size.width == 0 && size.height == 0) return {native_width, native_height};
  const double aspect = static_cast<double>(native_width) / std::max(native_height, 1);
  if (size.width == 0) size.width = std::max(1, static_cast<int>(std::lround(size.height * aspect)));
  if (size.height == 0) size.height = std::max(1, static_cast<int>(std::lround(size.width / aspect)));
  return size;
}

}  // namespace vidssl
