#pragma once

#include <string>

namespace vidssl {

// Whether a path is a stream that cannot be rewound and may come back after it ends: a FIFO (a
// named pipe another program writes), a character device, a socket. A source reading one is live:
// a resumed run continues from the frame that comes next instead of skipping what a checkpoint saw,
// and the end of its input (the writer closed the pipe) is waited out by reopening it.
bool is_live_input(const std::string& path);

// How long a live source waits before its next attempt to reopen its input: 0.25 s, doubling up to
// 8 s, so a camera plugged back in is found within seconds and one gone for good costs nothing.
// `attempt` counts from 1. FrameSource::reopen_with_backoff waits this way.
double reconnect_wait_s(int attempt);

}  // namespace vidssl
