#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a trace: a read-only memory map of a file, or a private copy of an array
/// (for fuzzing and tests). Lives as long as any reader of it.
final class MappedFile: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    private let unmap: Bool
    /// True for a file (mapped or empty), false for an in-memory copy.
    let isFile: Bool

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw TraceWriter.ioError(path, "open", errno) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw TraceWriter.ioError(path, "stat", errno) }
        if (st.st_mode & S_IFMT) != S_IFREG {
            throw TraceError(path: path, offset: nil, .io(operation: "open", errno: EINVAL, message: "not a regular file"))
        }
        let size = Int(st.st_size)
        isFile = true
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0); unmap = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw TraceWriter.ioError(path, "mmap", errno)
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size); unmap = true
    }

    init(copying array: [UInt8]) {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(array.count, 1), alignment: 16)
        array.withUnsafeBytes { src in
            if let s = src.baseAddress { p.baseAddress!.copyMemory(from: s, byteCount: src.count) }
        }
        bytes = UnsafeRawBufferPointer(start: p.baseAddress, count: array.count); unmap = false
        owned = p
        isFile = false
    }

    private var owned: UnsafeMutableRawBufferPointer?

    /// Drops the resident pages of `range` (file offsets) from this process, so that reading a large
    /// trace front to back keeps RSS flat. Safe for a read-only private mapping that is never written:
    /// the next access faults the same bytes back in from the page cache. No-op for in-memory copies.
    func releasePages(_ range: Range<Int>) {
        guard unmap, let base = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = max(0, range.lowerBound) / page * page
        let end = min(bytes.count, range.upperBound)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }

    deinit {
        if unmap, let b = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: b), bytes.count) }
        owned?.deallocate()
    }
}
