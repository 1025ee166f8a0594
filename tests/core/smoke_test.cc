#include <gtest/gtest.h>

#include <atomic>

#include "gleak/gleak.h"

TEST(Smoke, GoAndWaitGroupWorkFromAPlainThread) {
  gleak::WaitGroup wg;
  std::atomic<int> n{0};
  for (int i = 0; i < 100; ++i) {
    wg.add(1);
    gleak::go([&] {
      n.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(n.load(), 100);
}

TEST(Smoke, ChannelPingPong) {
  gleak::Chan<int> ping(0), pong(0);
  gleak::go([=] {
    for (int v : ping) pong.send(v + 1);
    pong.close();
  });
  for (int i = 0; i < 1000; ++i) {
    ping.send(i);
    EXPECT_EQ(pong.recv(), i + 1);
  }
  ping.close();
  EXPECT_FALSE(pong.recv().has_value());
}
