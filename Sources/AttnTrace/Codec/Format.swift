// The constants of the .atrace format, version 2. docs/trace-format.md is the byte-level spec;
// this file is its table of numbers. Every multi-byte fixed-width integer is little-endian.
//
// File layout:
//   file header   magic(8) · version u32 · header length u32 · header CRC32 u32 · header payload
//   chunk*        sync(8) · payload length u32 · step u32 · CRC32 u32 · payload (records)
//   footer chunk  a chunk whose step field is `Format.footerStep` (index + summary records)
//   trailer       footer offset u64 · step count u32 · CRC32 u32 · end magic(8)      (24 bytes)

enum Format {
    // MARK: - Magic numbers

    /// First 8 bytes of every trace: a high byte (not ASCII text), "ATRC", CR LF, and ^Z, as PNG does,
    /// so that text-mode transfers and truncated copies are caught at once.
    static let magic: [UInt8] = [0x89, 0x41, 0x54, 0x52, 0x43, 0x0D, 0x0A, 0x1A]
    /// Start of every chunk. Chosen to be unlikely in record payloads (no small varints, no ASCII run).
    static let sync: [UInt8] = [0xA7, 0x5C, 0xE3, 0x1F, 0x8B, 0xD2, 0x46, 0xF9]
    /// Last 8 bytes of a finalized trace.
    static let endMagic: [UInt8] = [0x41, 0x54, 0x52, 0x43, 0x45, 0x4E, 0x44, 0x0A]  // "ATRCEND\n"

    /// The version this library writes. Version 2 added the layers' native attention windows to
    /// the run header; a reader reads every version in `readableVersions`.
    static let version: UInt32 = 2
    static let readableVersions: ClosedRange<UInt32> = 1...2
    /// Version 2 head entries end with oracle_recall (before the top sinks); version 1 has none.
    static func hasOracle(_ version: Int) -> Bool { version >= 2 }

    // MARK: - Fixed sizes

    static let fileHeaderFixedSize = 20      // magic + version + length + CRC
    static let chunkHeaderSize = 20          // sync + length + step + CRC
    static let trailerSize = 24              // footer offset + step count + CRC + end magic
    /// Step field of the footer chunk.
    static let footerStep: UInt32 = 0xFFFF_FFFF

    // MARK: - Caps (a length field never allocates more than these)

    static let maxHeaderBytes = 16 << 20     // run header payload
    static let maxChunkBytes = 256 << 20     // one chunk payload (one step)
    static let maxStringBytes = 16 << 20     // any string (a long prompt fits; the header cap still applies)
    static let maxLayers = 4096
    static let maxHeads = 4096
    static let maxLayerHeads = 1 << 20     // layers × heads
    static let maxRowValues = 1 << 26      // rows × cols of one attention-rows record
    static let maxPosition = 1 << 40         // positions, lengths, counts stored as varints
    static let maxTopSinks = 64
    static let maxSteps = Int(UInt32.max - 1)
}

/// The kind tag of a record inside a payload. Tags below 16 take one byte and are the hot ones.
/// A reader skips any tag it does not know (records are length-prefixed) and counts it.
public enum RecordKind: UInt64, CaseIterable, Sendable {
    // header payload
    case runHeader = 1
    // step chunk payload
    case step = 2
    case metrics = 3
    case kvResidency = 4
    case selections = 5
    case rows = 6
    case annotation = 7
    // footer payload
    case index = 8
    case summary = 9

    public var name: String {
        switch self {
        case .runHeader: "header"
        case .step: "step"
        case .metrics: "metrics"
        case .kvResidency: "kv"
        case .selections: "selections"
        case .rows: "rows"
        case .annotation: "annotation"
        case .index: "index"
        case .summary: "summary"
        }
    }
}
