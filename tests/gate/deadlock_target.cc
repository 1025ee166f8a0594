// A program that dies of a global deadlock: its main goroutine and a worker each wait
// for the other, and the runtime's deadlock check ends it (exit 2, Go's message).
#include <gleak/gleak.h>

int main() {
  return gleak::run([] {
    gleak::Chan<int> ping(0);
    gleak::Chan<int> pong(0);
    gleak::go([ping, pong] { pong.send(*ping.recv()); });
    pong.recv();  // the worker waits for ping, which only this goroutine could send
  });
}
