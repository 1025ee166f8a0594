// inspector/read/pipes.cc — see pipes.h.
#include "inspector/read/pipes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

namespace gleak::inspector {

namespace {

// Fd closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::string pipe_name(uint64_t inode, int fd) {
  return "pipe:[" + std::to_string(inode) + "] (fd " + std::to_string(fd) + ")";
}

// copy_pending() copies what `src` (the target's pipe, opened anew) holds, up to
// `limit` bytes, into `out` by way of a pipe of our own; "" or why it could not.
std::string copy_pending(int src, std::size_t limit, std::string& out) {
  int avail = 0;
  if (::ioctl(src, FIONREAD, &avail) != 0) return std::string("FIONREAD: ") + std::strerror(errno);
  if (avail <= 0) return "";
  std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(avail), limit);
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return std::string("pipe2: ") + std::strerror(errno);
  Fd rd(p[0]), wr(p[1]);
  // Our pipe must hold all of it: tee() always starts at the front of the source.
  int cap = ::fcntl(src, F_GETPIPE_SZ);
  if (cap > 0) (void)::fcntl(wr.fd, F_SETPIPE_SZ, cap);
  ssize_t got = ::tee(src, wr.fd, want, SPLICE_F_NONBLOCK);
  if (got < 0) {
    if (errno == EAGAIN) return "";  // emptied meanwhile: the target runs
    return std::string("tee: ") + std::strerror(errno);
  }
  out.resize(static_cast<std::size_t>(got));
  std::size_t have = 0;
  while (have < out.size()) {
    ssize_t n = ::read(rd.fd, out.data() + have, out.size() - have);
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
  }
  out.resize(have);
  if (have < static_cast<std::size_t>(avail)) {
    return "only " + std::to_string(have) + " of its " + std::to_string(avail) + " bytes were copied" +
           (have == limit ? " (the limit on pipe contents kept was reached)" : "");
  }
  return "";
}

}  // namespace

uint64_t pipe_link_inode(const std::string& link) {
  static constexpr char kPrefix[] = "pipe:[";
  constexpr std::size_t kLen = sizeof kPrefix - 1;
  if (link.size() < kLen + 2 || link.compare(0, kLen, kPrefix) != 0 || link.back() != ']') return 0;
  uint64_t v = 0;
  for (std::size_t i = kLen; i + 1 < link.size(); ++i) {
    char c = link[i];
    if (c < '0' || c > '9') return 0;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (~uint64_t{0} - d) / 10) return 0;  // does not fit
    v = v * 10 + d;
  }
  return v;
}

PipeScan pending_pipe_bytes(pid_t pid, std::size_t max_bytes) {
  PipeScan out;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    out.notes.push_back("its pipes could not be listed (" + dir + ": " + std::strerror(errno) + ")");
    return out;
  }
  DIR* d = ::fdopendir(dfd);
  if (!d) {
    ::close(dfd);
    out.notes.push_back("its pipes could not be listed (" + dir + ": " + std::strerror(errno) + ")");
    return out;
  }
  std::map<uint64_t, int> pipes;  // inode -> lowest fd
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd < 0) continue;
    char link[64];
    ssize_t n = ::readlinkat(dfd, e->d_name, link, sizeof link - 1);
    if (n <= 0) continue;
    uint64_t ino = pipe_link_inode(std::string(link, static_cast<std::size_t>(n)));
    if (ino == 0) continue;
    auto [it, fresh] = pipes.emplace(ino, static_cast<int>(fd));
    if (!fresh) it->second = std::min(it->second, static_cast<int>(fd));
  }
  std::size_t left = max_bytes;
  for (auto [ino, fd] : pipes) {
    // Opening the link opens the pipe itself (either end may be named); O_NONBLOCK
    // never waits for a writer.
    Fd src(::openat(dfd, std::to_string(fd).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (src.fd < 0) {
      out.notes.push_back(pipe_name(ino, fd) + " could not be opened: " + std::strerror(errno));
      continue;
    }
    struct stat st{};
    if (::fstat(src.fd, &st) != 0 || !S_ISFIFO(st.st_mode) || st.st_ino != ino) continue;  // replaced meanwhile
    if (left == 0) {
      out.notes.push_back(pipe_name(ino, fd) + " was not read: " + std::to_string(max_bytes) +
                          " bytes of pipe contents already kept");
      continue;
    }
    PipeBuffer b{ino, fd, {}};
    std::string why = copy_pending(src.fd, left, b.bytes);
    if (!why.empty()) out.notes.push_back(pipe_name(ino, fd) + ": " + why);
    if (b.bytes.empty()) continue;
    left -= b.bytes.size();
    out.pipes.push_back(std::move(b));
  }
  ::closedir(d);  // closes dfd
  return out;
}

}  // namespace gleak::inspector
