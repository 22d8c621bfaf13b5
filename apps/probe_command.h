#pragma once

#include <string>
#include <vector>

namespace vidssl {

// `vidssl probe SOURCE [--set source.KEY=VALUE]...`: one JSON object per clip on stdout, saying
// what a run with those source keys would deliver (probe_source). Exit status 0 when at least one
// clip can be read, 1 when none can; a bad key throws ConfigError.
int probe_command(const std::string& source, const std::vector<std::string>& overrides);

}  // namespace vidssl
