// inspector/read/unwind.cc — see unwind.h. The only file that includes libunwind.
#include "inspector/read/unwind.h"

#include <libunwind-ptrace.h>

#include <cstring>

namespace gleak::inspector {

std::vector<uint64_t> walk_frame_pointers(uint64_t rip, uint64_t rbp, const char* copy, uint64_t base, std::size_t size,
                                          std::size_t max_frames) {
  std::vector<uint64_t> pcs;
  if (rip == 0) return pcs;
  pcs.push_back(rip);
  uint64_t end = base + size;
  uint64_t fp = rbp;
  // (No sum that can wrap: fp comes from the target and may be anything.)
  while (pcs.size() < max_frames && fp >= base && end - base >= 16 && fp <= end - 16 && fp % 8 == 0) {
    uint64_t next = 0, ret = 0;
    std::memcpy(&next, copy + (fp - base), 8);
    std::memcpy(&ret, copy + (fp - base) + 8, 8);
    if (ret == 0) break;
    pcs.push_back(ret);
    if (next <= fp) break;  // frames only go up the stack
    fp = next;
  }
  return pcs;
}

std::vector<uint64_t> unwind_stopped_thread(pid_t tid, std::size_t max_frames) {
  std::vector<uint64_t> pcs;
  unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
  if (!as) return pcs;
  void* upt = _UPT_create(tid);
  if (!upt) {
    unw_destroy_addr_space(as);
    return pcs;
  }
  unw_cursor_t cursor;
  if (unw_init_remote(&cursor, as, upt) == 0) {
    do {
      unw_word_t ip = 0;
      if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0) break;
      pcs.push_back(ip);
    } while (pcs.size() < max_frames && unw_step(&cursor) > 0);
  }
  _UPT_destroy(upt);
  unw_destroy_addr_space(as);
  return pcs;
}

}  // namespace gleak::inspector
