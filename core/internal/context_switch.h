// core/internal/context_switch.h — the machine context switch.
//
// This is the only interface to Boost.Context; context_switch.cc is the only file that
// includes it. A context is the opaque pointer jump() returns: for a suspended fiber it
// points at its saved registers on its own stack (Boost 1.74 layout: r12–r15, rbx, rbp
// at +0x08…+0x30, return address at +0x38), which is what the inspector unwinds from.
#pragma once

#include <cstddef>

namespace gleak::internal {

using MachineContext = void*;

struct Transfer {
  MachineContext from;  // the context that jumped here, now suspended
  void* data;
};

// make_context() prepares a context that, when first jumped to, calls
// entry(Transfer) on the stack [top - size, top). entry must never return.
MachineContext make_context(void* top, std::size_t size, void (*entry)(Transfer));

// jump() suspends the current context and resumes `to`, handing it `data`.
Transfer jump(MachineContext to, void* data);

// verify_context_layout() checks at startup that the Boost.Context build saves
// registers where the inspector expects them, and stops with a clear message if not.
void verify_context_layout();

}  // namespace gleak::internal
