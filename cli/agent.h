// cli/agent.h — `gleak agent`: one read-only HTTP server per host (or pod) that serves
// every gleak process the agent may read to Prometheus and to pprof-speaking profilers.
//
//   /metrics                          Prometheus text exposition (cli/metrics.h); reads
//                                     the arenas only: it never stops a process
//   /debug/pprof/goroutine?pid=N      Go's net/http/pprof answer: debug=0 (default) the
//        &debug=0|1|2                 gzipped profile, 1 counts per stack, 2 the full
//                                     Go-format dump; stops N while its stacks are read
//   /debug/gleak/leaks?pid=N          the leak analysis as JSON (schema gleak.leaks)
//   /api/processes                    `gleak ps --json`
//
// A process is served only if its arena is one `gleak ps` run by the agent's user
// would list; anything else is 404. Requests that stop a process take turns: one at a
// time, with the leak analyses that run every `leaks_every`. docs/fleet.md has the
// details, a scrape configuration and alert rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gleak::cli {

struct AgentOptions {
  // host:port ("127.0.0.1:9464", "[::1]:9464", port 0: any free port), or
  // unix:/path/to/socket.
  std::string listen = "127.0.0.1:9464";
  // A file holding a bearer token: then every request needs `Authorization: Bearer
  // <token>`. "" serves without one.
  std::string token_file;
  // Time between leak analyses of every running process (0: none).
  int64_t leaks_every_ns = 5LL * 60 * 1000000000;
  // Requests served at once; more get 503.
  std::size_t max_requests = 8;
  // A request (reading it, or writing the answer) that takes longer is dropped.
  int64_t timeout_ns = 10LL * 1000000000;
  // How long a request that stops a process waits for its turn before it gets 503.
  int64_t stop_wait_ns = 10LL * 1000000000;
  // A request may stop a process at most once in this time (else 429): a client that
  // asks in a loop cannot keep a service stopped. The periodic leak analyses count too.
  int64_t min_stop_interval_ns = 1000000000;
};

// run_agent() serves until SIGINT or SIGTERM; the exit status: 0, 2 for options it
// cannot use (a bad address, an unreadable token file), 7 when it cannot listen.
int run_agent(const AgentOptions& opt);

}  // namespace gleak::cli
