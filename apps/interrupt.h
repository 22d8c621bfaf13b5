#pragma once

namespace vidssl {

// SIGINT, SIGTERM and SIGHUP for a run: the first asks for a clean stop (drain, checkpoint, flush), a second
// one for an immediate abort. The handler only sets a flag (async-signal-safe); the main loop
// reads it.
void install_interrupt_handler();
// 0: none; 1: stop requested; 2 or more: abort.
int interrupt_count();

}  // namespace vidssl
