#if canImport(Glibc)
import Glibc
#endif
import AttnTrace

// MARK: - Keeping RSS flat while streaming a memory-mapped trace

/// `TraceReader` reads through a read-only memory map. Every page touched stays resident and
/// counts in the process's RSS, so streaming two 1 GB traces would end at ~2 GB RSS although
/// nothing of the old steps is needed any more (frames are decoded into copies).
///
/// Until AttnTrace offers a way to drop pages behind the read cursor (requested in the analysis
/// report: e.g. `TraceReader.releasePages()`), this finds the file's mappings in /proc/self/maps and
/// drops them with madvise(MADV_DONTNEED). For a read-only private file mapping that is always safe:
/// the next access re-reads the page from the page cache (a minor fault), with the same bytes.
/// Where /proc is missing or the file is not mapped, it does nothing.
public struct PageRelease {
    public let path: String
    /// Release after about this many bytes of the file have been read.
    public let everyBytes: Int
    private var sinceRelease = 0
    private let bytesPerStep: Int

    public init(reader: TraceReader, everyBytes: Int = 16 << 20) {
        path = reader.path
        self.everyBytes = everyBytes
        bytesPerStep = reader.stepCount > 0 ? max(1, reader.fileSize / reader.stepCount) : 1
    }

    /// Call after each step read; drops the mapping's pages every `everyBytes` (estimated from the
    /// mean step size).
    public mutating func stepRead() {
        sinceRelease += bytesPerStep
        if sinceRelease >= everyBytes {
            sinceRelease = 0
            Self.release(path: path)
        }
    }

    /// Drops the resident pages of every mapping of `path` in this process. Returns how many
    /// mappings were advised.
    @discardableResult
    public static func release(path: String) -> Int {
        #if os(Linux)
        guard let resolved = realpath(path, nil) else { return 0 }
        let target = String(cString: resolved)
        free(resolved)
        guard let maps = fopen("/proc/self/maps", "r") else { return 0 }
        defer { fclose(maps) }
        var count = 0
        var line = [CChar](repeating: 0, count: 4096 + 256)
        while fgets(&line, Int32(line.count), maps) != nil {
            let text = String(cString: line).trimmingTrailingNewline()
            // "start-end perms offset dev inode    pathname"
            let fields = text.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, String(fields[5]).trimmingLeadingSpaces() == target else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16),
                  end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { continue }
            if madvise(p, Int(end - start), MADV_DONTNEED) == 0 { count += 1 }
        }
        return count
        #else
        return 0
        #endif
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

private extension String {
    func trimmingTrailingNewline() -> String {
        var s = Substring(self)
        while s.last == "\n" { s.removeLast() }
        return String(s)
    }
    func trimmingLeadingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        return String(s)
    }
}
