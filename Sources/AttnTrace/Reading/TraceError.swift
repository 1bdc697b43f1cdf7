/// Everything that can be wrong with a trace file or with what a writer is handed.
/// Each failure names the file, the byte offset where it was found, and the problem.
public struct TraceError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Problem: Equatable, Sendable {
        // MARK: file structure
        case wrongMagic                                 // not an .atrace file
        case unsupportedVersion(UInt32)                 // written by a newer (or unknown) format
        case truncatedHeader(needed: Int, available: Int)
        case headerTooLarge(Int)
        case checksumMismatch(stored: UInt32, computed: UInt32)
        case badSyncMarker                              // no chunk starts here
        case truncatedChunk(needed: Int, available: Int)
        case chunkTooLarge(Int)
        case badTrailer(String)                         // footer pointer or end magic wrong
        // MARK: record contents
        case truncatedRecord(kind: String, needed: Int, available: Int)
        case lengthOverflow(field: String)              // a varint longer than 64 bits, or arithmetic overflow
        case lengthExceedsCap(field: String, value: UInt64, cap: Int)
        case invalidValue(field: String, value: String) // a value outside its domain (e.g. phase 7)
        case missingRecord(kind: String)                // e.g. a chunk without its step record
        case shapeMismatch(String)                      // record shape disagrees with the run header
        // MARK: use
        case stepOutOfRange(step: Int, count: Int)
        case headOutOfRange(layer: Int, head: Int)
        case invalidFrame(String)                       // the writer was handed something it cannot store
        case writerFinished
        case io(operation: String, errno: Int32, message: String)
    }

    public var path: String
    /// Byte offset in the file where the problem was found (nil when it is not about a place in the file).
    public var offset: Int?
    public var problem: Problem

    public init(path: String, offset: Int?, _ problem: Problem) {
        self.path = path; self.offset = offset; self.problem = problem
    }

    public var description: String {
        let place = offset.map { "\(path) at byte \($0)" } ?? path
        return "\(place): \(problemText)"
    }

    var problemText: String {
        switch problem {
        case .wrongMagic:
            return "not an attnscope trace (wrong magic bytes; expected an .atrace file)"
        case .unsupportedVersion(let v):
            return "unsupported trace format version \(v) (this reader reads versions \(Format.readableVersions.lowerBound) to \(Format.readableVersions.upperBound))"
        case .truncatedHeader(let needed, let available):
            return "truncated file header: needs \(needed) bytes, file has \(available)"
        case .headerTooLarge(let n):
            return "run header length \(n) exceeds the cap of \(Format.maxHeaderBytes) bytes"
        case .checksumMismatch(let stored, let computed):
            return "checksum mismatch: stored CRC32 \(hex(stored)), computed \(hex(computed))"
        case .badSyncMarker:
            return "no chunk sync marker here"
        case .truncatedChunk(let needed, let available):
            return "truncated chunk: needs \(needed) bytes, file has \(available)"
        case .chunkTooLarge(let n):
            return "chunk length \(n) exceeds the cap of \(Format.maxChunkBytes) bytes"
        case .badTrailer(let why):
            return "bad trailer: \(why)"
        case .truncatedRecord(let kind, let needed, let available):
            return "truncated \(kind) record: needs \(needed) bytes, \(available) left"
        case .lengthOverflow(let field):
            return "\(field) overflows"
        case .lengthExceedsCap(let field, let value, let cap):
            return "\(field) \(value) exceeds the cap of \(cap)"
        case .invalidValue(let field, let value):
            return "invalid \(field): \(value)"
        case .missingRecord(let kind):
            return "missing \(kind) record"
        case .shapeMismatch(let why):
            return "shape mismatch: \(why)"
        case .stepOutOfRange(let step, let count):
            return "step \(step) out of range (trace has \(count) steps)"
        case .headOutOfRange(let layer, let head):
            return "layer \(layer) head \(head) out of range"
        case .invalidFrame(let why):
            return "cannot write frame: \(why)"
        case .writerFinished:
            return "writer already finished"
        case .io(let op, let errno, let message):
            return "\(op) failed: \(message) (errno \(errno))"
        }
    }
}

private func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
