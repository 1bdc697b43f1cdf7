import XCTest
import AttnTestSupport
@testable import AttnRuntime

/// One test per way a GGUF file can be wrong: each must throw its own GGUFError case whose text
/// names the file, and never crash.
final class GGUFErrorTests: XCTestCase {
    let fileName = "crafted.gguf"

    func parse(_ bytes: [UInt8]) throws -> GGUFFile { try GGUFFile(bytes: bytes, name: fileName) }

    /// The error thrown by parsing `bytes` (fails the test if parsing succeeds or throws something else).
    func error(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> GGUFError? {
        do {
            _ = try parse(bytes)
            XCTFail("parsed without error", file: file, line: line)
        } catch let e as GGUFError {
            XCTAssertTrue(e.description.hasPrefix(fileName + ":"), "message does not name the file: \(e)", file: file, line: line)
            return e
        } catch {
            XCTFail("not a GGUFError: \(error)", file: file, line: line)
        }
        return nil
    }

    func testValidTinyModelParses() throws {
        let gguf = try parse(GGUFBuilder.tinyLlama().bytes())
        XCTAssertEqual(gguf.tensors.count, 11)
        XCTAssertNoThrow(try ModelConfig(gguf: gguf).validateTensors(in: gguf))
        XCTAssertNoThrow(try BPETokenizer(gguf: gguf))
    }

    func testEveryValueTypeRoundTrips() throws {
        var b = GGUFBuilder()
        b.metadata = [
            ("u8", .u8(200)), ("i8", .i8(-100)), ("u16", .u16(60000)), ("i16", .i16(-30000)), ("u32", .u32(4_000_000_000)),
            ("i32", .i32(-2_000_000_000)), ("u64", .u64(UInt64.max)), ("i64", .i64(Int64.min)), ("f32", .f32(1.5)),
            ("f64", .f64(-2.25)), ("bool", .bool(true)), ("str", .string("héllo 🙂")),
            ("nested", .array(.array, [.array(.uint8, [.u8(1), .u8(2)]), .array(.string, [.string("x")])])),
            ("empty", .array(.float32, [])),
        ]
        let g = try parse(b.bytes())
        XCTAssertEqual(g.metadata["u8"], .uint8(200))
        XCTAssertEqual(g.metadata["i8"], .int8(-100))
        XCTAssertEqual(g.metadata["u16"], .uint16(60000))
        XCTAssertEqual(g.metadata["i16"], .int16(-30000))
        XCTAssertEqual(g.metadata["u32"], .uint32(4_000_000_000))
        XCTAssertEqual(g.metadata["i32"], .int32(-2_000_000_000))
        XCTAssertEqual(g.metadata["u64"], .uint64(UInt64.max))
        XCTAssertEqual(g.uint("u64"), UInt64.max)
        XCTAssertEqual(g.metadata["i64"], .int64(Int64.min))
        XCTAssertNil(g.uint("i64"))
        XCTAssertEqual(g.metadata["f32"], .float32(1.5))
        XCTAssertEqual(g.metadata["f64"], .float64(-2.25))
        XCTAssertEqual(g.bool("bool"), true)
        XCTAssertEqual(g.string("str"), "héllo 🙂")
        XCTAssertEqual(g.metadata["nested"], .array(elementType: .array, values: [
            .array(elementType: .uint8, values: [.uint8(1), .uint8(2)]),
            .array(elementType: .string, values: [.string("x")]),
        ]))
        XCTAssertEqual(g.metadata["empty"], .array(elementType: .float32, values: []))
        XCTAssertEqual(g.metadataKeys, b.metadata.map(\.0))
        XCTAssertEqual(g.version, 3)
    }

    func testWrongMagic() {
        var b = GGUFBuilder.tinyLlama()
        b.magic = Array("GGML".utf8)
        XCTAssertEqual(error(b.bytes()), .badMagic(file: fileName, found: Array("GGML".utf8)))
        XCTAssertEqual(error(Array("PK\u{3}\u{4}zip file".utf8)), .badMagic(file: fileName, found: [0x50, 0x4B, 3, 4]))
    }

    func testUnsupportedVersion() {
        for v: UInt32 in [0, 1, 4, 0xFFFF_FFFF] {
            var b = GGUFBuilder.tinyLlama()
            b.version = v
            XCTAssertEqual(error(b.bytes()), .unsupportedVersion(file: fileName, version: v))
        }
        XCTAssertTrue(GGUFError.unsupportedVersion(file: fileName, version: 0x0300_0000).description.contains("big-endian"))
        var v2 = GGUFBuilder.tinyLlama()
        v2.version = 2
        XCTAssertNoThrow(try parse(v2.bytes()))
    }

    /// Cut a valid file at every length: each prefix must fail cleanly (never parse, never crash).
    func testTruncatedAtEveryOffset() {
        let full = GGUFBuilder.tinyLlama().bytes()
        var kinds: Set<String> = []
        for length in 0..<full.count {
            guard let e = error(Array(full[0..<length])) else { continue }
            switch e {
            case .truncated: kinds.insert("truncated")
            case .countTooLarge: kinds.insert("countTooLarge")
            case .tensorOutOfBounds: kinds.insert("tensorOutOfBounds")
            default: XCTFail("length \(length): unexpected \(e)")
            }
        }
        XCTAssertEqual(kinds, ["truncated", "countTooLarge", "tensorOutOfBounds"])
    }

    func testEmptyAndMissingFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-gguf-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty.gguf").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        XCTAssertThrowsError(try GGUFFile(path: empty)) { e in
            XCTAssertEqual(e as? GGUFError, .truncated(file: empty, offset: 0, needed: 4, what: "magic"))
        }
        let missing = dir.appendingPathComponent("missing.gguf").path
        XCTAssertThrowsError(try GGUFFile(path: missing)) { e in
            guard case .cannotOpen(let file, _)? = e as? GGUFError else { return XCTFail("\(e)") }
            XCTAssertEqual(file, missing)
        }
        XCTAssertThrowsError(try GGUFFile(path: dir.path)) { e in
            XCTAssertEqual(e as? GGUFError, .cannotOpen(file: dir.path, reason: "not a regular file"))
        }
        // A file on disk that is cut inside its tensor data names the tensor.
        let cut = dir.appendingPathComponent("cut.gguf").path
        let bytes = GGUFBuilder.tinyLlama().bytes()
        FileManager.default.createFile(atPath: cut, contents: Data(bytes[0..<(bytes.count - 100)]))
        XCTAssertThrowsError(try GGUFFile(path: cut)) { e in
            guard case .tensorOutOfBounds(let file, let tensor, _, _, _)? = e as? GGUFError else { return XCTFail("\(e)") }
            XCTAssertEqual(file, cut)
            XCTAssertEqual(tensor, "blk.0.ffn_down.weight")
        }
    }

    func testUnsupportedTensorType() {
        var b = GGUFBuilder.tinyLlama()
        b.tensors[3].type = 16  // IQ2_XXS
        let e = error(b.bytes())
        guard case .unsupportedTensorType(_, _, let tensor, 16)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(tensor, "blk.0.attn_q.weight")
        XCTAssertTrue(e!.description.contains("IQ2_XXS"), e!.description)
        XCTAssertTrue(e!.description.contains("Q4_K, Q5_K, Q6_K"), e!.description)
        XCTAssertTrue(e!.description.contains("blk.0.attn_q.weight"))
        b.tensors[3].type = 999
        XCTAssertTrue(error(b.bytes())?.description.contains("unknown type 999") ?? false)
    }

    /// A Q4_K tensor stored with fewer bytes than its shape needs (one 144-byte block for two rows of
    /// 256): its data runs into the next tensor's, which is its own error naming both.
    func testKQuantSizeDoesNotMatchShape() {
        var b = GGUFBuilder()
        b.tensors = [.init(name: "blk.0.attn_q.weight", type: 12, shape: [256, 2], data: [UInt8](repeating: 0, count: 144)),
                     .init(name: "blk.0.attn_norm.weight", type: 0, shape: [4])]
        let e = error(b.bytes())
        XCTAssertEqual(e, .tensorSizeMismatch(file: fileName, tensor: "blk.0.attn_q.weight", type: .q4_K, shape: [256, 2],
                                              byteCount: 288, available: 160, next: "blk.0.attn_norm.weight"))
        XCTAssertTrue(e!.description.contains("needs 288 bytes (2 blocks of 144 bytes)"), e!.description)
        // The same tensor last in the file: the file ends inside its data.
        b.tensors.reverse()
        guard case .tensorOutOfBounds(_, "blk.0.attn_q.weight", _, 288, _)? = error(b.bytes()) else { return XCTFail() }
        // With its full size it parses and dequantizes.
        b.tensors[1].data = nil
        XCTAssertNoThrow(try parse(b.bytes()))
    }

    /// K-quant rows are whole 256-element super-blocks: a Q4_K tensor with 640-element rows is refused.
    func testKQuantRowNotWholeSuperBlocks() {
        var b = GGUFBuilder()
        b.tensors = [.init(name: "blk.3.ffn_up.weight", type: 12, shape: [640, 2], data: [UInt8](repeating: 0, count: 720))]
        let e = error(b.bytes())
        XCTAssertEqual(e, .rowNotWholeBlocks(file: fileName, offset: 24 + 8 + 19, tensor: "blk.3.ffn_up.weight", type: .q4_K, rowLength: 640))
        XCTAssertEqual(e?.description, "crafted.gguf: offset 51: tensor 'blk.3.ffn_up.weight' is Q4_K, whose blocks hold 256 "
                       + "elements, but its rows have 640 elements (ne0), not a multiple of 256")
        for type: UInt32 in [10, 11, 13, 14] {
            b.tensors[0].type = type
            guard case .rowNotWholeBlocks(_, _, _, let t, 640)? = error(b.bytes()) else { return XCTFail("type \(type)") }
            XCTAssertEqual(t.rawValue, type)
        }
    }

    func testOverflowingLengths() {
        // A string length near 2^64.
        var b = GGUFBuilder()
        b.metadata = [("k", .raw(8, [UInt8](repeating: 0xFF, count: 8) + Array("abc".utf8)))]
        guard case .countTooLarge(_, 37, _, UInt64.max)? = error(b.bytes()) else { return XCTFail() }  // 24 + key 9 + type 4
        // An array count of 2^62 elements.
        b.metadata = [("k", .raw(9, [4, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0x40]))]
        guard case .countTooLarge(_, _, let what, 0x4000_0000_0000_0000)? = error(b.bytes()) else { return XCTFail() }
        XCTAssertTrue(what.contains("'k'"))
        // Dimensions whose product overflows.
        var t = GGUFBuilder()
        t.tensors = [.init(name: "huge", type: 0, shape: [1 << 40, 1 << 40], data: [])]
        guard case .badShape(_, _, "huge", _, _)? = error(t.bytes()) else { return XCTFail() }
        // A data offset near 2^64.
        t.tensors = [.init(name: "far", type: 0, shape: [4], offset: UInt64.max - 31, data: [])]
        guard case .tensorOutOfBounds(_, "far", _, 16, _)? = error(t.bytes()) else { return XCTFail() }
    }

    func testAbsurdCounts() {
        var b = GGUFBuilder.tinyLlama()
        b.tensorCountOverride = 1 << 60
        XCTAssertEqual(error(b.bytes()), .countTooLarge(file: fileName, offset: 8, what: "tensor count", count: 1 << 60))
        b = GGUFBuilder.tinyLlama()
        b.metadataCountOverride = UInt64.max
        XCTAssertEqual(error(b.bytes()), .countTooLarge(file: fileName, offset: 16, what: "metadata count", count: UInt64.max))
        // More entries claimed than present (but plausible): runs off the end.
        b = GGUFBuilder.tinyLlama()
        b.metadataCountOverride = UInt64(b.metadata.count + 40)
        XCTAssertNotNil(error(b.bytes()))
    }

    func testBadMetadata() {
        var b = GGUFBuilder()
        b.metadata = [("k", .raw(13, [0, 0, 0, 0]))]
        XCTAssertEqual(error(b.bytes()), .unknownValueType(file: fileName, offset: 33, key: "k", rawType: 13))
        b.metadata = [("k", .u8(1)), ("k", .u8(2))]
        XCTAssertEqual(error(b.bytes()), .duplicateKey(file: fileName, offset: 38, key: "k"))
        var nested: GGUFBuilder.Value = .array(.uint8, [])
        for _ in 0..<20 { nested = .array(.array, [nested]) }
        b.metadata = [("deep", nested)]
        let deep = error(b.bytes())
        guard case .arrayNestingTooDeep(_, _, "deep")? = deep else { return XCTFail("\(String(describing: deep))") }
        b.metadata = [("bad", .raw(8, [2, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x28]))]
        guard case .invalidUTF8(_, 39, let what)? = error(b.bytes()) else { return XCTFail() }
        XCTAssertTrue(what.contains("bad"))
        for a: GGUFBuilder.Value in [.u32(3), .u32(0), .i32(-32), .string("32")] {
            b.metadata = [("general.alignment", a)]
            guard case .badAlignment? = error(b.bytes()) else { return XCTFail("\(a)") }
        }
    }

    func testBadTensorInfos() {
        var b = GGUFBuilder.tinyLlama()
        b.tensors[1].name = b.tensors[0].name
        guard case .duplicateTensor(_, _, "token_embd.weight")? = error(b.bytes()) else { return XCTFail() }
        for dims in [[], [1, 1, 1, 1, 1] as [UInt64]] {
            b = GGUFBuilder.tinyLlama()
            b.tensors[1].shape = dims
            b.tensors[1].data = [0, 0, 0, 0]
            guard case .badDimensionCount(_, _, "output_norm.weight", UInt32(dims.count))? = error(b.bytes()) else {
                return XCTFail("\(dims)")
            }
        }
        b = GGUFBuilder.tinyLlama()
        b.tensors[1].shape = [0]
        guard case .badShape(_, _, "output_norm.weight", _, _)? = error(b.bytes()) else { return XCTFail() }
        b = GGUFBuilder.tinyLlama()
        b.tensors[3].shape = [48, 64]  // Q4_1 rows must be whole 32-element blocks
        b.tensors[3].data = [UInt8](repeating: 0, count: 4000)
        let e = error(b.bytes())
        guard case .rowNotWholeBlocks(_, _, "blk.0.attn_q.weight", .q4_1, 48)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(e!.description.contains("not a multiple of 32"), e!.description)
        b = GGUFBuilder.tinyLlama()
        b.tensors[2].offset = 4
        XCTAssertEqual(error(b.bytes()), .misalignedTensor(file: fileName, tensor: "blk.0.attn_norm.weight", offset: 4, alignment: 32))
        b = GGUFBuilder.tinyLlama()
        b.tensors[10].offset = 1 << 20
        b.tensors[10].data = [1]  // the file ends 1 byte into this tensor's data
        guard case .tensorOutOfBounds(_, "blk.0.ffn_down.weight", _, 3840, _)? = error(b.bytes()) else { return XCTFail() }
    }

    func testModelLevelErrors() throws {
        func config(_ b: GGUFBuilder) throws -> ModelConfig {
            let g = try parse(b.bytes())
            let c = try ModelConfig(gguf: g)
            try c.validateTensors(in: g)
            return c
        }
        XCTAssertThrowsError(try config(.tinyLlama(architecture: "mamba"))) { e in
            XCTAssertEqual(e as? GGUFError, .unknownArchitecture(file: fileName, architecture: "mamba", supported: ["llama", "gemma3", "qwen2"]))
            XCTAssertTrue("\(e)".contains("'mamba' (supported: llama, gemma3, qwen2)"), "\(e)")
        }
        // gemma3 needs keys a llama file may leave out: each missing one is named.
        var gemma = GGUFBuilder.tinyLlama(architecture: "gemma3")
        XCTAssertThrowsError(try config(gemma)) { e in
            XCTAssertEqual(e as? GGUFError, .missingKey(file: fileName, key: "gemma3.attention.key_length"))
        }
        gemma.metadata.append(("gemma3.attention.key_length", .u32(16)))
        XCTAssertThrowsError(try config(gemma)) { e in
            XCTAssertEqual(e as? GGUFError, .missingKey(file: fileName, key: "gemma3.attention.sliding_window"))
        }
        gemma.metadata.append(("gemma3.attention.sliding_window", .u32(1)))
        XCTAssertThrowsError(try config(gemma)) { e in
            guard case .invalidValue(_, "gemma3.attention.sliding_window", "1", _)? = e as? GGUFError else { return XCTFail("\(e)") }
        }
        gemma.metadata.removeLast()
        gemma.metadata.removeAll { $0.0 == "gemma3.rope.freq_base" }
        gemma.metadata.append(("gemma3.attention.sliding_window", .u32(8)))
        XCTAssertThrowsError(try config(gemma)) { e in
            XCTAssertEqual(e as? GGUFError, .missingKey(file: fileName, key: "gemma3.rope.freq_base"))
        }
        XCTAssertThrowsError(try config(.tinyLlama(dropTensor: "blk.0.ffn_up.weight"))) { e in
            XCTAssertEqual(e as? GGUFError, .missingTensor(file: fileName, tensor: "blk.0.ffn_up.weight"))
        }
        XCTAssertThrowsError(try config(.tinyLlama(reshape: ("blk.0.attn_k.weight", [64, 64])))) { e in
            XCTAssertEqual(e as? GGUFError, .shapeMismatch(file: fileName, tensor: "blk.0.attn_k.weight", expected: [64, 32], found: [64, 64]))
        }
        var b = GGUFBuilder.tinyLlama()
        b.metadata.removeAll { $0.0 == "llama.block_count" }
        XCTAssertThrowsError(try config(b)) { e in
            XCTAssertEqual(e as? GGUFError, .missingKey(file: fileName, key: "llama.block_count"))
        }
        b = GGUFBuilder.tinyLlama()
        b.metadata[5] = ("llama.attention.head_count", .u32(5))
        XCTAssertThrowsError(try config(b)) { e in
            guard case .invalidValue(_, "llama.attention.head_count", "5", _)? = e as? GGUFError else { return XCTFail("\(e)") }
        }
        b = GGUFBuilder.tinyLlama()
        b.metadata[1] = ("llama.block_count", .string("one"))
        XCTAssertThrowsError(try config(b)) { e in
            XCTAssertEqual(e as? GGUFError, .wrongValueType(file: fileName, key: "llama.block_count", expected: "a non-negative integer", found: .string))
        }
        b = GGUFBuilder.tinyLlama()
        b.metadata[9] = ("tokenizer.ggml.model", .string("llama"))
        XCTAssertThrowsError(try BPETokenizer(gguf: parse(b.bytes()))) { e in
            XCTAssertEqual(e as? GGUFError, .unsupportedTokenizer(file: fileName, model: "llama"))
        }
        XCTAssertTrue(GGUFError.unsupportedTokenizer(file: fileName, model: "llama").localizedDescription.contains(fileName))
        b = GGUFBuilder.tinyLlama()
        b.metadata[9] = ("tokenizer.ggml.model", .string("bert"))
        XCTAssertThrowsError(try loadTokenizer(gguf: parse(b.bytes()))) { e in
            XCTAssertEqual(e as? GGUFError, .unsupportedTokenizer(file: fileName, model: "bert"))
        }
        // A SentencePiece vocabulary needs its scores (the merge priorities).
        b = GGUFBuilder.tinyLlama()
        b.metadata[9] = ("tokenizer.ggml.model", .string("llama"))
        XCTAssertThrowsError(try loadTokenizer(gguf: parse(b.bytes()))) { e in
            XCTAssertEqual(e as? GGUFError, .missingKey(file: fileName, key: "tokenizer.ggml.scores"))
        }
        b.metadata.append(("tokenizer.ggml.scores", .array(.float32, [0, 0, -1, -2, -3].map { .f32($0) })))
        XCTAssertThrowsError(try loadTokenizer(gguf: parse(b.bytes()))) { e in
            guard case .invalidValue(_, "tokenizer.ggml.scores", "5 entries", _)? = e as? GGUFError else { return XCTFail("\(e)") }
        }
    }
}
