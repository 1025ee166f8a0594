// The bytes waiting in a process's pipes (inspector/read/pipes.h), read without taking
// them: here the process reads its own pipes, then checks they still hold every byte.
#include "inspector/read/pipes.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace gi = gleak::inspector;

namespace {

// Pipe is a pipe of this process, closed at the end of the test.
struct Pipe {
  int rd = -1, wr = -1;
  Pipe() {
    int p[2];
    EXPECT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    rd = p[0];
    wr = p[1];
  }
  ~Pipe() {
    ::close(rd);
    ::close(wr);
  }
  uint64_t inode() const {
    struct stat st{};
    EXPECT_EQ(::fstat(rd, &st), 0);
    return st.st_ino;
  }
  void put(const std::string& s) const { ASSERT_EQ(::write(wr, s.data(), s.size()), static_cast<ssize_t>(s.size())); }
  std::string take() const {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(rd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

const gi::PipeBuffer* find(const gi::PipeScan& s, uint64_t inode) {
  for (const gi::PipeBuffer& b : s.pipes) {
    if (b.inode == inode) return &b;
  }
  return nullptr;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i * 7 % 26);
  return s;
}

TEST(PipeLink, OnlyAnonymousPipesHaveAnInode) {
  EXPECT_EQ(gi::pipe_link_inode("pipe:[4242]"), 4242u);
  EXPECT_EQ(gi::pipe_link_inode("pipe:[18446744073709551615]"), 18446744073709551615u);
  EXPECT_EQ(gi::pipe_link_inode("pipe:[18446744073709551616]"), 0u);  // does not fit
  EXPECT_EQ(gi::pipe_link_inode("socket:[4242]"), 0u);
  EXPECT_EQ(gi::pipe_link_inode("pipe:[]"), 0u);
  EXPECT_EQ(gi::pipe_link_inode("pipe:[12a]"), 0u);
  EXPECT_EQ(gi::pipe_link_inode("pipe:[12"), 0u);
  EXPECT_EQ(gi::pipe_link_inode("/tmp/pipe:[12]"), 0u);
}

TEST(PendingPipeBytes, CopiesWhatWaitsAndLeavesItThere) {
  Pipe a, empty;
  std::string msg = "\x10\x32\x54\x76\x98\xba\xdc\xfe request one";
  a.put(msg);
  a.put("and two");
  gi::PipeScan s = gi::pending_pipe_bytes(::getpid(), 1 << 20);
  const gi::PipeBuffer* b = find(s, a.inode());
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->bytes, msg + "and two");
  EXPECT_EQ(b->fd, a.rd);  // the lower of its two descriptors
  EXPECT_EQ(find(s, empty.inode()), nullptr);  // nothing waits in it
  EXPECT_EQ(a.take(), msg + "and two");        // still all there, in order
}

TEST(PendingPipeBytes, ReadsPastWhatWasAlreadyTaken) {
  Pipe a;
  a.put("consumed|");
  char buf[9];
  ASSERT_EQ(::read(a.rd, buf, sizeof buf), 9);
  a.put("pending");
  gi::PipeScan s = gi::pending_pipe_bytes(::getpid(), 1 << 20);
  const gi::PipeBuffer* b = find(s, a.inode());
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->bytes, "pending");
}

TEST(PendingPipeBytes, ABigPipeIsCopiedWhole) {
  Pipe a;
  int cap = ::fcntl(a.wr, F_SETPIPE_SZ, 1 << 20);
  if (cap < (1 << 20)) GTEST_SKIP() << "this system does not allow 1 MiB pipes";
  std::string big = pattern(900'000);
  a.put(big);
  gi::PipeScan s = gi::pending_pipe_bytes(::getpid(), 8 << 20);
  const gi::PipeBuffer* b = find(s, a.inode());
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->bytes.size(), big.size());
  EXPECT_TRUE(b->bytes == big);
  EXPECT_EQ(a.take().size(), big.size());
}

TEST(PendingPipeBytes, KeepsNoMoreThanItIsAllowedAndSaysSo) {
  Pipe a, b;
  a.put(pattern(100));
  b.put(pattern(100));
  gi::PipeScan s = gi::pending_pipe_bytes(::getpid(), 150);
  std::size_t kept = 0;
  for (const gi::PipeBuffer& p : s.pipes) kept += p.bytes.size();
  EXPECT_LE(kept, 150u);
  EXPECT_FALSE(s.notes.empty());  // what was left out is named
  EXPECT_EQ(a.take().size(), 100u);
  EXPECT_EQ(b.take().size(), 100u);
}

TEST(PendingPipeBytes, NamedFifosAreNotRead) {
  char dir[] = "/tmp/gleak-pipes-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "named", 5), 5);
  struct stat st{};
  ASSERT_EQ(::fstat(fd, &st), 0);
  gi::PipeScan s = gi::pending_pipe_bytes(::getpid(), 1 << 20);
  EXPECT_EQ(find(s, st.st_ino), nullptr);
  ::close(fd);
  ::unlink(path.c_str());
  ::rmdir(dir);
}

TEST(PendingPipeBytes, AProcessThatIsGoneIsANote) {
  gi::PipeScan s = gi::pending_pipe_bytes(0x7ffffff0, 1 << 20);
  EXPECT_TRUE(s.pipes.empty());
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_NE(s.notes[0].find("could not be listed"), std::string::npos);
}

}  // namespace
