// tests/fuzz/inspect_arena.h — what both arena fuzzers do with the bytes of an arena
// file: read it as `gleak dump <file>` does, then run every report and the leak
// analysis on what was read. Nothing may crash, hang or read out of bounds; bad input
// is an InspectError.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "arena/layout.h"
#include "inspector/errors.h"
#include "inspector/analyse/leaks.h"
#include "inspector/report/leaks_report.h"
#include "inspector/report/pprof.h"
#include "inspector/read/reader.h"
#include "inspector/report/report_json.h"
#include "inspector/report/report_text.h"
#include "inspector/report/trace.h"

namespace gleak_fuzz {

inline void inspect_arena(const uint8_t* data, size_t size) {
  namespace gi = gleak::inspector;
  int fd = memfd_create("fuzz.arena", MFD_CLOEXEC);
  if (fd < 0) return;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return;
  }
  // A pid no process can have (above any pid_max): the file is always a dead
  // process's, never this fuzzer or a process it could stop.
  int32_t no_pid = 0x7ffffff0;
  if (size >= offsetof(gleak::arena::ArenaHeader, pid) + sizeof no_pid) {
    (void)!pwrite(fd, &no_pid, sizeof no_pid, offsetof(gleak::arena::ArenaHeader, pid));
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  gi::ReadOptions ro;
  ro.symbolize = false;  // would open whatever files the memory-map copy names
  try {
    gi::Snapshot s = gi::read_file(path, ro);
    gi::TextOptions text;
    (void)gi::format_dump(s, text);
    text.group = true;
    (void)gi::format_dump(s, text);
    (void)gi::to_json(s, text);
    (void)gi::goroutine_profile(s, text);
    gi::LeakAnalysis r = gi::find_leaks(s);
    (void)gi::format_leaks(s, r, text);
    (void)gi::leaks_to_json(s, r, text);
    (void)gi::format_why(s, r);
    std::FILE* null = std::fopen("/dev/null", "w");
    if (null) {
      gi::TraceOptions topt;
      topt.max_events = 2000;
      (void)gi::write_trace(gi::trace_from_snapshot(s), topt, null);
      std::fclose(null);
    }
  } catch (const gi::InspectError&) {
  }
  close(fd);
}

}  // namespace gleak_fuzz
