/// Whether a trace was closed by its writer, or cut short and rebuilt by a recovery scan.
public enum TraceStatus: Equatable, Sendable {
    case finalized
    /// The file is readable as a whole up to `validBytes`; `reason` says what comes after
    /// (no footer, a truncated chunk, a checksum mismatch …) and what was recovered beyond it.
    case recovered(validBytes: Int, reason: String)

    public var isFinalized: Bool { self == .finalized }
}

/// Reads a trace through a memory map. Opening reads the file header and either the footer index
/// (finalized file: constant time) or every chunk header (recovery scan). Each chunk's CRC is checked
/// the first time the chunk is read; one (layer, head) is read without decoding the rest of the step.
///
/// Steps are numbered 0 ..< stepCount in file order; that is StepInfo.index unless a damaged chunk
/// in the middle of the file was skipped (see `status`).
public final class TraceReader {
    public let path: String
    /// The format version the file was written in (`Format.readableVersions`).
    public let formatVersion: Int
    public let header: RunHeader
    public let status: TraceStatus
    /// Footer summary of a finalized file (nil for a recovered one; see `summary()`).
    public let storedSummary: TraceSummary?
    public var stepCount: Int { chunkOffsets.count }
    /// Records with a kind tag this reader does not know, skipped, in the parts read so far
    /// (the header, the footer, every chunk read; `sizeByRecordKind()` reads all chunks).
    public internal(set) var unknownRecordCount = 0
    /// File size in bytes.
    public var fileSize: Int { file.bytes.count }

    let file: MappedFile
    let chunkOffsets: [Int]            // [stepCount] file offsets of step chunks
    let chunksStart: Int               // first byte after the file header
    var chunkFlags: [UInt8]            // [stepCount] bit 0: CRC checked, bit 1: unknown records counted
    var cached: (step: Int, directory: ChunkDirectory)?
    /// Where a scan of the grown file can continue (unfinalized files without damage).
    var resumeAt: Int?

    public convenience init(path: String) throws {
        try self.init(file: try MappedFile(path: path), path: path)
    }

    /// The same file opened again, to see what a writer appended since (a live recording). For an
    /// unfinalized file the recovery scan continues where this reader's scan stopped, so following a
    /// growing trace costs only the new chunks. A reader over an in-memory copy returns itself.
    public func reopened() throws -> TraceReader {
        guard file.isFile else { return self }
        let resume = resumeAt.map { (offsets: chunkOffsets, at: $0, header: header) }
        return try TraceReader(file: try MappedFile(path: path), path: path, resume: resume)
    }

    /// Reads a trace held in memory; `name` stands for the path in error messages.
    public convenience init(bytes: [UInt8], name: String = "<memory>") throws {
        try self.init(file: MappedFile(copying: bytes), path: name)
    }

    init(file: MappedFile, path: String,
         resume: (offsets: [Int], at: Int, header: RunHeader)? = nil) throws {
        self.file = file; self.path = path
        let (header, start, unknown, version) = try Self.readFileHeader(file.bytes, path: path)
        self.header = header
        self.formatVersion = version
        self.chunksStart = start
        var unknownCount = unknown
        var footerError: TraceError?
        var footer: Footer?
        do { footer = try Self.readFooter(file.bytes, path: path, chunksStart: start) } catch let e as TraceError {
            footerError = e
        }
        if let footer {
            chunkOffsets = footer.offsets
            storedSummary = footer.summary
            status = .finalized
            unknownCount += footer.unknown
        } else {
            // Continue an earlier scan only if it is the same run and the file still reaches that far.
            let sameRun = resume.map { $0.header == header && $0.at <= file.bytes.count } ?? false
            let scan = RecoveryScan.run(file.bytes, path: path, chunksStart: start,
                                        resume: sameRun ? resume.map { ($0.offsets, $0.at) } : nil,
                                        release: { [file] in file.releasePages($0) })
            resumeAt = scan.resumeAt
            chunkOffsets = scan.offsets
            storedSummary = nil
            var reason = scan.reason
            // Say why the footer was not used when the file looks as if it had one.
            if scan.sawFooter, let footerError { reason += "; footer unusable: \(footerError.description)" }
            status = .recovered(validBytes: scan.validBytes, reason: reason)
        }
        unknownRecordCount = unknownCount
        chunkFlags = [UInt8](repeating: 0, count: chunkOffsets.count)
        if case .recovered = status {   // the scan checked every CRC
            for i in chunkFlags.indices { chunkFlags[i] = 1 }
        }
    }

