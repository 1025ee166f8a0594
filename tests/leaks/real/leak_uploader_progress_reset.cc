// An upload job reports progress on an unbuffered channel that the UI side reads from
// the job object. When the user cancels, the UI resets its std::unique_ptr<Upload> —
// its handle on the channel goes with it — but the transfer goroutine is not told and
// blocks at its next progress report.
// gleak-expect: leaked 1 Upload chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

class Upload {
 public:
  Upload(std::string file, int parts) : file_(std::move(file)), parts_(parts) {}
  void start() {
    gleak::go([progress = progress_, parts = parts_] {
      for (int p = 1; p <= parts; ++p) {
        gleak::sleep(3ms);  // PUT part p
        progress.send(p * 100 / parts);
      }
      progress.close();
    });
  }
  // poll returns the latest percentage without blocking.
  std::optional<int> poll() {
    std::optional<int> pct;
    gleak::select(gleak::recv_case(progress_, [&](std::optional<int> v) { pct = v; }), gleak::default_case([] {}));
    return pct;
  }

 private:
  std::string file_;
  int parts_;
  gleak::Chan<int> progress_{0};
};

struct UploadPanel {
  std::unique_ptr<Upload> current;
  int shown = 0;
  void on_cancel() { current.reset(); }  // BUG: the transfer goroutine keeps going
};

}  // namespace

int main() {
  return gleak::run([] {
    UploadPanel panel;
    panel.current = std::make_unique<Upload>("/home/ana/video.mp4", 200);
    panel.current->start();
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (panel.current) {
        if (auto pct = panel.current->poll()) panel.shown = *pct;
        if (tick == 4) panel.on_cancel();  // the user clicks Cancel
      }
      if (tick % 1000 == 999) std::printf("shown %d\n", panel.shown);
    }
  });
}
