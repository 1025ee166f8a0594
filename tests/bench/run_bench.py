#!/usr/bin/env python3
"""Runs gleak_bench and the Go and Boost.Fiber anchors side by side, then prints medians,
ratios and the targets of shared/BENCHMARKS.md. scripts/bench is the way in; this file does
the running and the table.

  run_bench.py run --bin-dir DIR --out FILE [--quick] [--rounds N] [--bf-park auto|yes|no]
                   [--gleak-cli PATH] [--only BENCH,...]
  run_bench.py summarize FILE

Every benchmark configuration runs as separate processes, interleaved: gleak, go, bf, gleak,
go, bf ... so that the three systems see the same machine noise. Each process runs under a
timeout; one that runs past it is killed with its process group and counted as a hang.
The dump and leaks benchmarks are different: gleak_bench dump-target parks N goroutines
(leaks-target: leaks them) and waits, and this script times `gleak dump <pid>` (`gleak leaks
<pid>`) of it from outside; Go's leaks figure is one runtime.GC() over as many leaked
goroutines, the floor of its GC-based leak detector. Both record the wall time and how long
the target was stopped; Go's dump figure is its in-process runtime.Stack(buf, true).
The raw output is the RESULT lines the programs print, plus one STATUS line per process
(exit status, wall time) and a few `#` comment lines about the machine.
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections import OrderedDict

# glibc never returns heap memory to the kernel and serves Boost.Fiber's stacks from the heap.
# Without it Boost.Fiber's spawn cost is glibc trimming the heap and faulting it back in.
BF_NOTRIM = "glibc.malloc.trim_threshold=1125899906842624:glibc.malloc.mmap_threshold=33554432"
SYSTEMS = ["gleak", "gleak_norec", "go", "bf"]
BINARY = {"gleak": "gleak_bench", "gleak_norec": "gleak_bench_norec", "go": "go_anchor", "bf": "bf_anchor"}

# Targets from shared/BENCHMARKS.md: (bench, procs) -> (limit, unit). Values are upper bounds.
TARGETS = {
    ("spawn", 1): 400.0,
    ("spawn", 2): 280.0,
    ("pingpong", 1): 100.0,
    ("pingpong", 2): 110.0,
    ("yield", 1): 17.0,
    ("park", 1): 4400.0,
    ("park", 2): 4400.0,
    ("dump", 1): 1000.0,  # 100k parked goroutines, from another process: under 1 s
    ("dump", 2): 1000.0,
    ("agent", 1): 100.0,  # a /metrics scrape of 100 processes of 10k goroutines: under 100 ms
}
PINGPONG_P2_OVER_P1 = 1.10  # 2 workers never worse than 1 worker by more than 10%

METRIC = {
    "spawn": "ns_per_goroutine",
    "pingpong": "ns_per_roundtrip",
    "yield": "ns_per_switch",
    "park": "rss_bytes_per_goroutine",
    "dump": "ms",
    "leaks": "ms",
    "agent": "ms",
}


def plan(quick, bf_park, rounds):
    """The benchmark configurations, in the order they run within a round:
    (bench, procs, size, trials, timeout_s, systems, rounds it runs in)."""
    every = range(rounds)
    cfgs = []
    if quick:
        for p in (1, 2):
            cfgs += [
                ("spawn", p, 100_000, 3, 120, SYSTEMS, every),
                ("pingpong", p, 200_000, 3, 60, SYSTEMS, every),
                ("yield", p, 1_000_000, 3, 60, SYSTEMS, every),
            ]
        for p in (1, 2):
            cfgs.append(("park", p, 100_000, 1, 180, ["gleak", "go"] + (["bf"] if bf_park and p == 1 else []), [0]))
        cfgs.append(("dump", 2, 100_000, 2, 300, ["gleak", "go"], [0]))
        cfgs.append(("leaks", 2, 100_000, 2, 300, ["gleak", "go"], [0]))
        cfgs.append(("agent", 1, 10_000, 5, 600, ["gleak"], [0]))
        return cfgs
    # Page faults are slow on these VMs (2-40 us each), so the cold first trial of a 1M
    # spawn costs Boost.Fiber ~2.25M faults (16 KiB stacks, all allocated before any
    # runs; 60-120 s per process): spawn 1M runs in 3 rounds, and Boost.Fiber's in 1 (its
    # warm trials, the ones compared, barely vary).
    for p in (1, 2):
        cfgs += [
            ("spawn", p, 100_000, 6, 120, SYSTEMS, every),
            ("spawn", p, 1_000_000, 3, 300, SYSTEMS[:-1], range(min(3, rounds))),
            ("spawn", p, 1_000_000, 3, 300, ["bf"], range(1)),
            ("pingpong", p, 1_000_000, 5, 120, SYSTEMS, every),
            ("yield", p, 2_000_000, 5, 120, SYSTEMS, every),
        ]
    # Parking 1M: one process per system and procs (Go ~3 s, Boost.Fiber ~11 s and 9 GB on
    # one thread only, as in the research); procs=1 in round 0, procs=2 in round 1.
    for p in (1, 2):
        systems = ["gleak", "go"] + (["bf"] if bf_park and p == 1 else [])  # RSS: recording or not
        cfgs.append(("park", p, 1_000_000, 1, 400, systems, [min(p - 1, rounds - 1)]))
    # The dump of 100k parked goroutines (the target) and of 1M (the ratio), with 2 workers:
    # one target process per round, several dumps of it (trial 0 is cold: it maps the arena).
    cfgs.append(("dump", 2, 100_000, 4, 300, ["gleak", "go"], every))
    cfgs.append(("dump", 2, 1_000_000, 3, 900, ["gleak", "go"], range(min(2, rounds))))
    # The leak analysis of 100k and 1M leaked goroutines (each on a channel only it has);
    # Go's figure is one runtime.GC(), the floor of its GC-based leak detector.
    cfgs.append(("leaks", 2, 100_000, 3, 300, ["gleak", "go"], every))
    cfgs.append(("leaks", 2, 1_000_000, 2, 900, ["gleak", "go"], range(min(2, rounds))))
    # gleak agent: /metrics of 100 processes of 10k parked goroutines each (one set of
    # targets per round, 10 scrapes of them; trial 0 is cold).
    cfgs.append(("agent", 1, 10_000, 10, 900, ["gleak"], range(min(2, rounds))))
    return cfgs


def command(bin_dir, system, bench, procs, size, trials):
    env = dict(os.environ)
    env.pop("GLIBC_TUNABLES", None)
    args = [str(size)] + ([str(trials)] if bench != "park" else [])
    if system.startswith("gleak"):
        env["GLEAK_PROCS"] = str(procs)
        return [os.path.join(bin_dir, BINARY[system]), f"--procs={procs}", bench] + args, env
    if system == "go":
        env["GOMAXPROCS"] = str(procs)
        return [os.path.join(bin_dir, "go_anchor"), bench] + args, env
    env["GLIBC_TUNABLES"] = BF_NOTRIM
    return [os.path.join(bin_dir, "bf_anchor"), f"--threads={procs}", bench] + args, env


def run_inspect(out, bin_dir, gleak_cli, rnd, bench, procs, size, trials, timeout):
    """gleak's dump and leaks benchmarks: start the target (dump-target / leaks-target),
    wait for READY, time `gleak dump <pid>` (its whole output written to a file, as Go's
    runtime.Stack writes a buffer) or `gleak leaks --json <pid>` TRIALS times, read how
    long the target was stopped (the dump's header; the leaks JSON's stats, with the
    analysis time), then release the target. Writes RESULT and STATUS lines like run_one."""
    import tempfile
    env = dict(os.environ)
    env["GLEAK_PROCS"] = str(procs)
    target = "dump-target" if bench == "dump" else "leaks-target"
    argv = [os.path.join(bin_dir, BINARY["gleak"]), f"--procs={procs}", target, str(size)]
    cli = [gleak_cli, "dump"] if bench == "dump" else [gleak_cli, "leaks"]
    t0 = time.time()
    load = loadavg()
    pr = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, start_new_session=True)
    rc, err, results = "0", "", []
    try:
        deadline = time.time() + timeout
        line = pr.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"target did not start: {line.strip()!r}")
        pid = int(line.split()[1])
        for t in range(trials):
            with tempfile.TemporaryFile() as f:
                d0 = time.perf_counter()
                r = subprocess.run(cli + [str(pid)], stdout=f, stderr=subprocess.PIPE,
                                   timeout=max(1, deadline - time.time()))
                ms = (time.perf_counter() - d0) * 1e3
                size_b = f.tell()
                f.seek(0)
                if bench == "dump":
                    if r.returncode != 0:
                        raise RuntimeError(f"gleak dump exited {r.returncode}: {r.stderr.decode()[-200:]}")
                    head = f.read(4096).decode(errors="replace")
                    m = re.search(r"# (\d+) goroutines.*stopped while read for ([0-9.]+) ms", head)
                    if not m:
                        raise RuntimeError("no goroutine count / stop time in the dump header")
                    if int(m.group(1)) < size:
                        raise RuntimeError(f"dump shows {m.group(1)} goroutines, want at least {size}")
                    results.append(f"RESULT dump system=gleak procs={procs} n={size} trial={t} ms={ms:.1f} "
                                   f"stopped_ms={float(m.group(2)):.1f} bytes={size_b}")
                else:
                    if r.returncode != 1:  # 1: leaks proven, as they are
                        raise RuntimeError(f"gleak leaks exited {r.returncode}: {r.stderr.decode()[-200:]}")
                    head = f.read(4096).decode(errors="replace")
                    m = re.search(r"# (\d+) goroutines; memory analysed: (\d+) KiB scanned, .* reachable, (\d+) ms; "
                                  r"stopped while read for ([0-9.]+) ms( \(memory read from a frozen copy\))?\n"
                                  r"# (\d+) goroutines? leaked \(proven\)", head)
                    if not m:
                        raise RuntimeError("no analysis time / stop time / leak count in the header of gleak leaks")
                    if int(m.group(6)) < size:
                        raise RuntimeError(f"gleak leaks proved {m.group(6)} leaks, want {size}")
                    results.append(f"RESULT leaks system=gleak procs={procs} n={size} trial={t} ms={ms:.1f} "
                                   f"stopped_ms={float(m.group(4)):.1f} analysis_ms={m.group(3)} "
                                   f"scanned_mib={int(m.group(2)) / 1024:.0f} bytes={size_b} "
                                   f"from_copy={1 if m.group(5) else 0}")
        pr.stdin.close()
        pr.wait(timeout=max(1, deadline - time.time()))
        if pr.returncode != 0:
            rc = str(pr.returncode)
            err = pr.stderr.read()
    except subprocess.TimeoutExpired:
        rc = "timeout"
    except (RuntimeError, ValueError, KeyError) as e:
        rc, err = "1", str(e)
    finally:
        if pr.poll() is None:
            os.killpg(pr.pid, signal.SIGKILL)
            pr.wait()
    record(out, rnd, "gleak", bench, procs, size, timeout, results, rc, time.time() - t0, load, err,
           f"{' '.join(argv)}; {' '.join(cli)} <pid>")


AGENT_PROCESSES = 100


def run_agent(out, bin_dir, gleak_cli, rnd, procs, size, trials, timeout, processes=AGENT_PROCESSES):
    """gleak agent's scale: start PROCESSES dump-targets of SIZE parked goroutines each in
    an arena directory of their own, start `gleak agent` on it, and time TRIALS scrapes of
    /metrics (wall, the agent's CPU time from /proc, its RSS after). During the scrapes
    every arena's stop lock is held here: an agent that tried to stop a target would wait
    on it (and the scrape time would show it); the targets' threads are also checked for
    a stop after every scrape. Writes RESULT and STATUS lines like run_one."""
    import fcntl
    import tempfile
    import urllib.request
    t0 = time.time()
    load = loadavg()
    arenas = tempfile.mkdtemp(prefix="gleak-agent-bench-")
    env = dict(os.environ)
    env["GLEAK_PROCS"] = str(procs)
    env["GLEAK_DIR"] = arenas
    argv = [os.path.join(bin_dir, BINARY["gleak"]), f"--procs={procs}", "dump-target", str(size)]
    targets, agent, locks = [], None, []
    rc, err, results = "0", "", []
    clk = os.sysconf("SC_CLK_TCK")

    def cpu_ms(pid):
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) * 1000.0 / clk  # utime + stime

    def status_kib(pid, field):
        for l in open(f"/proc/{pid}/status"):
            if l.startswith(field + ":"):
                return int(l.split()[1])
        return 0

    def stopped_threads(pid):
        n = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                state = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            n += state in ("t", "T")
        return n

    try:
        deadline = time.time() + timeout
        for _ in range(processes):
            targets.append(subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, text=True, start_new_session=True))
        pids = []
        for t in targets:
            line = t.stdout.readline()
            if not line.startswith("READY "):
                raise RuntimeError(f"target did not start: {line.strip()!r}")
            pids.append(int(line.split()[1]))
        agent = subprocess.Popen([gleak_cli, "agent", "--listen", "127.0.0.1:0", "--leaks-every", "0"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", agent.stdout.readline())
        if not m:
            raise RuntimeError("gleak agent did not start")
        url = m.group(1) + "/metrics"
        for pid in pids:
            fd = os.open(os.path.join(arenas, f"{pid}.arena"), os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)
            locks.append(fd)
        for t in range(trials):
            c0 = cpu_ms(agent.pid)
            d0 = time.perf_counter()
            body = urllib.request.urlopen(url, timeout=max(1, deadline - time.time())).read().decode()
            ms = (time.perf_counter() - d0) * 1e3
            cpu = cpu_ms(agent.pid) - c0
            counted = sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines() if l.startswith("gleak_goroutines{"))
            if counted < processes * size:
                raise RuntimeError(f"the scrape counted {counted:.0f} goroutines, want at least {processes * size}")
            stopped = sum(stopped_threads(pid) for pid in pids)
            results.append(f"RESULT agent system=gleak procs={procs} n={size} processes={processes} trial={t} "
                           f"ms={ms:.1f} cpu_ms={cpu:.0f} rss_kib={status_kib(agent.pid, 'VmRSS')} "
                           f"anon_kib={status_kib(agent.pid, 'RssAnon')} "
                           f"shmem_kib={status_kib(agent.pid, 'RssShmem') + status_kib(agent.pid, 'RssFile')} "
                           f"hwm_kib={status_kib(agent.pid, 'VmHWM')} goroutines={counted:.0f} "
                           f"bytes={len(body)} stopped_threads={stopped}")
            if stopped:
                raise RuntimeError(f"{stopped} target threads were stopped after a scrape")
    except subprocess.TimeoutExpired:
        rc = "timeout"
    except (RuntimeError, ValueError, KeyError, OSError) as e:
        rc, err = "1", str(e)
    finally:
        for fd in locks:
            os.close(fd)
        for p in ([agent] if agent else []) + targets:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        subprocess.run(["rm", "-rf", arenas])
    record(out, rnd, "gleak", "agent", procs, size, timeout, results, rc, time.time() - t0, load, err,
           f"{processes} x {' '.join(argv)}; {gleak_cli} agent; GET /metrics")


def fault_us(pages=20000):
    """Rough cost of a first-touch page fault right now, in microseconds (cold runs are
    mostly page faults on these VMs, so the figure explains their spread)."""
    import mmap
    m = mmap.mmap(-1, pages * 4096)
    t0 = time.perf_counter()
    for off in range(0, pages * 4096, 4096):
        m[off] = 1
    us = (time.perf_counter() - t0) / pages * 1e6
    m.close()
    return us


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def run_one(out, bin_dir, rnd, system, bench, procs, size, trials, timeout):
    argv, env = command(bin_dir, system, bench, procs, size, trials)
    t0 = time.time()
    load = loadavg()
    pr = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True)
    try:
        stdout, stderr = pr.communicate(timeout=timeout)
        rc = str(pr.returncode)
    except subprocess.TimeoutExpired:
        os.killpg(pr.pid, signal.SIGKILL)
        stdout, stderr = pr.communicate()
        rc = "timeout"
    results = [l for l in stdout.splitlines() if l.startswith("RESULT ")]
    record(out, rnd, system, bench, procs, size, timeout, results, rc, time.time() - t0, load, stderr, " ".join(argv))


def record(out, rnd, system, bench, procs, size, timeout, results, rc, wall, load, err, cmd):
    """Writes one process's RESULT lines, its STATUS line and its command, and prints a
    progress line."""
    for l in results:
        out.write(f"{l} round={rnd}\n")
    err = " ".join(err.strip().split())[-300:]
    status = (f"STATUS {bench} system={system} procs={procs} n={size} round={rnd} rc={rc} wall_s={wall:.2f} "
              f"results={len(results)} loadavg={load}")
    out.write(status + (f" stderr={err!r}" if rc != "0" and err else "") + "\n")
    out.write(f"# cmd: {cmd}\n")
    out.flush()
    mark = "" if rc == "0" else ("  <-- HANG (killed after %ds)" % timeout if rc == "timeout" else f"  <-- FAILED: {err}")
    print(f"  [{rnd}] {system:11s} {bench:8s} procs={procs} n={size:<8d} {wall:7.2f}s rc={rc}{mark}", flush=True)


def cmd_run(a):
    have = {s: os.access(os.path.join(a.bin_dir, BINARY[s]), os.X_OK) for s in SYSTEMS}
    missing = [s for s in SYSTEMS if not have[s]]
    if not have["gleak"]:
        sys.exit(f"run_bench: {a.bin_dir}/gleak_bench is missing")
    if missing:
        print(f"run_bench: not built, skipped: {', '.join(missing)}", flush=True)
    bf_park = have["bf"] and (a.bf_park == "yes" or (a.bf_park == "auto" and mem_available_gib() >= 12))
    if have["bf"] and not bf_park:
        print("run_bench: Boost.Fiber park skipped (1M parked fibers need ~9 GB; --bf-park to run it)", flush=True)
    rounds = 1 if a.quick and a.rounds is None else (a.rounds or 5)
    cfgs = plan(a.quick, bf_park, rounds)
    if a.only:
        cfgs = [c for c in cfgs if c[0] in a.only.split(",")]
    with open(a.out, "w") as out:
        out.write(f"# gleak benchmarks {time.strftime('%Y-%m-%d %H:%M:%S')} quick={a.quick} rounds={rounds} "
                  f"nproc={os.cpu_count()} kernel={os.uname().release}\n")
        out.write(f"# loadavg at start: {open('/proc/loadavg').read().strip()}; page fault ~{fault_us():.1f} us\n")
        t0 = time.time()
        for rnd in range(rounds):
            print(f"round {rnd + 1}/{rounds} (loadavg {loadavg()})", flush=True)
            for bench, procs, size, trials, timeout, systems, in_rounds in cfgs:
                if rnd not in in_rounds:
                    continue
                for s in systems:
                    if bench == "agent":
                        if a.gleak_cli and os.access(a.gleak_cli, os.X_OK):
                            run_agent(out, a.bin_dir, a.gleak_cli, rnd, procs, size, trials, timeout,
                                      10 if a.quick else AGENT_PROCESSES)
                    elif bench in ("dump", "leaks") and s == "gleak":
                        if a.gleak_cli and os.access(a.gleak_cli, os.X_OK):
                            run_inspect(out, a.bin_dir, a.gleak_cli, rnd, bench, procs, size, trials, timeout)
                    elif have[s]:
                        run_one(out, a.bin_dir, rnd, s, bench, procs, size, trials, timeout)
        out.write(f"# loadavg at end: {open('/proc/loadavg').read().strip()}; page fault ~{fault_us():.1f} us; "
                  f"total {time.time() - t0:.0f} s\n")
    print(f"raw results: {a.out}  ({time.time() - t0:.0f} s)", flush=True)
    return summarize(a.out)


def mem_available_gib():
    for l in open("/proc/meminfo"):
        if l.startswith("MemAvailable:"):
            return int(l.split()[1]) / (1 << 20)
    return 0.0


def parse(line):
    f = line.split()
    d = {"bench": f[1]}
    for kv in f[2:]:
        if "=" in kv:
            k, v = kv.split("=", 1)
            d[k] = v
    return d


def fmt(v):
    if v is None:
        return "-"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.1f}"


def summarize(path):
    results, statuses = [], []
    for line in open(path):
        if line.startswith("RESULT "):
            results.append(parse(line))
        elif line.startswith("STATUS "):
            # The stderr field may hold spaces; it is last, so cut it off before splitting.
            statuses.append(parse(line.split(" stderr=")[0]))
            statuses[-1]["stderr"] = line.split(" stderr=", 1)[1].strip() if " stderr=" in line else ""

    # Samples: warm trials (trial >= 1) where a process ran several; park has one per process.
    samples = OrderedDict()
    cold = OrderedDict()
    for r in results:
        b = r["bench"]
        if b not in METRIC or METRIC[b] not in r:
            continue
        size = int(r.get("n", r.get("iters", 0)))
        key = (b, int(r["procs"]), size)
        v = float(r[METRIC[b]])
        if b == "park" or r.get("trial") != "0":
            samples.setdefault(key, {}).setdefault(r["system"], []).append(v)
        else:
            cold.setdefault(key, {}).setdefault(r["system"], []).append(v)

    def med(key, system, table=samples):
        xs = table.get(key, {}).get(system)
        return statistics.median(xs) if xs else None

    def cell(key, system, table=samples):
        xs = table.get(key, {}).get(system)
        if not xs:
            return "-"
        return f"{fmt(statistics.median(xs))} [{fmt(min(xs))}-{fmt(max(xs))}] ({len(xs)})"

    def ratio(a, b):
        return f"{a / b:.2f}" if a is not None and b else "-"

    units = {"spawn": "ns/goroutine", "pingpong": "ns/round trip", "yield": "ns/switch", "park": "B/goroutine",
             "dump": "ms/dump", "leaks": "ms/analysis", "agent": "ms/scrape"}
    order = {"spawn": 0, "pingpong": 1, "yield": 2, "park": 3, "dump": 4, "leaks": 5, "agent": 6}
    stopped = OrderedDict()  # dump: how long the target was stopped (Go: the whole dump)
    analysis = OrderedDict()  # leaks: the analysis alone (after the copy, target running)
    agent_extra = {}  # agent: its CPU per scrape, its RSS, target threads seen stopped
    for r in results:
        if r["bench"] in ("dump", "leaks") and r.get("trial") != "0" and "stopped_ms" in r:
            key = (r["bench"], int(r["procs"]), int(r["n"]))
            stopped.setdefault(key, {}).setdefault(r["system"], []).append(float(r["stopped_ms"]))
        if r["bench"] == "leaks" and r.get("trial") != "0" and "analysis_ms" in r:
            key = ("leaks", int(r["procs"]), int(r["n"]))
            analysis.setdefault(key, {}).setdefault(r["system"], []).append(float(r["analysis_ms"]))
        if r["bench"] == "agent" and r.get("trial") != "0":
            key = ("agent", int(r["procs"]), int(r["n"]))
            for k in ("cpu_ms", "rss_kib", "anon_kib", "shmem_kib", "stopped_threads"):
                if k in r:
                    agent_extra.setdefault(k, {}).setdefault(key, {}).setdefault(r["system"], []).append(float(r[k]))
    keys = sorted(set(samples) | set(cold), key=lambda k: (order[k[0]], k[2], k[1]))
    rows = []
    verdicts = []
    for key in keys:
        b, p, size = key
        g = med(key, "gleak")
        target = TARGETS.get((b, p)) if b != "dump" or size == 100_000 else None
        if b == "spawn" and size != 1_000_000 and target is not None:
            tdesc = f"(<= {fmt(target)})"  # the official target is at N=1M; shown for reference
        else:
            tdesc = f"<= {fmt(target)}" if target is not None else "-"
        met = "-"
        if target is not None and g is not None:
            met = "yes" if g <= target else "NO"
            verdicts.append((f"{b} procs={p} n={size}", g, target, met))
        label = f"{b} n={size:,}" if b != "agent" else f"agent {AGENT_PROCESSES} x n={size:,}"
        rows.append([label, str(p), units[b], cell(key, "gleak"), cell(key, "go"), cell(key, "bf"),
                     ratio(g, med(key, "go")), ratio(g, med(key, "bf")), tdesc, met,
                     cell(key, "gleak_norec"), ratio(g, med(key, "gleak_norec"))])
        if key in stopped:
            gs = med(key, "gleak", stopped)
            rows.append([f"  (target stopped)", str(p), "ms", cell(key, "gleak", stopped), cell(key, "go", stopped),
                         "-", ratio(gs, med(key, "go", stopped)), "-", "-", "-", "-", "-"])
        if key in analysis:
            ga = med(key, "gleak", analysis)
            rows.append([f"  (analysis only)", str(p), "ms", cell(key, "gleak", analysis), cell(key, "go"),
                         "-", ratio(ga, med(key, "go")), "-", "-", "-", "-", "-"])
        for k, unit in (("cpu_ms", "ms CPU/scrape"), ("rss_kib", "KiB RSS"), ("anon_kib", "KiB own"),
                        ("shmem_kib", "KiB arenas"), ("stopped_threads", "threads")):
            if key in agent_extra.get(k, {}):
                rows.append([f"  (agent {k})", str(p), unit, cell(key, "gleak", agent_extra[k]), "-", "-", "-", "-",
                             "0" if k == "stopped_threads" else "-", "-", "-", "-"])
        if key in cold:
            gc = med(key, "gleak", cold)
            rows.append([f"  (cold: trial 0)", str(p), units[b], cell(key, "gleak", cold), cell(key, "go", cold),
                         cell(key, "bf", cold), ratio(gc, med(key, "go", cold)), ratio(gc, med(key, "bf", cold)),
                         "-", "-", cell(key, "gleak_norec", cold), ratio(gc, med(key, "gleak_norec", cold))])
    # Ping-pong: 2 workers no worse than 1 worker by more than 10%.
    for (b, p, size) in keys:
        if b == "pingpong" and p == 2:
            g1, g2 = med(("pingpong", 1, size), "gleak"), med(("pingpong", 2, size), "gleak")
            if g1 and g2:
                met = "yes" if g2 <= PINGPONG_P2_OVER_P1 * g1 else "NO"
                rows.append([f"pingpong n={size:,} P2/P1", "2/1", "ratio", f"{g2 / g1:.2f}",
                             ratio(med(("pingpong", 2, size), "go"), med(("pingpong", 1, size), "go")),
                             ratio(med(("pingpong", 2, size), "bf"), med(("pingpong", 1, size), "bf")),
                             "-", "-", f"<= {PINGPONG_P2_OVER_P1:.2f}", met,
                             ratio(med(("pingpong", 2, size), "gleak_norec"), med(("pingpong", 1, size), "gleak_norec")),
                             "-"])
                verdicts.append((f"pingpong n={size} P2/P1", g2 / g1, PINGPONG_P2_OVER_P1, met))

    head = ["benchmark", "procs", "unit", "gleak median [min-max] (n)", "go", "bf", "gleak/go", "gleak/bf",
            "target", "met", "gleak_norec (recording off)", "rec/norec"]
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = "  ".join
    print()
    for comment in open(path):
        if comment.startswith("# ") and not comment.startswith("# cmd:"):
            print(comment.rstrip())
    print("Medians over warm trials (trial >= 1 of each process; park: one sample per process).")
    print("bf = Boost.Fiber (procs=1: round_robin; procs=2: work_stealing, suspend=true), 16 KiB stacks.")
    print("gleak_norec = gleak built with GLEAK_NO_RECORDING; rec/norec = what the recording costs.")
    print(line(h.ljust(w) for h, w in zip(head, widths)))
    print(line("-" * w for w in widths))
    for r in rows:
        print(line(str(c).ljust(w) for c, w in zip(r, widths)))

    bad = [s for s in statuses if s.get("rc") != "0"]
    nproc = len(statuses)
    print()
    print(f"processes: {nproc}, not OK: {len(bad)}")
    for s in bad:
        kind = "HANG (timeout)" if s["rc"] == "timeout" else f"exit {s['rc']}"
        print(f"  {s['system']} {s['bench']} procs={s['procs']} n={s['n']} round={s['round']}: {kind} {s.get('stderr', '')}")
    gleak_bad = [s for s in bad if s["system"].startswith("gleak")]
    missed = [v for v in verdicts if v[3] != "yes"]
    print()
    print(f"gleak targets met: {len(verdicts) - len(missed)}/{len(verdicts)}"
          + ("" if not missed else "; missed: " + ", ".join(
              f"{v[0]} ({v[1]:.2f} > {v[2]:.2f})" if v[2] < 10 else f"{v[0]} ({fmt(v[1])} > {fmt(v[2])})"
              for v in missed)))
    if gleak_bad:
        print(f"gleak processes that failed or hung: {len(gleak_bad)}")
    return 1 if gleak_bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--bin-dir", required=True, help="directory with gleak_bench, go_anchor, bf_anchor")
    r.add_argument("--out", required=True)
    r.add_argument("--quick", action="store_true")
    r.add_argument("--rounds", type=int, default=None, help="processes per configuration (default 5; quick 1)")
    r.add_argument("--only", default=None, help="comma-separated benchmarks to run (spawn,pingpong,yield,park,dump,leaks,agent)")
    r.add_argument("--gleak-cli", default=None, help="the gleak command, for the dump and leaks benchmarks")
    r.add_argument("--bf-park", choices=["auto", "yes", "no"], default="no",
                   help="also park 1M Boost.Fiber fibers (~9 GB, 45-110 s); auto: when 12 GiB are available")
    s = sub.add_parser("summarize")
    s.add_argument("file")
    a = ap.parse_args()
    if a.cmd == "run":
        sys.exit(cmd_run(a))
    sys.exit(summarize(a.file))


if __name__ == "__main__":
    main()
