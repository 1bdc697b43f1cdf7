// Persistent worker threads for decode-sized parallel work (tens of microseconds per call).
// GCD's concurrentPerform costs several microseconds per call on 2 cores; a decode step makes
// ~150 parallel calls, so workers here spin briefly on a generation counter and only then sleep
// on a condition variable (so an idle pool costs no CPU).

import Foundation
import Synchronization

/// Runs `body(worker)` on `threads` workers at once (worker 0 is the calling thread) and returns
/// when all are done. Not reentrant: one `run` at a time, from one thread.
public final class WorkerPool: @unchecked Sendable {
    /// Number of workers, including the calling thread.
    public let threads: Int

    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private var job: ((Int) -> Void)?
    private var stopping = false
    private var sleepers = 0
    private let condition = NSCondition()
    private var workers: [Thread] = []

    /// Spins before a waiting worker goes to sleep (~0.1-0.5 ms).
    private static let spinLimit = 200_000

    public init(threads: Int) {
        self.threads = max(1, threads)
        for w in 1..<self.threads {
            let t = Thread { [unowned(unsafe) self] in self.workerLoop(index: w) }
            t.name = "attn-worker-\(w)"
            t.stackSize = 1 << 20
            workers.append(t)
            t.start()
        }
    }

    deinit {
        condition.lock()
        stopping = true
        generation.add(1, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
        // Workers hold `unowned(unsafe) self`; wait until they have left their loop.
        while pending.load(ordering: .acquiring) > -(threads - 1) { sched_yield() }
    }

    /// Calls body(0) ..< body(threads - 1) concurrently, one per worker.
    public func run(_ body: (Int) -> Void) {
        if threads == 1 { body(0); return }
        withoutActuallyEscaping(body) { escaping in
            job = escaping
            pending.store(threads - 1, ordering: .relaxed)
            condition.lock()
            generation.add(1, ordering: .releasing)
            if sleepers > 0 { condition.broadcast() }
            condition.unlock()
            escaping(0)
            var spins = 0
            while pending.load(ordering: .acquiring) != 0 {
                spins += 1
                if spins > 10_000 { sched_yield() }
            }
            job = nil
        }
    }

    /// Splits 0 ..< count into `threads` contiguous ranges (multiples of `granule` except the last)
    /// and calls body(range, worker) for each on its own worker.
    public func parallelFor(_ count: Int, granule: Int = 1, _ body: (Range<Int>, Int) -> Void) {
        if threads == 1 || count <= granule { body(0..<count, 0); return }
        let units = (count + granule - 1) / granule
        run { w in
            let lo = min(count, units * w / threads * granule)
            let hi = min(count, units * (w + 1) / threads * granule)
            if lo < hi { body(lo..<hi, w) }
        }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins > WorkerPool.spinLimit {
                    condition.lock()
                    sleepers += 1
                    while generation.load(ordering: .acquiring) == seen { condition.wait() }
                    sleepers -= 1
                    condition.unlock()
                }
            }
            seen = generation.load(ordering: .acquiring)
            if stopping { pending.subtract(1, ordering: .releasing); return }
            job!(index)
            pending.subtract(1, ordering: .releasing)
        }
    }
}
