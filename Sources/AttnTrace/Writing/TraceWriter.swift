#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams a trace to disk: the file header at `init`, one self-contained chunk per `append`
/// (written with one `write` call, never rewritten), and the footer index + trailer at `finish`.
///
/// Memory: one reused encode buffer (the size of the largest step) plus 8 bytes per step for the
/// footer index. If the process dies, every chunk already written stays readable (recovery scan).
/// After a write error (e.g. disk full) the writer throws on every later call; what is on disk
/// stays readable up to the last complete chunk.
public final class TraceWriter {
    public struct Options: Sendable {
        /// How attention rows are stored.
        public var rowEncoding: RowEncoding
        /// fsync after every chunk (survives power loss at the cost of speed); `finish` always syncs.
        public var syncEveryChunk: Bool

        public init(rowEncoding: RowEncoding = .log8, syncEveryChunk: Bool = false) {
            self.rowEncoding = rowEncoding; self.syncEveryChunk = syncEveryChunk
        }
    }

    public let path: String
    public let header: RunHeader
    public let options: Options
    /// Frames appended so far.
    public private(set) var stepCount = 0
    /// Bytes written so far.
    public private(set) var bytesWritten = 0

    private var fd: Int32
    private var failed: TraceError?
    private var finished = false
    private var encoder: ChunkEncoder
    private var offsets: [UInt64] = []                    // [steps] chunk offsets, for the footer
    private var summary = TraceSummary.empty

    public init(path: String, header: RunHeader, options: Options = .init()) throws {
        self.path = path; self.header = header; self.options = options
        encoder = ChunkEncoder(header: header, options: options)
        if let why = FrameValidation.headerProblem(header) {
            throw TraceError(path: path, offset: nil, .invalidFrame("run header: \(why)"))
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw Self.ioError(path, "open", errno) }

        var body = ByteWriter(capacity: 4096)
        do {
            try body.record(.runHeader) { Codec.encode(header, into: &$0) }
        } catch {
            close(fd)
            throw TraceError(path: path, offset: nil, .invalidFrame("run header too large"))
        }
        if body.count > Format.maxHeaderBytes {
            close(fd)
            throw TraceError(path: path, offset: nil, .headerTooLarge(body.count))
        }
        var w = ByteWriter(capacity: Format.fileHeaderFixedSize + body.count)
        w.append(Format.magic)
        w.u32(Format.version)
        w.u32(UInt32(body.count))
        w.u32(body.withUnsafeBytes { Checksum.crc32($0) })
        w.append(body)
        do { try w.withUnsafeBytes { try writeAll($0) } } catch { close(fd); fd = -1; throw error }
    }

    deinit {
        // Not finished: leave the file as a crash would (recoverable), just release the descriptor.
        if fd >= 0 { close(fd) }
    }

    // MARK: - Appending

    public func append(_ frame: StepFrame) throws {
        try checkUsable()
        do {
            try encoder.encode(frame, step: stepCount)
        } catch var e as TraceError {
            e.path = path; e.offset = bytesWritten
            throw e
        }
        let offset = UInt64(bytesWritten)
        try encoder.withBytes { try writeAll($0) }
        if options.syncEveryChunk { try sync() }
        offsets.append(offset)
        summary.add(frame.step)
        stepCount += 1
    }

    // MARK: - Finishing

    /// Writes the footer (index + summary) and the trailer, syncs and closes. The file is then
    /// "finalized": readers open it without scanning.
    public func finish() throws {
        try checkUsable()
        guard offsets.count < Int(Format.footerStep) else {
            throw TraceError(path: path, offset: bytesWritten, .invalidFrame("too many steps for the footer"))
        }
        var chunk = ByteWriter(capacity: 64 + 3 * offsets.count)
        chunk.append(Format.sync)
        chunk.u32(0); chunk.u32(Format.footerStep); chunk.u32(0)
        try chunk.record(.index) { Codec.encodeIndex(offsets, into: &$0) }
        try chunk.record(.summary) { summary.encode(into: &$0) }
        chunk.patchU32(UInt32(chunk.count - Format.chunkHeaderSize), at: 8)
        chunk.patchU32(Checksum.chunkCRC(chunk), at: 16)
        let footerOffset = UInt64(bytesWritten)

        var trailer = ByteWriter(capacity: Format.trailerSize)
        trailer.u64(footerOffset)
        trailer.u32(UInt32(offsets.count))
        trailer.u32(trailer.withUnsafeBytes { Checksum.crc32($0) })
        trailer.append(Format.endMagic)
        chunk.append(trailer)
        try chunk.withUnsafeBytes { try writeAll($0) }
        try sync()
        finished = true
        close(fd); fd = -1
        offsets = []
    }

    // MARK: - I/O

    private func checkUsable() throws {
        if let failed { throw failed }
        if finished || fd < 0 { throw TraceError(path: path, offset: bytesWritten, .writerFinished) }
    }

    private func writeAll(_ buf: UnsafeRawBufferPointer) throws {
        do {
            var done = 0
            while done < buf.count {
                let n = write(fd, buf.baseAddress! + done, buf.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    let e = Self.ioError(path, "write", errno, offset: bytesWritten + done)
                    failed = e
                    throw e
                }
                if n == 0 {   // should not happen for regular files; avoid spinning
                    let e = Self.ioError(path, "write", EIO, offset: bytesWritten + done)
                    failed = e
                    throw e
                }
                done += n
            }
            bytesWritten += done
        }
    }

    private func sync() throws {
        if fsync(fd) != 0 {
            let e = Self.ioError(path, "fsync", errno, offset: bytesWritten)
            failed = e
            throw e
        }
    }

    static func ioError(_ path: String, _ op: String, _ code: Int32, offset: Int? = nil) -> TraceError {
        TraceError(path: path, offset: offset, .io(operation: op, errno: code, message: String(cString: strerror(code))))
    }
}
