#pragma once

#include <string>

namespace vidssl {

// FFmpeg logs through one process-wide callback. Nothing of it may reach stdout/stderr (the status
// line and the metrics are the run's only voices), but the text of the last error explains a failed
// call better than the error code ("moov atom not found" versus "Invalid data found"), so the calling
// thread keeps it. Every user of libav* calls init_ffmpeg() first.
void init_ffmpeg();

// The error FFmpeg logged on this thread since the last call, else the error code's text; clears it.
std::string ffmpeg_failure_text(int error);

// Forgets what was logged on this thread, so that a following ffmpeg_failure_text names this call's
// failure and not an earlier one.
void clear_ffmpeg_log();

// The text of an FFmpeg error code (AVERROR(ENOSPC) → "No space left on device").
std::string ffmpeg_error_text(int error);

}  // namespace vidssl
