import AttnTrace
import Dispatch
import Foundation

// MARK: - Reading one run ahead, in batches, on a thread of its own

/// Reads a column source's steps 0 ..< steps in order on its own thread, into a ring of batches
/// (up to `maxSteps` steps or about `maxBytes` of file each), while the caller takes them one step
/// at a time with `take()`. The two threads meet once per batch, not once per step: waking a
/// thread per step cost ~18 % of a metrics-only diff. Memory: `batchCount` batches of decoded
/// columns. Two small batches (double buffering): on rows traces (`maxBytes` of file is ~4 × that
/// decoded) a deeper ring left the rows to compare out of the caches (measured: 4 × 256 KB used
/// ~30 % more CPU than 2 × 128 KB on a 2 × 256 MB rows diff; metrics-only the same).
///
/// Each batch is used by one thread at a time: the producer fills it between `free.wait()` and
/// `filled.signal()`, the consumer reads it between `filled.wait()` and `free.signal()`.
final class ColumnPrefetch<S: ColumnSource>: @unchecked Sendable {
    final class Batch {
        var frames: [StepColumns] = []   // [count] filled, the rest kept for reuse
        var count = 0
        var failure: Error?              // why step first + count could not be read
    }

    private let source: S
    private let steps: Int
    private let maxSteps: Int
    private let maxBytes: Int
    private let batches: [Batch]
    private let filled = DispatchSemaphore(value: 0)
    private let free = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Set by `stop()`; read by the producer after each `free.wait()` (under `lock`).
    private var cancelled = false
    private let lock = NSLock()
    private var started = false
    // Consumer side.
    private var current: Batch?
    private var taken = 0        // batches taken so far
    private var position = 0     // next step within `current`

    init(_ source: S, steps: Int, batchCount: Int = 2, maxSteps: Int = 32, maxBytes: Int = 128 << 10) {
        self.source = source; self.steps = steps
        self.maxSteps = max(1, maxSteps); self.maxBytes = maxBytes
        batches = (0..<max(2, batchCount)).map { _ in Batch() }
        // Not DispatchSemaphore(value: n): libdispatch traps when such a semaphore is freed holding
        // less than n, as `free` may after an early stop.
        for _ in batches { free.signal() }
    }

    func start() {
        started = true
        let thread = Thread { [self] in produce() }
        thread.name = "attnscope.diff.prefetch"
        thread.start()
    }

    private func produce() {
        defer { finished.signal() }
        var step = 0, k = 0
        while step < steps {
            free.wait()
            if lock.withLock({ cancelled }) { return }
            let batch = batches[k % batches.count]
            k += 1
            batch.count = 0
            batch.failure = nil
            var bytes = 0
            while step < steps, batch.count < maxSteps, bytes < maxBytes {
                if batch.frames.count == batch.count { batch.frames.append(StepColumns()) }
                do {
                    try source.columns(step, into: &batch.frames[batch.count])
                } catch {
                    batch.failure = error
                    break
                }
                bytes += batch.frames[batch.count].encodedBytes
                batch.count += 1
                step += 1
            }
            // Slots beyond this batch's steps would keep the attention rows of an older, larger batch.
            for k in batch.count..<batch.frames.count where !batch.frames[k].rows.isEmpty { batch.frames[k].rows = [] }
            let failed = batch.failure != nil
            filled.signal()
            if failed { return }
        }
    }

    /// The next step (0, 1, 2 … in order): its batch and its place in it, valid until the next
    /// `take()`. Throws the error met reading it.
    func take() throws -> (batch: Batch, index: Int) {
        if let c = current, position == c.count {
            if let failure = c.failure { throw failure }
            free.signal()
            current = nil
        }
        if current == nil {
            filled.wait()
            current = batches[taken % batches.count]
            taken += 1
            position = 0
        }
        let c = current!
        if position == c.count { throw c.failure! }   // a batch ends early only when a read failed
        position += 1
        return (c, position - 1)
    }

    /// Stops the producer (after the batch it is filling) and waits for its thread to end.
    /// Call exactly once, after the last `take()` or on an early exit.
    func stop() {
        guard started else { return }
        lock.withLock { cancelled = true }
        free.signal()
        finished.wait()
    }
}
