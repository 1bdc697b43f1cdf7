import XCTest
@testable import AttnTrace
import AttnTraceTestSupport

/// The chunk checksum is zlib's CRC-32 (docs/trace-format.md §1), computed by libdeflate: the two
/// must agree on every length, alignment and continuation, or old traces would stop opening.
final class ChecksumTests: XCTestCase {
    func testLibdeflateMatchesZlib() {
        var g = SeededGenerator(seed: 7)
        let bytes = (0..<70_000).map { _ in UInt8(truncatingIfNeeded: g.next()) }
        bytes.withUnsafeBytes { all in
            for seed in 0..<400 as Range<UInt64> {
                var r = SeededGenerator(seed: seed)
                let start = Int(r.next() % 64)
                let count = seed < 300 ? Int(seed) : Int(r.next() % UInt64(all.count - start))   // every short length, then any
                let part = UnsafeRawBufferPointer(rebasing: all[start..<(start + count)])
                let previous = seed % 2 == 0 ? 0 : UInt32(truncatingIfNeeded: r.next())
                XCTAssertEqual(Checksum.crc32(part, continuing: previous), ZlibCRC.crc32(part, continuing: previous),
                               "seed \(seed): \(count) bytes at offset \(start)")
            }
        }
        // The check value of CRC-32/ISO-HDLC, and a split input continues to the same value.
        let check = Array("123456789".utf8)
        XCTAssertEqual(Checksum.crc32(check, range: 0..<9), 0xCBF4_3926)
        XCTAssertEqual(Checksum.crc32(check, range: 4..<9, continuing: Checksum.crc32(check, range: 0..<4)), 0xCBF4_3926)
    }
}
