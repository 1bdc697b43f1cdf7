import XCTest
@testable import AttnRuntime

/// The SentencePiece tokenizer (Gemma 3's vocabulary) against the `sentencepiece` package running a
/// BPE model built from the same GGUF pieces, scores and types (reference/gemma3_spm.py):
/// Fixtures/gemma3-tokenizer.json, a few thousand characters of mixed text.
final class SentencePieceTokenizerTests: XCTestCase {
    nonisolated(unsafe) static var shared: (any TextTokenizer)?

    func tokenizer() throws -> SentencePieceTokenizer {
        if let t = Self.shared as? SentencePieceTokenizer { return t }
        let t = try loadTokenizer(gguf: try Gemma3Model.gguf())
        Self.shared = t
        return try XCTUnwrap(t as? SentencePieceTokenizer, "tokenizer.ggml.model = llama picks SentencePiece")
    }

    func testMixedStringsMatchSentencePiece() throws {
        let tok = try tokenizer()
        let fixture = try Fixtures.json("gemma3-tokenizer.json") as! [String: Any]
        let cases = fixture["cases"] as! [[String: Any]]
        XCTAssertGreaterThan(cases.map { ($0["text"] as! String).count }.reduce(0, +), 2000)
        var mismatches = 0
        for c in cases {
            let text = c["text"] as! String
            let expected = (c["ids"] as! [Int]).map(Int32.init)
            let ids = tok.encode(text, addBOS: false, allowSpecial: false)
            if ids != expected {
                mismatches += 1
                XCTFail("encode(\(text.debugDescription)): \(ids.map { tok.tokens[Int($0)] }) "
                        + "expected \(expected.map { tok.tokens[Int($0)] })")
            }
            if !text.contains("\u{2581}") {  // a literal "▁" decodes as a space
                XCTAssertEqual(Array(tok.decode(ids).utf8), Array(text.utf8), text.debugDescription)
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testPromptsMatchReferenceWithBOS() throws {
        let tok = try tokenizer()
        XCTAssertTrue(tok.addsBOSByDefault)
        XCTAssertEqual(tok.encodePrompt("The capital of France is"), [2, 818, 5279, 529, 7001, 563])
        let reference = try Fixtures.json("gemma3-reference.json") as! [String: Any]
        for prompt in reference["prompts"] as! [[String: Any]] {
            guard let text = prompt["text"] as? String else { continue }
            XCTAssertEqual(tok.encodePrompt(text), (prompt["token_ids"] as! [Int]).map(Int32.init), text)
        }
    }

    func testSpecialTokensOnlyWhenAllowed() throws {
        let tok = try tokenizer()
        let start = try XCTUnwrap(tok.id(of: "<start_of_turn>"))
        let text = "<start_of_turn>user\nhi"
        XCTAssertEqual(tok.encode(text, addBOS: false, allowSpecial: true).first, start)
        XCTAssertFalse(tok.encode(text, addBOS: false, allowSpecial: false).contains(start))
        XCTAssertTrue(tok.isSpecial(start))
        XCTAssertTrue(tok.isSpecial(tok.bosID))
        XCTAssertEqual(tok.decode([tok.bosID] + tok.encode("hi", addBOS: false, allowSpecial: false), skipSpecial: true), "hi")
        // User-defined pieces are text: "\n\n" is one token and survives skipSpecial.
        let newlines = tok.encode("a\n\nb", addBOS: false, allowSpecial: false)
        XCTAssertEqual(newlines.count, 3)
        XCTAssertEqual(tok.decode(newlines, skipSpecial: true), "a\n\nb")
    }

    func testByteFallbackAndStreaming() throws {
        let tok = try tokenizer()
        // A character outside the vocabulary becomes its UTF-8 bytes as <0xNN> tokens.
        let rare = "\u{10FFFD}"
        let ids = tok.encode(rare, addBOS: false, allowSpecial: false)
        XCTAssertEqual(ids.map { tok.tokens[Int($0)] }, ["<0xF4>", "<0x8F>", "<0xBF>", "<0xBD>"])
        var stream = TokenStreamDecoder(tokenizer: tok)
        var text = ""
        for id in tok.encode("ok " + rare + " done", addBOS: false, allowSpecial: false) { text += stream.append(id) }
        text += stream.flush()
        XCTAssertEqual(text, "ok " + rare + " done")
        XCTAssertEqual(tok.tokenText(try XCTUnwrap(tok.id(of: "▁Paris"))), " Paris")
    }

    func testLongTextIsFast() throws {
        let tok = try tokenizer()
        let prose = try String(contentsOf: Fixtures.directory.appendingPathComponent("english-prose.txt"), encoding: .utf8)
        let long = String(repeating: prose, count: 25)  // ~100 KB in one SentencePiece segment
        let t0 = Date()
        let ids = tok.encode(long, addBOS: false, allowSpecial: false)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10, "the merge loop must not be quadratic")
        XCTAssertEqual(tok.decode(ids), long)
    }
}
