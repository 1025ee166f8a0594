// The Go anchor of gleak's benchmarks: the same modes and RESULT lines as gleak_bench.
//
//	go_anchor spawn    N TRIALS      spawn N goroutines (atomic add + wg.Done), wg.Wait; ns per goroutine
//	go_anchor pingpong ITERS TRIALS  unbuffered chan int ping-pong between 2 goroutines; ns per round trip
//	go_anchor yield    ITERS TRIALS  2 goroutines call runtime.Gosched() ITERS times each, released
//	                                 together by closing a gate channel; ns per switch = elapsed / (2*ITERS)
//	go_anchor park     N             park N goroutines on one shared chan struct{}, read VmRSS, close it,
//	                                 join all; rss_bytes_per_goroutine = (RSS parked - RSS before) / N
//	go_anchor dump     N TRIALS      park N goroutines on one chan struct{} in 10 distinct stacks, then time
//	                                 runtime.Stack(buf, true) (Go's in-process full dump, world stopped
//	                                 throughout); ms per dump
//	go_anchor leaks    N TRIALS      leak N goroutines (each receives from a channel only it has) in 10
//	                                 distinct stacks, then time runtime.GC(): Go's leak detector is a GC
//	                                 cycle (design 74609), so one GC is a floor of its cost; ms per GC
//
// GOMAXPROCS comes from the environment (as for any Go program). Every mode checks that the
// work happened and exits 1 with "FAIL: ..." if not.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", a...)
	os.Exit(1)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: go_anchor spawn N TRIALS | pingpong ITERS TRIALS | yield ITERS TRIALS | park N | dump N TRIALS | leaks N TRIALS")
	os.Exit(2)
}

func number(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		usage()
	}
	return n
}

// statusKiB reads a "Name:   123 kB" field of /proc/self/status.
func statusKiB(field string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			if f := strings.Fields(line); len(f) >= 2 {
				v, _ := strconv.Atoi(f[1])
				return v
			}
		}
	}
	return -1
}

var procs = runtime.GOMAXPROCS(0)

func spawnBench(n, trials int) {
	for t := 0; t < trials; t++ {
		var cnt int64
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				atomic.AddInt64(&cnt, 1)
				wg.Done()
			}()
		}
		wg.Wait()
		ns := float64(time.Since(t0).Nanoseconds())
		if c := atomic.LoadInt64(&cnt); c != int64(n) {
			die("spawn: goroutines that ran: got %d, want %d", c, n)
		}
		fmt.Printf("RESULT spawn system=go procs=%d n=%d trial=%d ns_per_goroutine=%.1f total_ms=%.2f\n",
			procs, n, t, ns/float64(n), ns/1e6)
	}
}

func pingpongBench(iters, trials int) {
	for t := 0; t < trials; t++ {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v + 1
			}
			close(pong)
		}()
		sum := 0
		t0 := time.Now()
		for i := 0; i < iters; i++ {
			ping <- i
			if v := <-pong; v != i+1 {
				die("pingpong: reply: got %d, want %d", v, i+1)
			}
			sum++
		}
		ns := float64(time.Since(t0).Nanoseconds())
		close(ping)
		if _, ok := <-pong; ok {
			die("pingpong: pong not closed")
		}
		if sum != iters {
			die("pingpong: round trips: got %d, want %d", sum, iters)
		}
		fmt.Printf("RESULT pingpong system=go procs=%d iters=%d trial=%d ns_per_roundtrip=%.1f roundtrips_per_s=%.0f\n",
			procs, iters, t, ns/float64(iters), 1e9*float64(iters)/ns)
	}
}

func yieldBench(iters, trials int) {
	for t := 0; t < trials; t++ {
		gate := make(chan struct{})
		var wg sync.WaitGroup
		var calls, atGate int64
		for j := 0; j < 2; j++ {
			wg.Add(1)
			go func() {
				atomic.AddInt64(&atGate, 1)
				<-gate
				for i := 0; i < iters; i++ {
					runtime.Gosched()
				}
				atomic.AddInt64(&calls, int64(iters))
				wg.Done()
			}()
		}
		for atomic.LoadInt64(&atGate) < 2 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond) // both parked on the gate
		t0 := time.Now()
		close(gate)
		wg.Wait()
		ns := float64(time.Since(t0).Nanoseconds())
		if c := atomic.LoadInt64(&calls); c != 2*int64(iters) {
			die("yield: calls: got %d, want %d", c, 2*iters)
		}
		fmt.Printf("RESULT yield system=go procs=%d iters=%d trial=%d ns_per_switch=%.2f\n",
			procs, iters, t, ns/float64(2*iters))
	}
}

func parkBench(n int) {
	time.Sleep(20 * time.Millisecond)
	base := statusKiB("VmRSS")
	shared := make(chan struct{})
	var wg sync.WaitGroup
	var parked, finished int64
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			atomic.AddInt64(&parked, 1)
			<-shared
			atomic.AddInt64(&finished, 1)
			wg.Done()
		}()
	}
	for atomic.LoadInt64(&parked) < int64(n) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the last ones reach gopark
	setupMs := float64(time.Since(t0).Nanoseconds()) / 1e6
	rss := statusKiB("VmRSS")
	hwm := statusKiB("VmHWM")
	if g := runtime.NumGoroutine(); g < n+1 {
		die("park: NumGoroutine: got %d, want >= %d", g, n+1)
	}
	t1 := time.Now()
	close(shared)
	wg.Wait()
	releaseMs := float64(time.Since(t1).Nanoseconds()) / 1e6
	if f := atomic.LoadInt64(&finished); f != int64(n) {
		die("park: finished: got %d, want %d", f, n)
	}
	fmt.Printf("RESULT park system=go procs=%d n=%d trial=0 rss_bytes_per_goroutine=%.0f vmrss_kib_base=%d "+
		"vmrss_kib_parked=%d vmhwm_kib=%d setup_ms=%.1f release_ms=%.1f\n",
		procs, n, float64(rss-base)*1024/float64(n), base, rss, hwm, setupMs, releaseMs)
}

