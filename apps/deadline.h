#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace vidssl {

// Ends the process with one error line if a blocking step outlives its deadline. For the steps that
// nothing can interrupt from outside and that come before anything trains, so ending there loses
// nothing: opening a FIFO no writer has opened yet, reading the header of a stream that sends
// nothing. The step runs on the calling thread; a watcher thread waits for it.
//
//   {
//     Deadline deadline(5.0, "source clip.y4m: not open after 5.0 s (source.stall_timeout)");
//     source = open_source(options);
//   }  // in time: the watcher is released
class Deadline {
 public:
  Deadline(double seconds, std::string message);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable done_changed_;
  bool done_ = false;
  std::thread watcher_;
};

}  // namespace vidssl
