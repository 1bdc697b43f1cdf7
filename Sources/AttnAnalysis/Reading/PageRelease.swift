#if canImport(Glibc)
import Glibc
#endif
import AttnTrace

// MARK: - Keeping RSS flat while streaming a memory-mapped trace

/// `TraceReader` reads through a read-only memory map. Every page touched stays resident and
/// counts in the process's RSS, so streaming two 1 GB traces would end at ~2 GB RSS although
/// nothing of the old steps is needed any more (frames are decoded into copies). This drops the
/// pages behind the read cursor every `everyBytes` (`TraceReader.releasePages(beforeStep:)`).
public struct PageRelease {
    public let reader: TraceReader
    /// Release after about this many bytes of the file have been read.
    public let everyBytes: Int
    private var sinceRelease = 0
    private let bytesPerStep: Int

    public init(reader: TraceReader, everyBytes: Int = 16 << 20) {
        self.reader = reader
        self.everyBytes = everyBytes
        bytesPerStep = reader.stepCount > 0 ? max(1, reader.fileSize / reader.stepCount) : 1
    }

    /// Call after step `step` was read; drops the pages of the steps before it every `everyBytes`
    /// (estimated from the mean step size).
    public mutating func stepRead(_ step: Int) {
        sinceRelease += bytesPerStep
        if sinceRelease >= everyBytes {
            sinceRelease = 0
            reader.releasePages(beforeStep: step)
        }
    }
}

extension PageRelease {
    /// Streaming frees each step's frames before decoding the next; by default glibc then hands
    /// the freed top of the heap back to the kernel every step and faults it in again (measured:
    /// ~400 000 minor faults and ~15 % of diff time on two 300 MB traces). This raises glibc's
    /// trim threshold to 64 MB (mallopt(M_TRIM_THRESHOLD), looked up at run time because the Glibc
    /// module does not export malloc.h). No effect elsewhere.
    public static func keepFreedHeap() {
        #if os(Linux)
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(sym, to: MallOpt.self)
        let M_TRIM_THRESHOLD: Int32 = -1, M_MMAP_THRESHOLD: Int32 = -3
        _ = mallopt(M_TRIM_THRESHOLD, 64 << 20)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)   // fixed, so big row buffers stay in the heap too
        #endif
    }
}