func main() {
	if len(os.Args) < 3 {
		usage()
	}
	n := number(os.Args[2])
	trials := 1
	if len(os.Args) >= 4 {
		trials = number(os.Args[3])
	}
	switch os.Args[1] {
	case "spawn":
		spawnBench(n, trials)
	case "pingpong":
		pingpongBench(n, trials)
	case "yield", "gosched":
		yieldBench(n, trials)
	case "park":
		parkBench(n)
	case "dump":
		dumpBench(n, trials)
	case "leaks":
		leaksBench(n, trials)
	default:
		usage()
	}
}

// Ten distinct stacks for the dump benchmark.
//
//go:noinline
func stage0(c chan struct{}, parked, done *sync.WaitGroup) { parked.Done(); <-c; done.Done() }

//go:noinline
func stage1(c chan struct{}, parked, done *sync.WaitGroup) { parked.Done(); <-c; done.Done() }

//go:noinline
func stage2(c chan struct{}, parked, done *sync.WaitGroup) { parked.Done(); <-c; done.Done() }

//go:noinline
func stage3(c chan struct{}, parked, done *sync.WaitGroup) { parked.Done(); <-c; done.Done() }

//go:noinline
func stage4(c chan struct{}, parked, done *sync.WaitGroup) { parked.Done(); <-c; done.Done() }

//go:noinline
func stage5(c chan struct{}, parked, done *sync.WaitGroup) { parked.Done(); <-c; done.Done() }

//go:noinline
func stage6(c chan struct{}, parked, done *sync.WaitGroup) { parked.Done(); <-c; done.Done() }

//go:noinline
func stage7(c chan struct{}, parked, done *sync.WaitGroup) { parked.Done(); <-c; done.Done() }

//go:noinline
func stage8(c chan struct{}, parked, done *sync.WaitGroup) { parked.Done(); <-c; done.Done() }

//go:noinline
func stage9(c chan struct{}, parked, done *sync.WaitGroup) { parked.Done(); <-c; done.Done() }

func dumpBench(n, trials int) {
	stages := []func(chan struct{}, *sync.WaitGroup, *sync.WaitGroup){
		stage0, stage1, stage2, stage3, stage4, stage5, stage6, stage7, stage8, stage9}
	c := make(chan struct{})
	var parked, done sync.WaitGroup
	parked.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go stages[i%10](c, &parked, &done)
	}
	parked.Wait()
	time.Sleep(50 * time.Millisecond) // the last ones between Done and the receive
	buf := make([]byte, 1<<20)
	for t := 0; t < trials; t++ {
		var size int
		var ns float64
		for {
			t0 := time.Now()
			size = runtime.Stack(buf, true)
			ns = float64(time.Since(t0).Nanoseconds())
			if size < len(buf) {
				break
			}
			buf = make([]byte, 2*len(buf)) // too small: grow and time again
		}
		if got := strings.Count(string(buf[:size]), "\ngoroutine ") + 1; got < n {
			die("dump: goroutines in the dump: got %d, want at least %d", got, n)
		}
		fmt.Printf("RESULT dump system=go procs=%d n=%d trial=%d ms=%.1f stopped_ms=%.1f bytes=%d\n",
			procs, n, t, ns/1e6, ns/1e6, size)
	}
	close(c)
	done.Wait()
}

// Ten distinct stacks for the leaks benchmark: each receives from a channel only it has.
func leak0(parked *sync.WaitGroup) { c := make(chan struct{}); parked.Done(); <-c }
func leak1(parked *sync.WaitGroup) { c := make(chan struct{}); parked.Done(); <-c }
func leak2(parked *sync.WaitGroup) { c := make(chan struct{}); parked.Done(); <-c }
func leak3(parked *sync.WaitGroup) { c := make(chan struct{}); parked.Done(); <-c }
func leak4(parked *sync.WaitGroup) { c := make(chan struct{}); parked.Done(); <-c }
func leak5(parked *sync.WaitGroup) { c := make(chan struct{}); parked.Done(); <-c }
func leak6(parked *sync.WaitGroup) { c := make(chan struct{}); parked.Done(); <-c }
func leak7(parked *sync.WaitGroup) { c := make(chan struct{}); parked.Done(); <-c }
func leak8(parked *sync.WaitGroup) { c := make(chan struct{}); parked.Done(); <-c }
func leak9(parked *sync.WaitGroup) { c := make(chan struct{}); parked.Done(); <-c }

func leaksBench(n, trials int) {
	stages := []func(*sync.WaitGroup){leak0, leak1, leak2, leak3, leak4, leak5, leak6, leak7, leak8, leak9}
	var parked sync.WaitGroup
	parked.Add(n)
	for i := 0; i < n; i++ {
		go stages[i%10](&parked)
	}
	parked.Wait()
	time.Sleep(50 * time.Millisecond) // the last ones between Done and the receive
	if got := runtime.NumGoroutine(); got < n {
		die("leaks: goroutines: got %d, want at least %d", got, n)
	}
	for t := 0; t < trials; t++ {
		t0 := time.Now()
		runtime.GC()
		ns := float64(time.Since(t0).Nanoseconds())
		fmt.Printf("RESULT leaks system=go procs=%d n=%d trial=%d ms=%.1f\n", procs, n, t, ns/1e6)
	}
}
