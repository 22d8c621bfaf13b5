#include "apps/interrupt.h"

#include <csignal>

namespace vidssl {
namespace {

volatile std::sig_atomic_t interrupts = 0;

extern "C" void on_interrupt(int) {
  if (interrupts < 100) interrupts = interrupts + 1;
}

}  // namespace

void install_interrupt_handler() {
  interrupts = 0;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::signal(SIGHUP, on_interrupt);  // a closed terminal or ssh session: checkpoint and stop, as on SIGTERM
}

int interrupt_count() { return interrupts; }

}  // namespace vidssl
