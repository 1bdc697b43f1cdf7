// Persistent worker threads for decode-sized parallel work (tens of microseconds per call).
// A decode step makes ~150 parallel calls, too many for GCD's per-call cost on 2 cores.
//
// Work is cut into more pieces than threads (8 per thread) and claimed through an atomic counter, by the
// workers and by the calling thread alike. So when the machine is busy and a worker is not
// scheduled, the caller does that worker's pieces instead of waiting for it (a plain fork-join
// with spinning workers runs 3x slower than one thread under load). Idle workers spin briefly on a
// generation counter, then sleep on a condition variable, so an idle pool costs no CPU.
// Side work (`startSide`/`finishSide`): a batch of small items a worker runs instead of joining
// the next loops, while the caller goes on alone; the caller runs what is left when it must wait.

import Foundation
import Synchronization

/// Runs parallel loops on `threads` threads: the caller plus `threads - 1` persistent workers.
/// Not reentrant: one `parallelFor` at a time, from one thread.
public final class WorkerPool: @unchecked Sendable {
    /// Number of threads, including the calling thread.
    public let threads: Int

    /// One parallel loop: pieces 0 ..< pieces, claimed through `next`, counted in `done`.
    private final class Job: @unchecked Sendable {
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let pieces: Int
        let count: Int
        let granule: Int
        /// Valid while the caller waits; only dereferenced after claiming a piece, which cannot
        /// happen once every piece is claimed, so a late worker never touches a stale body.
        let body: UnsafePointer<(Range<Int>, Int) -> Void>

        init(pieces: Int, count: Int, granule: Int, body: UnsafePointer<(Range<Int>, Int) -> Void>) {
            self.pieces = pieces; self.count = count; self.granule = granule; self.body = body
        }

        /// Claims and runs pieces until none are left.
        func work(worker: Int) {
            let units = (count + granule - 1) / granule
            while true {
                let p = next.add(1, ordering: .relaxed).oldValue
                if p >= pieces { return }
                let lo = min(count, units * p / pieces * granule)
                let hi = min(count, units * (p + 1) / pieces * granule)
                if lo < hi { body.pointee(lo..<hi, worker) }
                done.add(1, ordering: .releasing)
            }
        }
    }

    /// Side work: items a worker takes when it would otherwise join a loop or wait for one
    /// (`startSide`), while the caller goes on; the caller finishes what is left (`finishSide`).
    private final class SideJob: @unchecked Sendable {
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let count: Int
        let body: (Int, Int) -> Void

        init(count: Int, body: @escaping (Int, Int) -> Void) { self.count = count; self.body = body }

