#pragma once

namespace vidssl {

// How many threads decode a clip when source.decoder_threads is 0 (auto). Decoding runs at the
// clip's native size, before any scaling, so its cost follows the native pixels: one thread per
// started half megapixel (640×480: 1, 1280×720: 2, 1920×1080: 5, 3840×2160: 17), no more than the
// cores training leaves spare, never fewer than one, at most 16 (FFmpeg's decoders gain little past
// that). A second thread decodes 720p H.264 1.4× and 1080p 1.2× as fast on a 2-core VM (`vidssl bench
// --only decode`, 2026-12-01: 391 -> 547 and 174 -> 212 frames/s, testsrc2 at crf 23); real footage
// costs more per frame than that synthetic clip, and a 60 fps camera at 1080p leaves one thread
// little room while the machine also trains.
int auto_decoder_threads(int native_width, int native_height, int spare_cores);

// The cores a run leaves to decoding: all of them less one for the main and preprocessing threads,
// less what the learners use: on the CPU each learner's LibTorch threads (torch_threads, 0: all
// cores), on a GPU one launching thread per learner. 0 when training takes every core (the default
// on a CPU, where decoder threads would compete with training: measured 29 -> 40 steps/s end to
// end for Model A at 160×120 when FFmpeg's all-core choice was replaced by one thread).
int spare_cores(int cores, int learners, int torch_threads, bool on_gpu);

}  // namespace vidssl
