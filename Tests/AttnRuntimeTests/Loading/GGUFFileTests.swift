import XCTest
import AttnTestSupport
@testable import AttnRuntime

/// The GGUF reader on the real reference model: counts, types, shapes, metadata, data slices.
final class GGUFFileTests: XCTestCase {
    func testHeaderAndCounts() throws {
        let gguf = try ReferenceModel.gguf()
        XCTAssertEqual(gguf.version, 3)
        XCTAssertEqual(gguf.fileSize, 98_362_432)
        XCTAssertEqual(gguf.tensors.count, 272)
        XCTAssertEqual(gguf.tensorNames.count, 272)
        XCTAssertEqual(gguf.metadata.count, 33)
        XCTAssertEqual(gguf.alignment, 32)
        XCTAssertEqual(gguf.dataOffset % 32, 0)
    }

    func testTensorTypesAndShapes() throws {
        let gguf = try ReferenceModel.gguf()
        var byType: [GGMLType: Int] = [:]
        for info in gguf.tensors.values { byType[info.type, default: 0] += 1 }
        XCTAssertEqual(byType, [.q4_1: 210, .q8_0: 1, .f32: 61])

        let embd = try gguf.tensor("token_embd.weight")
        XCTAssertEqual(embd.type, .q8_0)
        XCTAssertEqual(embd.shape, [576, 49152])
        XCTAssertEqual(embd.byteCount, 49152 * 576 / 32 * 34)
        XCTAssertEqual(embd.fileOffset, gguf.dataOffset)  // first tensor, offset 0 in the data section
        XCTAssertEqual(try gguf.tensor("blk.0.attn_k.weight").shape, [576, 192])
        XCTAssertEqual(try gguf.tensor("blk.0.ffn_down.weight").shape, [1536, 576])
        XCTAssertEqual(try gguf.tensor("blk.29.ffn_up.weight").type, .q4_1)
        XCTAssertEqual(try gguf.tensor("output_norm.weight").type, .f32)
        XCTAssertNil(gguf.tensors["output.weight"])
        XCTAssertThrowsError(try gguf.tensor("blk.0.attn_q.weight", shape: [576, 192])) { error in
            guard case GGUFError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try gguf.data("no.such.tensor")) { error in
            XCTAssertEqual(error as? GGUFError, .missingTensor(file: gguf.path, tensor: "no.such.tensor"))
        }
        // The data slices tile the data section without overlap and lie inside the file.
        let sorted = gguf.tensors.values.sorted { $0.fileOffset < $1.fileOffset }
        for (a, b) in zip(sorted, sorted.dropFirst()) { XCTAssertLessThanOrEqual(a.fileOffset + a.byteCount, b.fileOffset) }
        XCTAssertLessThanOrEqual(sorted.last!.fileOffset + sorted.last!.byteCount, gguf.fileSize)
    }

    func testMetadataValues() throws {
        let gguf = try ReferenceModel.gguf()
        XCTAssertEqual(gguf.string("general.architecture"), "llama")
        XCTAssertEqual(gguf.uint("llama.block_count"), 30)
        XCTAssertEqual(gguf.metadata["llama.block_count"], .uint32(30))
        XCTAssertEqual(gguf.float("llama.rope.freq_base"), 100_000)
        XCTAssertEqual(gguf.metadata["llama.attention.layer_norm_rms_epsilon"], .float32(1e-5))
        XCTAssertEqual(gguf.bool("tokenizer.ggml.add_bos_token"), false)
        XCTAssertEqual(gguf.string("tokenizer.ggml.pre"), "smollm")
        XCTAssertEqual(gguf.strings("tokenizer.ggml.tokens")?.count, 49152)
        XCTAssertEqual(gguf.strings("tokenizer.ggml.merges")?.count, 48900)
        XCTAssertEqual(gguf.strings("general.languages"), ["en"])
        guard case .array(let elementType, let types)? = gguf.metadata["tokenizer.ggml.token_type"] else {
            return XCTFail("token_type is not an array")
        }
        XCTAssertEqual(elementType, .int32)
        XCTAssertEqual(types.count, 49152)
        XCTAssertTrue(gguf.string("tokenizer.chat_template")?.contains("<|im_start|>") ?? false)
        XCTAssertEqual(gguf.metadataKeys.first, "general.architecture")
        XCTAssertThrowsError(try gguf.requireString("llama.block_count"))
        XCTAssertThrowsError(try gguf.requireUInt("no.such.key"))
    }

