#include "stages/frame_source.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "stages/live_input.h"

namespace vidssl {

void FrameSource::reopen_with_backoff(const std::string& path, std::int32_t clip, const std::function<void()>& open) {
  using SteadyClock = std::chrono::steady_clock;
  const auto started = SteadyClock::now();
  reconnecting_.store(true, std::memory_order_release);
  for (int attempt = 1;; ++attempt) {
    try {
      open();
      break;
    } catch (const SourceError& e) {
      if (attempt == 1) warn(std::string(e.what()) + "; trying again");
      std::this_thread::sleep_for(std::chrono::duration<double>(reconnect_wait_s(attempt)));
    }
  }
  const auto now = SteadyClock::now();
  reconnected_at_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count(), std::memory_order_release);
  reconnecting_.store(false, std::memory_order_release);
  char line[64];
  std::snprintf(line, sizeof line, ": reopened after %.1f s (clip %d)", std::chrono::duration<double>(now - started).count(), clip);
  warn(path + line);
}

}  // namespace vidssl
