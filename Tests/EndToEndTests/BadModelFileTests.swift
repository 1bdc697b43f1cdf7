import AttnTestSupport
import Foundation
import XCTest

/// Model files attnscope cannot run, one row per problem: each written by GGUFBuilder (a valid tiny
/// llama file with one thing wrong), then given to `generate` and to `record`. Each must exit 2
/// with one message naming the file, the key or tensor at fault and the problem, never a crash.
final class BadModelFileTests: XCTestCase {
    struct Row {
        var name: String
        var file: GGUFBuilder
        /// Strings the message must contain besides the file's path.
        var names: [String]
    }

    var rows: [Row] {
        func llama(_ change: (inout GGUFBuilder) -> Void) -> GGUFBuilder {
            var b = GGUFBuilder.tinyLlama()
            change(&b)
            return b
        }
        func setting(_ key: String, _ value: GGUFBuilder.Value) -> GGUFBuilder {
            llama { b in
                b.metadata.removeAll { $0.0 == key }
                b.metadata.append((key, value))
            }
        }
        func index(_ b: GGUFBuilder, _ tensor: String) -> Int { b.tensors.firstIndex { $0.name == tensor }! }
        return [
            Row(name: "unknown architecture", file: GGUFBuilder.tinyLlama(architecture: "phi3"),
                names: ["unknown architecture 'phi3'", "supported: llama, gemma3, qwen2"]),
            Row(name: "K-quant tensor whose rows are not whole blocks", file: llama { b in
                    b.tensors[index(b, "blk.0.ffn_up.weight")].type = 12  // Q4_K: 256-element blocks, rows of 64
                }, names: ["'blk.0.ffn_up.weight'", "Q4_K", "not a multiple of 256"]),
            Row(name: "K-quant tensor whose data is shorter than its shape", file: llama { b in
                    // [256, 2] in Q6_K needs 2 blocks of 210 bytes; one is stored before the next tensor
                    b.tensors.insert(GGUFBuilder.Tensor(name: "blk.0.extra.weight", type: 14, shape: [256, 2],
                                                        data: [UInt8](repeating: 0, count: 210)), at: 0)
                }, names: ["'blk.0.extra.weight'", "Q6_K", "does not match its shape"]),
            Row(name: "unknown tensor type", file: llama { b in b.tensors[index(b, "blk.0.attn_k.weight")].type = 999 },
                names: ["'blk.0.attn_k.weight'", "unsupported type", "999"]),
            Row(name: "architecture key missing", file: llama { b in
                    b.metadata.removeAll { $0.0 == "llama.attention.layer_norm_rms_epsilon" }
                }, names: ["'llama.attention.layer_norm_rms_epsilon'", "is missing"]),
            Row(name: "qwen2 without its Q/K/V biases", file: GGUFBuilder.tinyLlama(architecture: "qwen2"),
                names: ["'blk.0.attn_q.bias'", "is missing"]),
            Row(name: "RoPE scaling attnscope does not run", file: setting("llama.rope.scaling.type", .string("yarn")),
                names: ["'llama.rope.scaling.type'", "yarn", "not supported"]),
            Row(name: "SentencePiece tokenizer without scores", file: setting("tokenizer.ggml.model", .string("llama")),
                names: ["'tokenizer.ggml.scores'", "is missing"]),
            Row(name: "pre-tokenizer attnscope does not implement", file: setting("tokenizer.ggml.pre", .string("deepseek-llm")),
                names: ["'tokenizer.ggml.pre'", "deepseek-llm", "supported: smollm, gpt-2, llama-bpe, qwen2"]),
        ]
    }

    func testEveryBadModelFileExitsTwoNamingTheProblem() throws {
        let binary = try AttnscopeBinary.require()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-badmodel-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, row) in rows.enumerated() {
            let path = dir.appendingPathComponent("bad-\(i).gguf").path
            FileManager.default.createFile(atPath: path, contents: Data(row.file.bytes()))
            for args in [["generate", "--model", path, "--prompt", "ab", "-n", "1"],
                         ["record", "--model", path, "--prompt", "ab", "-n", "1", "--out", dir.appendingPathComponent("o.atrace").path]] {
                let r = try runProcess(binary, args)
                let what = "\(row.name): attnscope \(args[0])"
                XCTAssertFalse(r.signalled, "\(what) crashed: \(r.err)")
                XCTAssertEqual(r.status, 2, "\(what): \(r.err)")
                for name in [path] + row.names {
                    XCTAssertTrue(r.err.contains(name), "\(what): the message does not name '\(name)': \(r.err)")
                }
                XCTAssertEqual(r.err.split(separator: "\n").count, 1, "\(what): one message: \(r.err)")
            }
        }
    }
}