    func testModelConfig() throws {
        let gguf = try ReferenceModel.gguf()
        let config = try ModelConfig(gguf: gguf)
        XCTAssertEqual(config.architecture, "llama")
        XCTAssertEqual(config.blockCount, 30)
        XCTAssertEqual(config.embeddingLength, 576)
        XCTAssertEqual(config.feedForwardLength, 1536)
        XCTAssertEqual(config.headCount, 9)
        XCTAssertEqual(config.headCountKV, 3)
        XCTAssertEqual(config.headDim, 64)
        XCTAssertEqual(config.kvDim, 192)
        XCTAssertEqual(config.queriesPerKVHead, 3)
        XCTAssertEqual(config.ropeFreqBase, 100_000)
        XCTAssertEqual(config.ropeDimensionCount, 64)
        XCTAssertEqual(config.rmsNormEps, 1e-5)
        XCTAssertEqual(config.contextLength, 8192)
        XCTAssertEqual(config.vocabSize, 49152)
        XCTAssertTrue(config.tiedEmbeddings)
        XCTAssertEqual(config.expectedTensors.count, 2 + 30 * 9)
        XCTAssertNoThrow(try config.validateTensors(in: gguf))
    }

    /// Every tensor info and scalar metadata value against the `gguf` Python package (tensors.json).
    func testMatchesGGUFPackage() throws {
        let gguf = try ReferenceModel.gguf()
        let fixture = try Fixtures.json("tensors.json") as! [String: Any]
        let tensors = fixture["tensors"] as! [[String: Any]]
        XCTAssertEqual(tensors.count, 272)
        XCTAssertEqual(gguf.tensorNames, tensors.map { $0["name"] as! String })
        for t in tensors {
            let info = try gguf.tensor(t["name"] as! String)
            XCTAssertEqual(info.type.description, t["type"] as? String, info.name)
            XCTAssertEqual(info.shape, t["shape"] as? [Int], info.name)
            XCTAssertEqual(info.fileOffset, t["offset"] as? Int, info.name)
            XCTAssertEqual(info.byteCount, t["bytes"] as? Int, info.name)
        }
        let metadata = fixture["metadata"] as! [String: [String: Any]]
        XCTAssertEqual(metadata.count, 29)
        for (key, entry) in metadata {
            let value = try XCTUnwrap(gguf.metadata[key], key)
            XCTAssertEqual(value.type.description, entry["type"] as? String, key)
            switch value {
            case .string(let s): XCTAssertEqual(s, entry["value"] as? String, key)
            case .bool(let b): XCTAssertEqual(b, entry["value"] as? Bool, key)
            case .float32(let f): XCTAssertEqual(Double(f), entry["value"] as? Double, key)
            default: XCTAssertEqual(value.int64Value.map(Int.init), entry["value"] as? Int, key)
            }
        }
    }

    func testSummary() throws {
        let text = try ReferenceModel.gguf().summary(maxTensors: 3)
        XCTAssertTrue(text.contains("GGUF v3, 98362432 bytes, 33 metadata keys, 272 tensors"), text)
        XCTAssertTrue(text.contains("llama.block_count = 30"), text)
        XCTAssertTrue(text.contains("Q4_1 × 210"), text)
        XCTAssertTrue(text.contains("token_embd.weight: Q8_0 [576, 49152]"), text)
        XCTAssertTrue(text.contains("… 269 more tensors"), text)
    }

    /// general.alignment = 64: the data section and every tensor start on 64-byte boundaries, and each
    /// tensor's bytes are the ones written for it.
    func testCustomAlignmentAndDataSlices() throws {
        var b = GGUFBuilder()
        b.alignment = 64
        b.metadata = [("general.alignment", .u32(64))]
        var f32: [UInt8] = [], f16: [UInt8] = [], q8: [UInt8] = []
        for v: Float in [1, -2, 3] { f32.append(le: v.bitPattern) }
        for v: Float in [0.5, 1.5, -4, 8] { f16.append(le: HalfFloat.f32ToF16(v)) }
        q8.append(le: HalfFloat.f32ToF16(0.5))
        for i in 0..<32 { q8.append(UInt8(bitPattern: Int8(i - 16))) }
        b.tensors = [.init(name: "a", type: 0, shape: [3], data: f32), .init(name: "b", type: 1, shape: [2, 2], data: f16),
                     .init(name: "c", type: 8, shape: [32], data: q8)]
        let g = try GGUFFile(bytes: b.bytes(), name: "aligned.gguf")
        XCTAssertEqual(g.alignment, 64)
        XCTAssertEqual(g.dataOffset % 64, 0)
        for info in g.tensors.values { XCTAssertEqual(info.fileOffset % 64, 0, info.name) }
        XCTAssertEqual(Dequantize.tensor(try g.tensor("a"), data: try g.data("a")), [1, -2, 3])
        XCTAssertEqual(Dequantize.tensor(try g.tensor("b"), data: try g.data("b")), [0.5, 1.5, -4, 8])
        XCTAssertEqual(try g.tensor("b").rowCount, 2)
        XCTAssertEqual(Dequantize.tensor(try g.tensor("c"), data: try g.data("c")), (0..<32).map { 0.5 * Float($0 - 16) })
    }
}