    // MARK: - File header

    static func readFileHeader(_ b: UnsafeRawBufferPointer, path: String) throws
        -> (header: RunHeader, chunksStart: Int, unknown: Int, version: Int) {
        let magicLength = Format.magic.count
        let prefix = min(b.count, magicLength)
        for i in 0..<prefix where b[i] != Format.magic[i] {
            throw TraceError(path: path, offset: i, .wrongMagic)
        }
        if b.count < Format.fileHeaderFixedSize {
            throw TraceError(path: path, offset: b.count,
                             .truncatedHeader(needed: Format.fileHeaderFixedSize, available: b.count))
        }
        var r = ByteReader(b, fileOffset: 0, path: path, what: "file header")
        try r.skip(magicLength)
        let version = try r.u32()
        if !Format.readableVersions.contains(version) {
            throw TraceError(path: path, offset: magicLength, .unsupportedVersion(version))
        }
        let length = Int(try r.u32())
        if length > Format.maxHeaderBytes {
            throw TraceError(path: path, offset: magicLength + 4, .headerTooLarge(length))
        }
        let stored = try r.u32()
        if length > r.remaining {
            throw TraceError(path: path, offset: b.count,
                             .truncatedHeader(needed: Format.fileHeaderFixedSize + length, available: b.count))
        }
        let payloadOffset = r.position
        let payload = try r.bytes(length)
        let computed = Checksum.crc32(payload)
        if !Checksum.matches(stored, computed) {
            throw TraceError(path: path, offset: payloadOffset, .checksumMismatch(stored: stored, computed: computed))
        }
        var p = ByteReader(payload, fileOffset: payloadOffset, path: path, what: "header payload")
        var header: RunHeader?
        var unknown = 0
        while !p.isAtEnd {
            var rec = try p.record()
            if rec.tag == RecordKind.runHeader.rawValue && header == nil {
                header = try Codec.decodeRunHeader(&rec.body, version: Int(version))
            } else if RecordKind(rawValue: rec.tag) == nil {
                unknown += 1
            }
        }
        guard let header else {
            throw TraceError(path: path, offset: payloadOffset, .missingRecord(kind: "run header"))
        }
        return (header, payloadOffset + length, unknown, Int(version))
    }

    // MARK: - Footer

    struct Footer {
        var offsets: [Int]
        var summary: TraceSummary?
        var unknown: Int
    }

    /// The footer of a finalized file, or an error saying why there is none.
    static func readFooter(_ b: UnsafeRawBufferPointer, path: String, chunksStart: Int) throws -> Footer {
        let size = b.count
        guard size >= chunksStart + Format.chunkHeaderSize + Format.trailerSize else {
            throw TraceError(path: path, offset: size, .badTrailer("file too short for a footer"))
        }
        let trailerAt = size - Format.trailerSize
        var t = ByteReader(UnsafeRawBufferPointer(rebasing: b[trailerAt..<size]), fileOffset: trailerAt,
                           path: path, what: "trailer")
        let footerOffset = try t.u64()
        let steps = try t.u32()
        let stored = try t.u32()
        let endMagic = try t.bytes(Format.endMagic.count)
        guard endMagic.elementsEqual(Format.endMagic) else {
            throw TraceError(path: path, offset: trailerAt + 16, .badTrailer("no end magic"))
        }
        let computed = Checksum.crc32(UnsafeRawBufferPointer(rebasing: b[trailerAt..<(trailerAt + 12)]))
        guard Checksum.matches(stored, computed) else {
            throw TraceError(path: path, offset: trailerAt, .checksumMismatch(stored: stored, computed: computed))
        }
        guard footerOffset >= UInt64(chunksStart),
              footerOffset <= UInt64(trailerAt - Format.chunkHeaderSize) else {
            throw TraceError(path: path, offset: trailerAt, .badTrailer("footer offset \(footerOffset) outside the file"))
        }
        let at = Int(footerOffset)
        let chunk = try ChunkHeader.read(b, at: at, path: path)
        guard chunk.step == Format.footerStep, at + Format.chunkHeaderSize + chunk.length == trailerAt else {
            throw TraceError(path: path, offset: at, .badTrailer("footer chunk does not end at the trailer"))
        }
        try chunk.verify(b, path: path)
        var p = chunk.payload(b, path: path)
        var offsets: [Int]?
        var summary: TraceSummary?
        var unknown = 0
        while !p.isAtEnd {
            var rec = try p.record()
            switch RecordKind(rawValue: rec.tag) {
            case .index: offsets = try Codec.decodeIndex(&rec.body, limit: at)
            case .summary: summary = try TraceSummary.decode(&rec.body)
            case nil: unknown += 1
            default: break
            }
        }
        guard let offsets else { throw TraceError(path: path, offset: at, .missingRecord(kind: "index")) }
        guard offsets.count == Int(steps) else {
            throw TraceError(path: path, offset: at, .badTrailer("trailer says \(steps) steps, index has \(offsets.count)"))
        }
        if let first = offsets.first, first != chunksStart {
            throw TraceError(path: path, offset: at, .badTrailer("index does not start at the first chunk"))
        }
        return Footer(offsets: offsets, summary: summary, unknown: unknown)
    }
}

