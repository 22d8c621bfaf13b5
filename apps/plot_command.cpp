#include "apps/plot_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace vidssl {

int plot_command(const std::string& run_folder, const std::string& out) {
  const std::string script = std::string(VIDSSL_SCRIPTS_DIR) + "/plot_run.py";
  if (!std::filesystem::exists(script)) throw std::runtime_error(script + ": plot script missing from the checkout");
  // Debian's python3 has matplotlib; a python3 earlier on PATH (pyenv, a venv) may not.
  const char* python = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  std::vector<const char*> argv{python, script.c_str(), run_folder.c_str()};
  if (!out.empty()) argv.push_back(out.c_str());
  argv.push_back(nullptr);
  const pid_t child = fork();
  if (child < 0) throw std::runtime_error("plot: cannot start python3");
  if (child == 0) {
    execvp(argv[0], const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status)) return 1;
  if (WEXITSTATUS(status) == 127) throw std::runtime_error("plot: python3 not found (install python3-matplotlib)");
  return WEXITSTATUS(status);
}

}  // namespace vidssl
