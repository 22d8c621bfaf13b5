#include "stages/ffmpeg_log.h"

#include <algorithm>
#include <cstdarg>
#include <mutex>

extern "C" {
#include <libavdevice/avdevice.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
}

namespace vidssl {
namespace {

thread_local std::string t_last_log_error;

void log_to_last_error(void* context, int level, const char* format, va_list args) {
  if (level > AV_LOG_ERROR) return;
  char line[512];
  int print_prefix = 0;
  av_log_format_line2(context, level, format, args, line, sizeof line, &print_prefix);
  std::string text(line);
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (!text.empty()) t_last_log_error = std::move(text);
}

}  // namespace

void init_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_callback(log_to_last_error);
    avdevice_register_all();
  });
}

std::string ffmpeg_error_text(int error) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(error, text, sizeof text);
  return text;
}

std::string ffmpeg_failure_text(int error) {
  std::string text = t_last_log_error.empty() ? ffmpeg_error_text(error) : t_last_log_error;
  t_last_log_error.clear();
  return text;
}

void clear_ffmpeg_log() { t_last_log_error.clear(); }

}  // namespace vidssl