        /// Claims and runs items until none are left.
        func work(worker: Int) {
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                if i >= count { return }
                body(i, worker)
                done.add(1, ordering: .releasing)
            }
        }
    }

    private let generation = Atomic<Int>(0)
    private let sideGeneration = Atomic<Int>(0)
    private var side: SideJob?         // guarded by condition; set by the caller only
    private let liveWorkers = Atomic<Int>(0)
    private let condition = NSCondition()
    private var current: Job?          // guarded by condition
    private var stopping = false       // guarded by condition
    private var sleepers = 0           // guarded by condition

    /// Spins before an idle worker goes to sleep (~2–4 ms): long enough to bridge the serial
    /// parts of a decode step (sampling, a policy's eviction, the recorder's step end). With
    /// 100,000 (~0.1–0.2 ms) the worker fell asleep within decode and untraced decode at 4K ran
    /// 7–11 % slower (h2o 96.6 / 99.4 → 104.6–105.6 tokens/s, Quest 97.0 / 97.3 → 106.2–110.8;
    /// docs/probe.md, "The pool's idle spin").
    private static let spinLimit = 2_000_000

    public init(threads: Int) {
        self.threads = max(1, threads)
        for w in 1..<self.threads {
            liveWorkers.add(1, ordering: .relaxed)
            let t = Thread { [unowned(unsafe) self] in self.workerLoop(index: w) }
            t.name = "attn-worker-\(w)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    deinit {
        condition.lock()
        stopping = true
        generation.add(1, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
        while liveWorkers.load(ordering: .acquiring) > 0 { sched_yield() }
    }

    /// Calls body(range, worker) over ranges that cover 0 ..< count exactly once, each range a
    /// multiple of `granule` long (except the last), on up to `threads` threads (worker in
    /// 0 ..< threads; 0 is the caller). Returns when every range is done.
    public func parallelFor(_ count: Int, granule: Int = 1, _ body: (Range<Int>, Int) -> Void) {
        guard count > 0 else { return }
        let units = (count + granule - 1) / granule
        if threads == 1 || units == 1 { body(0..<count, 0); return }
        let pieces = min(units, threads * 8)
        withoutActuallyEscaping(body) { escaping in
            withUnsafePointer(to: escaping) { bodyPointer in
                let job = Job(pieces: pieces, count: count, granule: granule, body: bodyPointer)
                condition.lock()
                current = job
                generation.add(1, ordering: .releasing)
                if sleepers > 0 { condition.broadcast() }
                condition.unlock()
                job.work(worker: 0)
                // Wait only for pieces a worker has started. No sched_yield early: on a busy
                // machine a yield hands this core to another process for a whole time slice.
                var spins = 0
                while job.done.load(ordering: .acquiring) < pieces {
                    spins += 1
                    if spins > 2_000_000 { sched_yield() }
                }
                condition.lock()
                if current === job { current = nil }
                condition.unlock()
            }
        }
    }

    /// Hands `count` items to the workers as side work: a worker runs body(item, worker) for
    /// the items it claims before joining the next loops, while the caller goes on. The caller
    /// must call `finishSide` before starting other side work and before anything body reads
    /// changes. With one thread, runs every item now.
    public func startSide(_ count: Int, _ body: @escaping (Int, Int) -> Void) {
        guard count > 0 else { return }
        if threads == 1 { for i in 0..<count { body(i, 0) }; return }
        let job = SideJob(count: count, body: body)
        condition.lock()
        precondition(side == nil, "startSide while side work is pending")
        side = job
        sideGeneration.add(1, ordering: .releasing)
        if sleepers > 0 { condition.broadcast() }
        condition.unlock()
    }

    /// Runs the side items no worker has claimed on the calling thread (worker 0), then waits
    /// for the claimed ones. Returns at once when there is no side work.
    public func finishSide() {
        condition.lock()
        let job = side
        condition.unlock()
        guard let job else { return }
        job.work(worker: 0)
        var spins = 0
        while job.done.load(ordering: .acquiring) < job.count {
            spins += 1
            if spins > 2_000_000 { sched_yield() }
        }
        condition.lock()
        side = nil
        condition.unlock()
    }

    /// A worker's turn at the side work published as of now; returns the generation it saw.
    private func takeSide(worker: Int) -> Int {
        condition.lock()
        let g = sideGeneration.load(ordering: .acquiring)
        let job = side
        condition.unlock()
        job?.work(worker: worker)
        return g
    }

    /// Runs body(worker) once on each of the `threads` threads.
    public func run(_ body: (Int) -> Void) {
        parallelFor(threads) { r, _ in for w in r { body(w) } }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        var seenSide = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                if sideGeneration.load(ordering: .acquiring) != seenSide {
                    seenSide = takeSide(worker: index)
                    spins = 0
                    continue
                }
                spins += 1
                if spins > WorkerPool.spinLimit {
                    condition.lock()
                    sleepers += 1
                    while generation.load(ordering: .acquiring) == seen && sideGeneration.load(ordering: .acquiring) == seenSide {
                        condition.wait()
                    }
                    sleepers -= 1
                    condition.unlock()
                }
            }
            // side items first: the caller does the loop's pieces meanwhile
            if sideGeneration.load(ordering: .acquiring) != seenSide { seenSide = takeSide(worker: index) }
            condition.lock()
            seen = generation.load(ordering: .acquiring)
            let job = current
            let stop = stopping
            condition.unlock()
            if stop { liveWorkers.subtract(1, ordering: .releasing); return }
            job?.work(worker: index)
        }
    }
}
