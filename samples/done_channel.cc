// done_channel — stop a worker goroutine with a done channel.
//
// The Go original:
//
//   func worker(jobs <-chan int, done <-chan struct{}, exited chan<- struct{}) {
//       defer close(exited)
//       for {
//           select {
//           case j, ok := <-jobs:
//               if !ok {
//                   fmt.Println("worker: jobs channel closed, exiting")
//                   return
//               }
//               fmt.Println("worker: processing job", j)
//           case <-done:
//               fmt.Println("worker: done signal received, exiting")
//               return
//           }
//       }
//   }
//
//   func main() {
//       jobs := make(chan int)
//       done := make(chan struct{})
//       exited := make(chan struct{})
//       go worker(jobs, done, exited)
//       for j := 1; j <= 3; j++ {
//           jobs <- j
//       }
//       close(done)  // tell the worker to stop
//       <-exited     // and wait until it has
//       fmt.Println("main: worker has exited cleanly")
//   }
//
// Prints:
//
//   worker: processing job 1
//   worker: processing job 2
//   worker: processing job 3
//   worker: done signal received, exiting
//   main: worker has exited cleanly
//
// The order is fixed: jobs is unbuffered, so each send completes only once the worker
// has taken the job, and after the third job nothing is ever sent again, so when done
// is closed it is the only case of the select that can become ready.
#include <gleak/gleak.h>

#include <cstdio>
#include <optional>

// worker processes jobs until done is closed or jobs is closed, then closes exited to
// say it has gone. Channels are handles, like Go's `chan T`: taking them by value
// shares the channel, it does not copy it.
void worker(gleak::Chan<int> jobs, gleak::Chan<gleak::Unit> done, gleak::Chan<gleak::Unit> exited) {
  bool running = true;
  while (running) {
    // select waits until one of its cases can proceed and runs that case's function.
    // A receive case gets std::nullopt when the channel is closed (Go's ok == false).
    gleak::select(
        gleak::recv_case(jobs,
                         [&](std::optional<int> job) {
                           if (!job) {
                             std::printf("worker: jobs channel closed, exiting\n");
                             running = false;
                             return;
                           }
                           std::printf("worker: processing job %d\n", *job);
                         }),
        // A closed channel is always ready to receive from, so closing done reaches
        // every goroutine that selects on it at once — a broadcast, unlike a send.
        gleak::recv_case(done, [&](std::optional<gleak::Unit>) {
          std::printf("worker: done signal received, exiting\n");
          running = false;
        }));
  }
  exited.close();  // Go: defer close(exited)
}

int main() {
  return gleak::run([] {
    gleak::Chan<int> jobs(0);  // unbuffered, Go's make(chan int)
    // Signal-only channels carry gleak::Unit, Go's struct{}.
    gleak::Chan<gleak::Unit> done(0);
    gleak::Chan<gleak::Unit> exited(0);

    gleak::go(worker, jobs, done, exited);

    for (int j = 1; j <= 3; ++j) jobs.send(j);

    done.close();   // tell the worker to stop...
    exited.recv();  // ...and wait until it has (returns nullopt once exited is closed)
    std::printf("main: worker has exited cleanly\n");
  });
}
