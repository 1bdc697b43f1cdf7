import AttnTestSupport
import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// Small kernels (softmax, RMSNorm, SwiGLU, sgemm) against their naive Double versions.
final class KernelTests: XCTestCase {
    /// Softmax with the polynomial exp: ≤ 1e-6 absolute per probability (expf's ≤ 2 ulp error
    /// relative, on values ≤ 1) on rows of lengths that exercise the 8-lane tail.
    func testSoftmaxMatchesNaive() {
        for seed in UInt64(1)...5 {
            var rng = SeededGenerator(seed: seed)
            for n in [1, 7, 8, 9, 100, 4099] {
                let x = rng.floats(n, in: -30...30)
                var fast = x, naive = x
                softmaxInPlace(&fast, count: n)
                softmaxNaive(&naive, count: n)
                assertClose(fast, naive, below: 1e-6, "seed \(seed) n \(n)")
            }
        }
    }

    /// Scores near 1e3 (and near −1e3): e^x overflows or flushes there, so only a softmax that
    /// subtracts the row's maximum first gets them right.
    func testSoftmaxOfScoresNearAThousandMatchesNaive() {
        var rng = SeededGenerator(seed: 21)
        for center: Float in [1000, -1000] {
            for n in [5, 8, 37] {
                let x = rng.floats(n, in: (center - 8)...(center + 8))
                var fast = x, naive = x
                softmaxInPlace(&fast, count: n)
                softmaxNaive(&naive, count: n)
                assertClose(fast, naive, below: 1e-6, "center \(center) n \(n)")
            }
        }
    }

    func testSimdExpRelativeError() {
        var relative = Deviation()
        var v: Float = -87
        while v < 88 {
            let e = simdExp(SIMD8(repeating: v))[0]
            relative.add(e, expf(v), scale: Double(expf(v)))
            v += 0.0137
        }
        assertBelow(relative, 5e-7)
        XCTAssertEqual(simdExp(SIMD8(repeating: -200))[0], 0)
    }

    func testRMSNormAndSwiGLUMatchNaive() {
        var rng = SeededGenerator(seed: 11)
        let n = 1536
        let x = rng.floats(n, in: -3...3), w = rng.floats(n), g = rng.floats(n, in: -8...8)
        var a = [Float](repeating: 0, count: n), b = a
        rmsNorm(&a, x, w, count: n, eps: 1e-5)
        rmsNormNaive(&b, x, w, count: n, eps: 1e-5)
        assertClose(a, b, below: 1e-6, relative: true)
        swiGLU(&a, gate: g, up: x, count: n)
        swiGLUNaive(&b, gate: g, up: x, count: n)
        assertClose(a, b, below: 1e-6, relative: true)
    }

    /// sgemm (out = x·Wᵀ) against the naive triple loop; 1e-5 relative for f32 sums of 576 terms.
    func testMatmulMatchesNaive() {
        var rng = SeededGenerator(seed: 3)
        let t = 9, rows = 70, cols = 576
        let x = rng.floats(t * cols), w = rng.floats(rows * cols)
        var a = [Float](repeating: 0, count: t * rows), b = a
        matmul(&a, x, w, tokens: t, rows: rows, cols: cols)
        matmulNaive(&b, x, w, tokens: t, rows: rows, cols: cols)
        assertClose(a, b, below: 1e-5, relative: true)
    }

    /// Every worker runs once per call, and the row split covers each index exactly once.
    /// Side work: every item runs exactly once, on a worker or (what is left) on the caller in
    /// `finishSide`, which returns only when all are done; loops run meanwhile; one thread runs
    /// the items at once. (Whether the worker took any here depends on the scheduler: see
    /// testWorkerTakesSideItemsWhileTheCallerWaits.)
    func testWorkerPoolSideWorkRunsEveryItemOnce() {
        for threads in [1, 2] {
            let pool = WorkerPool(threads: threads)
            for round in 0..<30 {
                let count = 1 + round % 13
                let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
                hits.initialize(repeating: 0, count: count)
                let workers = UnsafeMutablePointer<Int>.allocate(capacity: count)
                pool.startSide(count) { i, worker in
                    if worker != 0 { usleep(1000) }   // a worker's item outlasts the caller's share
                    hits[i] += 1
                    workers[i] = worker
                }
                var sum = 0
                pool.parallelFor(64) { r, _ in for _ in r { } }
                for i in 0..<count { sum += i }
                usleep(1500)   // the caller's own work: the worker takes items meanwhile
                pool.finishSide()
                XCTAssertEqual((0..<count).map { hits[$0] }, Array(repeating: 1, count: count), "threads \(threads) round \(round)")
                XCTAssertTrue((0..<count).allSatisfy { workers[$0] >= 0 && workers[$0] < threads })
                XCTAssertEqual(sum, count * (count - 1) / 2)
                hits.deallocate(); workers.deallocate()
            }
            pool.finishSide()   // nothing pending: returns at once
        }
    }

    /// The worker takes side items on its own while the caller is busy elsewhere: the caller
    /// waits until an item ran on worker 1 (for at most 30 s: a busy machine delays the worker,
    /// which is no failure; a worker that never takes side work is), then finishes the rest.
    func testWorkerTakesSideItemsWhileTheCallerWaits() {
        let pool = WorkerPool(threads: 2)
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var onWorker = 0
            func note(_ worker: Int) { lock.lock(); if worker != 0 { onWorker += 1 }; lock.unlock() }
            var count: Int { lock.lock(); defer { lock.unlock() }; return onWorker }
        }
        let seen = Seen()
        pool.startSide(64) { _, worker in seen.note(worker) }
        let deadline = Date().addingTimeInterval(30)
        while seen.count == 0 && Date() < deadline { usleep(1000) }
        pool.finishSide()
        XCTAssertGreaterThan(seen.count, 0, "the worker took no side item while the caller waited")
    }

    func testWorkerPoolCoversEveryIndexOnce() {
        let pool = WorkerPool(threads: 2)
        for count in [1, 15, 16, 17, 960, 49152] {
            let hits = UnsafeMutablePointer<Int32>.allocate(capacity: count)
            hits.update(repeating: 0, count: count)
            for _ in 0..<3 {
                pool.parallelFor(count, granule: 16) { r, _ in for i in r { hits[i] += 1 } }
            }
            XCTAssertEqual((0..<count).filter { hits[$0] != 3 }.count, 0, "count \(count)")
            hits.deallocate()
        }
    }
}