/// The 20 bytes that open a chunk: sync marker, payload length, step, CRC32 of (length, step, payload).
struct ChunkHeader {
    var offset: Int
    var length: Int
    var step: UInt32
    var crc: UInt32

    var end: Int { offset + Format.chunkHeaderSize + length }

    /// Reads and bounds-checks a chunk header (not its CRC).
    static func read(_ b: UnsafeRawBufferPointer, at offset: Int, path: String) throws -> ChunkHeader {
        guard offset >= 0, offset <= b.count else {
            throw TraceError(path: path, offset: offset, .truncatedChunk(needed: Format.chunkHeaderSize, available: 0))
        }
        let available = b.count - offset
        if available < Format.chunkHeaderSize {
            // A cut inside the sync marker is still a truncation, not damage.
            let n = min(available, Format.sync.count)
            for i in 0..<n where b[offset + i] != Format.sync[i] {
                throw TraceError(path: path, offset: offset, .badSyncMarker)
            }
            throw TraceError(path: path, offset: offset, .truncatedChunk(needed: Format.chunkHeaderSize, available: available))
        }
        for i in 0..<Format.sync.count where b[offset + i] != Format.sync[i] {
            throw TraceError(path: path, offset: offset, .badSyncMarker)
        }
        let length = Int(b.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self).littleEndian)
        let step = b.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self).littleEndian
        let crc = b.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self).littleEndian
        if length > Format.maxChunkBytes {
            throw TraceError(path: path, offset: offset + 8, .chunkTooLarge(length))
        }
        if length > available - Format.chunkHeaderSize {
            throw TraceError(path: path, offset: offset,
                             .truncatedChunk(needed: Format.chunkHeaderSize + length, available: available))
        }
        return ChunkHeader(offset: offset, length: length, step: step, crc: crc)
    }

    func computedCRC(_ b: UnsafeRawBufferPointer) -> UInt32 {
        let c = Checksum.crc32(UnsafeRawBufferPointer(rebasing: b[(offset + 8)..<(offset + 16)]))
        return Checksum.crc32(UnsafeRawBufferPointer(rebasing: b[(offset + Format.chunkHeaderSize)..<end]), continuing: c)
    }

    func verify(_ b: UnsafeRawBufferPointer, path: String) throws {
        let computed = computedCRC(b)
        if !Checksum.matches(crc, computed) { throw TraceError(path: path, offset: offset, .checksumMismatch(stored: crc, computed: computed)) }
    }

    func payload(_ b: UnsafeRawBufferPointer, path: String) -> ByteReader {
        ByteReader(UnsafeRawBufferPointer(rebasing: b[(offset + Format.chunkHeaderSize)..<end]),
                   fileOffset: offset + Format.chunkHeaderSize, path: path, what: "chunk payload")
    }
}
