// Look-alike of the Pilot ADS leak (istio/istio#10822): the same receiveThread blocked on
// `reqChannel <- req`, but the push does not fail: it is a full push of a large mesh to a
// slow sidecar that takes minutes, in chunks with sleeps between them. The handler, asleep
// in the push, still holds reqChannel and will receive the next request afterwards.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

using namespace std::chrono_literals;

namespace {

struct DiscoveryRequest {
  std::string type_url;
  long version = 0;
};

// One sidecar's gRPC stream: what the sidecar sends arrives on `in`.
struct Stream {
  explicit Stream(std::string n) : node(std::move(n)) {}
  std::string node;
  gleak::Chan<DiscoveryRequest> in{0};
};

struct XdsConnection {
  explicit XdsConnection(std::string id) : con_id(std::move(id)) {}
  std::string con_id;
  long pushes = 0;
};

void receive_thread(std::shared_ptr<Stream> stream, gleak::Chan<DiscoveryRequest> req_channel) {
  for (;;) {
    std::optional<DiscoveryRequest> req = stream->in.recv();
    if (!req) {
      req_channel.close();
      return;
    }
    req_channel.send(std::move(*req));  // waits while the handler pushes
  }
}

class DiscoveryServer : public std::enable_shared_from_this<DiscoveryServer> {
 public:
  std::atomic<long> config_size{0};

  void start(gleak::Chan<std::shared_ptr<Stream>> listener) {
    gleak::go([self = shared_from_this(), listener] {
      for (std::shared_ptr<Stream>& s : listener) {  // the gRPC server's accept loop
        gleak::go([self, s] { self->stream_aggregated_resources(s); });
      }
    });
  }

  std::size_t connected() {
    std::lock_guard<gleak::Mutex> g(mu_);
    return connections_.size();
  }

 private:
  void stream_aggregated_resources(std::shared_ptr<Stream> stream) {
    gleak::Chan<DiscoveryRequest> req_channel(0);
    gleak::go(receive_thread, stream, req_channel);
    auto con = std::make_shared<XdsConnection>(stream->node + "-" + std::to_string(++next_id_));
    {
      std::lock_guard<gleak::Mutex> g(mu_);
      connections_[con->con_id] = con;
    }
    for (;;) {
      std::optional<DiscoveryRequest> req = req_channel.recv();
      if (!req) break;
      if (!push_all(*con, *req)) {
        std::printf("CDS: Send failure %s, closing grpc\n", con->con_id.c_str());
        std::lock_guard<gleak::Mutex> g(mu_);
        connections_.erase(con->con_id);
        return;
      }
    }
    std::lock_guard<gleak::Mutex> g(mu_);
    connections_.erase(con->con_id);
  }

  bool push_all(XdsConnection& con, const DiscoveryRequest&) {
    long chunks = config_size.load() * 20;
    for (long c = 0; c < chunks; ++c) gleak::sleep(10ms);  // send the clusters, flow-controlled
    ++con.pushes;
    return true;
  }

  gleak::Mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<XdsConnection>> connections_;
  std::atomic<long> next_id_{0};
};

// The sidecar asks for clusters and listeners, then waits for the answers.
void envoy(std::shared_ptr<Stream> stream) {
  stream->in.send(DiscoveryRequest{"type.googleapis.com/envoy.api.v2.Cluster", 0});
  stream->in.send(DiscoveryRequest{"type.googleapis.com/envoy.api.v2.Listener", 0});
}

}  // namespace

int main() {
  return gleak::run([] {
    auto server = std::make_shared<DiscoveryServer>();
    server->config_size = 1500;  // a mesh with 1500 services
    gleak::Chan<std::shared_ptr<Stream>> listener(0);
    server->start(listener);
    for (int i = 0; i < 3; ++i) {
      auto stream = std::make_shared<Stream>("sidecar~10.0.0." + std::to_string(i + 2));
      gleak::go(envoy, stream);
      listener.send(stream);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // Pilot goes on watching the service registry; no more sidecars connect in this run.
    long generation = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      server->config_size = 1500 + tick % 3;
      generation += static_cast<long>(server->connected()) + 1;
      if (tick % 1000 == 999) {
        std::printf("generation %ld\n", generation);
        if (tick == 1000000) listener.close();
      }
    }
  });
}
