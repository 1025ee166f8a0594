// What the inspector trusts (inspector/read/arena_file.cc, and the liveness check in
// reader.cc): only arenas in a directory that is the user's own and no one else may
// write, only regular files, no links, and a live process only if it is the very one
// that wrote the arena. Each case plants or bends a file the way another local user or
// a reused pid would.
#include "inspector/read/arena_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "inspector/errors.h"
#include "inspector/read/reader.h"
#include "tests/child_process.h"

namespace gi = gleak::inspector;
using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::run_command;
using gleak::testing_support::stopped_threads;

namespace {

int run_cli(const std::string& args, std::string* out) {
  return run_command("timeout 60 " + std::string(GLEAK_CLI) + " " + args + " 2>&1", out);
}

// proc_state() is the state letter of a process (field 3 of /proc/<pid>/stat).
char proc_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() ? text[close + 2] : '?';
}

void copy_file(const std::string& from, const std::string& to) {
  std::string cmd = "cp '" + from + "' '" + to + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
}

template <class T>
void patch(const std::string& path, std::size_t offset, const T& value) {
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, &value, sizeof value, static_cast<off_t>(offset)), static_cast<ssize_t>(sizeof value));
  close(fd);
}

// A server's arena, copied once the server is ready (then the server is gone).
std::string dead_arena(const ArenaDir& dir, const std::string& name) {
  Child server({GLEAK_STUCK_SERVER});
  EXPECT_TRUE(server.wait_for("ready"));
  std::string copy = dir.path() + "/" + name;
  copy_file(gi::find_arena(server.pid()), copy);
  return copy;
}

// nobodys_dir() makes <base>/theirs, the private arena directory of uid 65534, and
// the GLEAK_DIR of the processes started next.
std::string nobodys_dir(const ArenaDir& base) {
  std::string theirs = base.path() + "/theirs";
  EXPECT_EQ(mkdir(theirs.c_str(), 0700), 0);
  EXPECT_EQ(chown(theirs.c_str(), 65534, 65534), 0);
  EXPECT_EQ(chmod(base.path().c_str(), 0755), 0);
  setenv("GLEAK_DIR", theirs.c_str(), 1);
  return theirs;
}

TEST(FindArena, ADirectoryOthersMayWriteIsNotSearched) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  ASSERT_EQ(chmod(dir.path().c_str(), 0777), 0);
  try {
    gi::read_pid(server.pid());
    FAIL() << "read an arena from a world-writable directory";
  } catch (const gi::InspectError& e) {
    EXPECT_EQ(e.code(), gi::ErrorCode::kPermission);
    EXPECT_NE(std::string(e.what()).find("may be written by other users"), std::string::npos) << e.what();
  }
  std::string out;
  EXPECT_EQ(run_cli("leaks " + std::to_string(server.pid()), &out), 5) << out;
  EXPECT_EQ(proc_state(server.pid()), 'S');  // never stopped
}

TEST(FindArena, AnArenaPlantedInAnotherUsersDirectoryNeverStopsOurProcess) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  // Another user made the directory first and planted an arena for a pid of ours in it.
  ArenaDir mine;
  std::string planted = dead_arena(mine, "planted");
  ArenaDir theirs;
  Child victim({"/bin/sleep", "1000"});
  std::string path = theirs.path() + "/" + std::to_string(victim.pid()) + ".arena";
  copy_file(planted, path);
  patch(path, offsetof(gleak::arena::ArenaHeader, pid), static_cast<int32_t>(victim.pid()));
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  ASSERT_EQ(chown(theirs.path().c_str(), 65534, 65534), 0);
  ASSERT_EQ(chmod(theirs.path().c_str(), 0755), 0);
  // Root may read any user's directory, but not take a file its owner does not own:
  // here the directory is theirs and the file is too, so as root it reads as a file of
  // uid 65534 for a process of root's: never the live process.
  gi::Snapshot s = gi::read_pid(victim.pid());
  EXPECT_NE(s.source, gi::Source::kLiveProcess);
  EXPECT_FALSE(s.consistent);
  EXPECT_EQ(proc_state(victim.pid()), 'S');
  // A user other than the directory's owner is refused outright.
  std::string out;
  int rc = run_command("GLEAK_DIR=" + theirs.path() + " setpriv --reuid=65533 --regid=65533 --clear-groups " +
                           GLEAK_CLI + " dump " + std::to_string(victim.pid()) + " 2>&1",
                       &out);
  EXPECT_EQ(rc, 5) << out;
  EXPECT_NE(out.find("belongs to uid 65534"), std::string::npos) << out;
}

