// core/context_switch.cc — the one file that includes Boost.Context.
#include "core/internal/context_switch.h"

#include <boost/context/detail/fcontext.hpp>
#include <boost/version.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace gleak::internal {

namespace bc = boost::context::detail;

MachineContext make_context(void* top, std::size_t size, void (*entry)(Transfer)) {
  // Transfer and bc::transfer_t have the same layout: two pointers, passed in rdi/rsi.
  static_assert(sizeof(Transfer) == sizeof(bc::transfer_t));
  return bc::make_fcontext(top, size, reinterpret_cast<void (*)(bc::transfer_t)>(reinterpret_cast<void (*)()>(entry)));
}

static void* g_probe_frame;

[[gnu::noinline]] Transfer jump(MachineContext to, void* data) {
  bc::transfer_t t = bc::jump_fcontext(static_cast<bc::fcontext_t>(to), data);
  // jump_fcontext resumes the other context with `pop; jmp`, not `ret`, so the CPU's
  // return-address predictor keeps one stale entry and every return after the switch
  // would be mispredicted. One `ret` to the next instruction consumes that entry and
  // realigns it: the switch costs one misprediction instead of one per frame.
  asm volatile(
      "sub $128, %%rsp\n\t"  // step over the red zone
      "lea 1f(%%rip), %%rax\n\t"
      "push %%rax\n\t"
      "ret\n"
      "1:\n\t"
      "add $128, %%rsp"
      :
      :
      : "rax", "memory");
  return {t.fctx, t.data};
}

namespace {

[[gnu::noinline]] Transfer probe_jump(MachineContext to) {
  g_probe_frame = __builtin_frame_address(0);
  bc::transfer_t t = bc::jump_fcontext(static_cast<bc::fcontext_t>(to), nullptr);
  return {t.fctx, t.data};
}

struct LayoutProbe {
  void* saved_rbp = nullptr;
  uintptr_t saved_ret = 0;
};

void probe_entry(bc::transfer_t t) {
  auto* saved = static_cast<unsigned char*>(t.fctx);
  LayoutProbe probe;
  probe.saved_rbp = *reinterpret_cast<void**>(saved + 0x30);
  probe.saved_ret = *reinterpret_cast<uintptr_t*>(saved + 0x38);
  bc::jump_fcontext(t.fctx, &probe);
}

}  // namespace

void verify_context_layout() {
  alignas(64) static unsigned char stack[16384];
  bc::fcontext_t ctx = bc::make_fcontext(stack + sizeof stack, sizeof stack, probe_entry);
  Transfer back = probe_jump(ctx);
  auto* probe = static_cast<LayoutProbe*>(back.data);
  auto lo = reinterpret_cast<uintptr_t>(&probe_jump);
  bool rbp_ok = probe->saved_rbp == g_probe_frame;
  bool ret_ok = probe->saved_ret > lo && probe->saved_ret < lo + 512;
  if (!rbp_ok || !ret_ok) {
    std::fprintf(stderr,
                 "gleak: unsupported Boost.Context build: jump_fcontext does not save rbp at +0x30 "
                 "and the return address at +0x38 (Boost %d.%d). gleak needs the Debian 12 Boost "
                 "1.74 layout to unwind parked goroutines.\n",
                 BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000);
    std::exit(70);
  }
}

}  // namespace gleak::internal
