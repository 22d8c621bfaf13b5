#include "apps/launch_command.h"

#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <stdexcept>

#include "models/distributed/rendezvous.h"
#include "stages/config_reader.h"

namespace vidssl {

int launch_command(const LaunchArgs& args) {
  if (args.ranks < 1 || args.ranks > 256)
    throw ConfigError("launch -n: expected a number of ranks in [1, 256], got " + std::to_string(args.ranks));
  if (args.run_args.empty()) throw ConfigError("launch: expected a config after -n N, as for vidssl run");
  const int port = args.port > 0 ? args.port : free_loopback_port();
  spdlog::info("launch: {} ranks of vidssl run {}, store at 127.0.0.1:{}", args.ranks, args.run_args.front(), port);
  std::map<pid_t, int> ranks;  // pid -> rank
  for (int rank = 0; rank < args.ranks; ++rank) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("launch: cannot start rank " + std::to_string(rank));
    if (pid == 0) {
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(args.ranks).c_str(), 1);
      std::vector<std::string> argv{"vidssl", "run"};
      argv.insert(argv.end(), args.run_args.begin(), args.run_args.end());
      std::vector<char*> pointers;
      for (auto& a : argv) pointers.push_back(a.data());
      pointers.push_back(nullptr);
      ::execv("/proc/self/exe", pointers.data());
      std::_Exit(127);
    }
    ranks[pid] = rank;
  }
  int result = 0;
  while (!ranks.empty()) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) break;
    const auto at = ranks.find(pid);
    if (at == ranks.end()) continue;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0) {
      spdlog::error("launch: rank {} ended with status {}", at->second, code);
      if (result == 0) result = code;
    }
    ranks.erase(at);
  }
  return result;
}

}  // namespace vidssl