// Another user's process, read without the rights to it: refused with a clear message,
// and the process is never stopped.
TEST(FindArena, AnotherUsersProcessIsRefusedWithoutTouchingIt) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run a process as another user";
  ArenaDir base;
  std::string theirs = nobodys_dir(base);
  Child target({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", GLEAK_PARKED, "100"});
  ASSERT_TRUE(target.wait_for("ready"));
  std::string out;
  for (const char* cmd : {"dump", "leaks"}) {
    int rc = run_command("GLEAK_DIR=" + theirs + " setpriv --reuid=65533 --regid=65533 --clear-groups " + GLEAK_CLI +
                             " " + cmd + " " + std::to_string(target.pid()) + " 2>&1",
                         &out);
    EXPECT_EQ(rc, 5) << out;
    EXPECT_NE(out.find("belongs to another user"), std::string::npos) << out;
  }
  EXPECT_EQ(proc_state(target.pid()), 'S');
  EXPECT_TRUE(target.wait_for("tick"));
}

// The process itself says where its arena is (its memory map): a process started with
// another $GLEAK_DIR than the reader's is found there.
TEST(FindArena, AProcessWithAnotherArenaDirectoryIsFoundWhereItMapsIt) {
  ArenaDir theirs;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  ArenaDir ours;  // the reader's GLEAK_DIR now: empty
  EXPECT_EQ(gi::find_arena(server.pid()), theirs.path() + "/" + std::to_string(server.pid()) + ".arena");
  std::string out;
  EXPECT_EQ(run_cli("dump " + std::to_string(server.pid()), &out), 0) << out;
  EXPECT_NE(out.find("# pid " + std::to_string(server.pid()) + " (live"), std::string::npos) << out;
}

// `sudo gleak dump <pid>`: root's own arena directory is not the user's, and the
// process's memory map leads to the user's.
TEST(FindArena, AsRootAnotherUsersProcessIsFoundWhereItMapsIt) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run a process as another user";
  ArenaDir base;
  nobodys_dir(base);
  Child target({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", GLEAK_PARKED, "100"});
  ASSERT_TRUE(target.wait_for("ready"));
  ArenaDir roots;  // root's own directory, where the arena is not
  std::string out;
  EXPECT_EQ(run_cli("dump " + std::to_string(target.pid()), &out), 0) << out;
  EXPECT_NE(out.find("# pid " + std::to_string(target.pid()) + " (live"), std::string::npos) << out;
  EXPECT_EQ(stopped_threads(target.pid()), 0);
}

// A process in a container: its own pid and mount namespaces, its arena on a file
// system only it sees. The reader finds it through /proc/<pid>/root and reads it under
// the pid it has here.
TEST(FindArena, AProcessInAContainerIsFoundThroughItsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to make namespaces";
  ArenaDir base;
  std::string mnt = base.path() + "/mnt";
  ASSERT_EQ(mkdir(mnt.c_str(), 0700), 0);
  std::string script = "mount -t tmpfs -o size=64m none " + mnt + " && mkdir -m 700 " + mnt +
                       "/g && GLEAK_DIR=" + mnt + "/g exec " + GLEAK_STUCK_SERVER;
  Child box({"/usr/bin/unshare", "--mount", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c", script});
  if (!box.wait_for("ready")) GTEST_SKIP() << "cannot make mount and pid namespaces here";
  std::ifstream children("/proc/" + std::to_string(box.pid()) + "/task/" + std::to_string(box.pid()) + "/children");
  int pid = 0;
  ASSERT_TRUE(children >> pid);
  EXPECT_EQ(gi::namespace_pid(pid), 1);
  ArenaDir ours;
  EXPECT_EQ(gi::find_arena(pid), "/proc/" + std::to_string(pid) + "/root" + mnt + "/g/1.arena");
  std::string out;
  EXPECT_EQ(run_cli("dump " + std::to_string(pid), &out), 0) << out;
  EXPECT_NE(out.find("# pid " + std::to_string(pid) + " (live"), std::string::npos) << out;
  EXPECT_NE(out.find("[chan receive"), std::string::npos) << out;
  EXPECT_EQ(run_cli("leaks " + std::to_string(pid), &out), 0) << out;
  // top and trace follow it live too, under its pid here.
  EXPECT_EQ(run_cli("top -n 1 --refresh 100ms " + std::to_string(pid), &out), 0) << out;
  EXPECT_EQ(out.find("is not running"), std::string::npos) << out;
  EXPECT_NE(out.find("chan receive"), std::string::npos) << out;
  std::string trace = base.path() + "/trace.json";
  EXPECT_EQ(run_cli("trace " + std::to_string(pid) + " -o " + trace + " --duration 100ms", &out), 0) << out;
  EXPECT_NE(out.find("trace of pid " + std::to_string(pid) + ":"), std::string::npos) << out;
  EXPECT_EQ(stopped_threads(pid), 0);
  kill(pid, SIGKILL);
}

TEST(FindArena, ASymbolicLinkInTheDirectoryIsRefused) {
  ArenaDir dir;
  ArenaDir elsewhere;
  std::string target = dead_arena(elsewhere, "real.arena");
  Child victim({"/bin/sleep", "1000"});
  std::string link = dir.path() + "/" + std::to_string(victim.pid()) + ".arena";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  setenv("GLEAK_DIR", dir.path().c_str(), 1);
  std::string out;
  EXPECT_EQ(run_cli("dump " + std::to_string(victim.pid()), &out), 5) << out;
  EXPECT_NE(out.find("symbolic link"), std::string::npos) << out;
}

TEST(ArenaFile, AFifoIsRefusedWithoutWaiting) {
  ArenaDir dir;
  std::string fifo = dir.path() + "/fifo.arena";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string out;
  EXPECT_EQ(run_cli("dump " + fifo, &out), 6) << out;  // timeout(1) would give 124
  EXPECT_NE(out.find("not a regular file"), std::string::npos) << out;
  EXPECT_EQ(run_cli("ps", &out), 0) << out;
}

// A dead process's arena names the files its process had mapped; the symbolizer opens
// them. A FIFO planted under such a name must not make the inspector wait for ever.
TEST(ArenaFile, AFifoNamedInADeadArenasMemoryMapIsNotOpened) {
  ArenaDir dir;
  std::string path = dead_arena(dir, "old.arena");
  std::string fifo = dir.path() + "/libplanted.so";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  gleak::arena::ArenaHeader h;
  {
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(&h), sizeof h);
  }
  std::string maps = "7f0000000000-7f0000001000 r-xp 00000000 00:00 0 " + fifo + "\n";
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, maps.c_str(), maps.size() + 1, static_cast<off_t>(h.maps_offset)),
            static_cast<ssize_t>(maps.size() + 1));
  close(fd);
  patch(path, offsetof(gleak::arena::ArenaHeader, maps_size), static_cast<uint32_t>(maps.size()));
  std::string out;
  EXPECT_EQ(run_cli("dump " + path, &out), 0) << out;  // timeout(1) would give 124
}

TEST(ArenaFile, AMemoryMapSizeBeyondItsSpaceIsRefused) {
  ArenaDir dir;
  std::string path = dead_arena(dir, "old.arena");
  patch(path, offsetof(gleak::arena::ArenaHeader, maps_size), uint32_t{0xfffffff0});
  std::string out;
  EXPECT_EQ(run_cli("dump " + path, &out), 6) << out;
  EXPECT_NE(out.find("memory map copy too long"), std::string::npos) << out;
}

// A dead process's arena whose pid now belongs to another program must never lead to
// stopping or tracing that program, even when the arena names its executable.
TEST(PidReuse, AnArenaOfADeadProcessNeverStopsTheProcessThatGotItsPid) {
  ArenaDir dir;
  std::string path = dead_arena(dir, "old.arena");
  Child other({"/bin/sleep", "1000"});
  patch(path, offsetof(gleak::arena::ArenaHeader, pid), static_cast<int32_t>(other.pid()));
  char exe[512] = {};
  ASSERT_GT(readlink(("/proc/" + std::to_string(other.pid()) + "/exe").c_str(), exe, sizeof exe - 1), 0);
  patch(path, offsetof(gleak::arena::ArenaHeader, exe), exe);
  gi::Snapshot s = gi::read_file(path);
  EXPECT_EQ(s.source, gi::Source::kFile);
  EXPECT_FALSE(s.consistent);
  std::string out;
  EXPECT_EQ(run_cli("leaks " + path, &out), 0) << out;
  EXPECT_EQ(proc_state(other.pid()), 'S');
  // Under its own name the same file is found by pid, and still read as a dead one.
  std::string by_pid = dir.path() + "/" + std::to_string(other.pid()) + ".arena";
  ASSERT_EQ(rename(path.c_str(), by_pid.c_str()), 0);
  gi::Snapshot s2 = gi::read_pid(other.pid());
  EXPECT_EQ(s2.source, gi::Source::kDeadProcess);
  EXPECT_EQ(proc_state(other.pid()), 'S');
}

TEST(PidReuse, TheProcessThatWroteTheArenaIsStillRecognised) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  gi::Snapshot s = gi::read_pid(server.pid());
  EXPECT_EQ(s.source, gi::Source::kLiveProcess);
  EXPECT_TRUE(s.consistent);
}

}  // namespace
