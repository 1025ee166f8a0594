// Port of nerdctl's Tigron command wrapper hang (containerd/nerdctl#4231): the stdin
// feeder, stdout and stderr copiers run in an errgroup whose context has the command's
// timeout. On timeout the process is killed and the copiers end, but a feeder that loops
// for ever stays blocked writing to the dead process' stdin pipe (an errgroup does not
// stop on its context's deadline), so ioGroup.Wait() never returns. Two test cases with
// such a feeder leak a feeder and a waiting test goroutine each.
// gleak-expect: leaked 2 run_command chan send
// gleak-expect: leaked 2 run_command sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

// A child process with pipes: it reads stdin while it needs input, writes output, then
// hangs until it is killed.
struct Process {
  gleak::Chan<std::string> stdin_pipe{0};
  gleak::Chan<std::string> stdout_pipe{0};
  gleak::Chan<std::string> stderr_pipe{0};
  gleak::Chan<gleak::Unit> kill{0};
  gleak::Chan<int> exited{1};
};

std::shared_ptr<Process> start_process(int reads) {
  auto p = std::make_shared<Process>();
  gleak::go([p, reads] {
    for (int i = 0; i < reads; ++i) {
      std::optional<std::string> in = p->stdin_pipe.recv();
      p->stdout_pipe.send("read " + std::to_string(in ? in->size() : 0) + " bytes");
    }
    p->stderr_pipe.send("waiting for confirmation...");
    p->kill.recv();  // hangs until killed
    p->stdout_pipe.close();
    p->stderr_pipe.close();
    p->exited.send(137);
  });
  return p;
}

struct Result {
  std::string stdout_text;
  std::string stderr_text;
  int exit_code = 0;
  bool timed_out = false;
};

struct Command {
  std::string binary;
  gleak::Duration timeout;
  std::function<std::string()> feeder;  // what to write on stdin, "" for EOF
};

Result run_command(const Command& cmd) {
  Result res;
  gleak::WithCancel wc = gleak::with_timeout(gleak::background(), cmd.timeout);
  auto [io_group, io_ctx] = gleak::ErrGroup::with_context(wc.ctx);
  std::shared_ptr<Process> proc = start_process(3);
  auto out = std::make_shared<std::string>();
  auto err = std::make_shared<std::string>();
  io_group.go([proc, feeder = cmd.feeder] {
    for (;;) {
      std::string chunk = feeder();
      if (chunk.empty()) break;
      proc->stdin_pipe.send(chunk);  // blocks for ever once the process is gone
    }
  });
  io_group.go([proc, out] {
    for (std::string& s : proc->stdout_pipe) *out += s + "\n";
  });
  io_group.go([proc, err] {
    for (std::string& s : proc->stderr_pipe) *err += s + "\n";
  });
  gleak::select(gleak::recv_case(proc->exited, [&](std::optional<int> code) { res.exit_code = code.value_or(-1); }),
                gleak::recv_case(wc.ctx.done(), [&](std::optional<gleak::Unit>) {
                  res.timed_out = true;
                  proc->kill.close();
                }));
  io_group.wait();  // BUG: the feeder never returns
  wc.cancel();
  res.stdout_text = *out;
  res.stderr_text = *err;
  return res;
}

}  // namespace

int main() {
  return gleak::run([] {
    auto finished = std::make_shared<int>(0);
    // The test runner runs each case in its own goroutine.
    for (const char* name : {"TestImageRemoveInteractive", "TestVolumePruneConfirm"}) {
      gleak::go([name, finished] {
        Command cmd{"nerdctl", 30ms, [] { return std::string("y\n"); }};  // `yes | nerdctl ...`
        Result r = run_command(cmd);
        std::printf("%s: exit %d timed out %d\n", name, r.exit_code, r.timed_out);
        ++*finished;
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The runner's progress reporter keeps going.
    long reported = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      reported += *finished + 1;
      if (tick % 1000 == 999) std::printf("reported %ld\n", reported);
    }
  });
}
