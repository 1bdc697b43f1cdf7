import XCTest
@testable import AttnRuntime

/// Byte-level BPE with each pre-tokenizer a file can name in `tokenizer.ggml.pre` (smollm, gpt-2,
/// llama-bpe, qwen2) against Hugging Face `tokenizers` built with that model's own pre-tokenizer
/// regex and a small vocabulary trained on mixed text (reference/variants_tokenizers.py): every
/// line of the text, the whole text and 200 seeded random strings (digits, punctuation, accents,
/// other scripts, emoji, CR/LF, tabs, contractions in both cases) must give the same ids.
final class PreTokenizerReferenceTests: XCTestCase {
    func tokenizer(_ kind: PreTokenizerKind) throws -> (BPETokenizer, [[String: Any]]) {
        let (dir, json) = try VariantFixtures.reference()
        let entry = try XCTUnwrap((json["tokenizers"] as? [String: Any])?[kind.rawValue] as? [String: Any])
        let gguf = try GGUFFile(path: dir.appendingPathComponent(entry["file"] as! String).path)
        let tok = try BPETokenizer(gguf: gguf)
        XCTAssertEqual(tok.preTokenizer, kind)
        return (tok, entry["cases"] as! [[String: Any]])
    }

    func check(_ kind: PreTokenizerKind, file: StaticString = #filePath, line: UInt = #line) throws {
        let (tok, cases) = try tokenizer(kind)
        var characters = 0, failures = 0
        for c in cases {
            let text = c["text"] as! String
            let expected = (c["ids"] as! [Int]).map(Int32.init)
            characters += text.unicodeScalars.count
            let ids = tok.encode(text, addBOS: false, allowSpecial: false)
            if ids != expected {
                failures += 1
                if failures <= 5 {
                    XCTFail("\(kind.rawValue): \(text.debugDescription): \(ids.map { tok.tokens[Int($0)] }) "
                            + "expected \(expected.map { tok.tokens[Int($0)] })", file: file, line: line)
                }
            }
            XCTAssertEqual(tok.decode(ids), text, file: file, line: line)
        }
        XCTAssertEqual(failures, 0, "\(kind.rawValue): \(failures) of \(cases.count) strings differ", file: file, line: line)
        XCTAssertGreaterThan(characters, 4000, file: file, line: line)
    }

    func testSmolLM() throws { try check(.smollm) }
    func testGPT2() throws { try check(.gpt2) }
    func testLlama3() throws { try check(.llama3) }
    func testQwen2() throws { try check(.qwen2) }

    /// llama-bpe adds BOS when the file does not say (llama.cpp's default for it); the others do not.
    func testBOSDefaults() throws {
        XCTAssertTrue(try tokenizer(.llama3).0.addsBOSByDefault)
        for kind in [PreTokenizerKind.smollm, .gpt2, .qwen2] { XCTAssertFalse(try tokenizer(kind).0.addsBOSByDefault) }
    }

    /// Pieces by hand where the four patterns differ.
    func testPatternsDifferWhereTheyShould() {
        let text = "I'M 1234 x\n\n  y!?\n"
        XCTAssertEqual(PreTokenizer.split(text, kind: .gpt2), ["I", "'", "M", " 1234", " x", "\n\n ", " y", "!?", "\n"])
        XCTAssertEqual(PreTokenizer.split(text, kind: .smollm), ["I", "'", "M", " ", "1", "2", "3", "4", " x", "\n\n ", " y", "!?", "\n"])
        XCTAssertEqual(PreTokenizer.split(text, kind: .llama3), ["I", "'M", " ", "123", "4", " x", "\n\n", " ", " y", "!?\n"])
        XCTAssertEqual(PreTokenizer.split(text, kind: .qwen2), ["I", "'M", " ", "1", "2", "3", "4", " x", "\n\n", " ", " y", "!?\n"])
    }
}
