// A bounded queue in front of a TraceWriter, drained by one background thread, so that encoding
// and writing a step overlap the next step's compute. `push` blocks while `capacity` frames are
// queued or being written (back-pressure instead of unbounded memory). With the default capacity
// of 1, at most one finished step is not yet on disk, so a kill -9 loses at most the last step. The first write error stops the writer;
// `failure` then reports it and later pushes are dropped, so the recorder can stop with a clear
// message while the file stays readable up to the last complete chunk.
//
// The writer thread runs under SCHED_BATCH (Linux): a push's wakeup then does not preempt the
// thread that pushed. Under the default policy the woken writer took the decode thread's core
// at once (wakeup preemption), so a step's encode (~90 µs at capture level metrics) ran inside
// `push`, on the critical path. As a batch thread it keeps its fair share (no starvation under
// load, unlike a lower nice value or SCHED_IDLE, which made pushes block) but runs when the
// scheduler next switches, beside the decode rather than in it (docs/probe.md, "The writer thread").

import AttnTrace
import Foundation

public final class BackgroundTraceWriter: @unchecked Sendable {
    private let writer: TraceWriter
    private let capacity: Int
    private let lock = NSCondition()
    private var queue: [StepFrame] = []
    private var writing = 0               // frames taken by the writer thread, not yet written
    private var closed = false
    private var error: Error?
    private var written = 0
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    /// The writer thread's scheduling policy as it set it (SCHED_BATCH, or what it had when that
    /// failed); read it after `finish`, which waits for the thread.
    public private(set) var schedulingPolicy: Int32 = -1

    public init(writer: TraceWriter, capacity: Int = 1) {
        self.writer = writer; self.capacity = max(1, capacity)
        let t = Thread { [unowned self] in
            self.schedulingPolicy = Self.becomeBatchThread()
            self.drain()
        }
        t.name = "attnscope-trace-writer"
        thread = t
        t.start()
    }

    /// SCHED_BATCH in <linux/sched.h>; Glibc declares it only under _GNU_SOURCE, which Swift's
    /// Glibc module does not set.
    public static let schedBatch: Int32 = 3

    /// Puts the calling thread under SCHED_BATCH (no privilege needed) and returns the policy it
    /// then has. A failure leaves the default policy: only the overlap with the decode suffers.
    private static func becomeBatchThread() -> Int32 {
        var param = sched_param()
        param.sched_priority = 0
        _ = pthread_setschedparam(pthread_self(), schedBatch, &param)
        var policy: Int32 = -1
        _ = pthread_getschedparam(pthread_self(), &policy, &param)
        return policy
    }

    /// The first write error, if any.
    public var failure: Error? { lock.lock(); defer { lock.unlock() }; return error }
    /// Bytes on disk so far.
    public var bytesWritten: Int { lock.lock(); defer { lock.unlock() }; return written }

    /// Queues a frame (blocks while the queue is full). Returns false once the writer has failed.
    @discardableResult
    public func push(_ frame: StepFrame) -> Bool {
        lock.lock(); defer { lock.unlock() }
        while queue.count + writing >= capacity && error == nil { lock.wait() }
        guard error == nil else { return false }
        queue.append(frame)
        lock.broadcast()
        return true
    }

    /// Writes what is queued, then the footer. Throws the first write error.
    public func finish() throws {
        lock.lock(); closed = true; lock.broadcast(); lock.unlock()
        done.wait()
        if let error { throw error }
        try writer.finish()
    }

    private func drain() {
        while true {
            lock.lock()
            while queue.isEmpty && !closed { lock.wait() }
            if queue.isEmpty && closed { lock.unlock(); break }
            let frame = queue.removeFirst()
            writing += 1
            lock.unlock()
            do {
                try writer.append(frame)
                lock.lock(); written = writer.bytesWritten; writing -= 1; lock.broadcast(); lock.unlock()
            } catch {
                lock.lock(); self.error = error; writing = 0; queue.removeAll(); lock.broadcast(); lock.unlock()
                break
            }
        }
        done.signal()
    }
}
