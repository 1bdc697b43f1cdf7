import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// The BPE tokenizer against Hugging Face `tokenizers` ids (fixtures from reference/reference.py),
/// round trips, special tokens, partial UTF-8, and the chat template.
final class TokenizerTests: XCTestCase {
    nonisolated(unsafe) static var shared: BPETokenizer?

    func tokenizer() throws -> BPETokenizer {
        if let t = Self.shared { return t }
        let t = try BPETokenizer(gguf: try ReferenceModel.gguf())
        Self.shared = t
        return t
    }

    func testTrickyStringsMatchReferenceIDs() throws {
        let tok = try tokenizer()
        let fixture = try Fixtures.json("tokenizer.json") as! [String: Any]
        let cases = fixture["cases"] as! [[String: Any]]
        XCTAssertGreaterThan(cases.count, 10)
        for c in cases {
            let text = c["text"] as! String
            let expected = (c["ids"] as! [Int]).map(Int32.init)
            let ids = tok.encode(text)
            XCTAssertEqual(ids, expected, "encode(\(text.debugDescription)): pieces \(ids.map { tok.tokens[Int($0)] })")
            XCTAssertEqual(Array(tok.decode(ids).utf8), Array(text.utf8), text.debugDescription)  // bytes: String == is canonical equivalence
        }
    }

    func testPromptIDsMatchReference() throws {
        let tok = try tokenizer()
        let reference = try Fixtures.json("reference.json") as! [String: Any]
        for prompt in reference["prompts"] as! [[String: Any]] {
            let text = prompt["text"] as! String
            let expected = (prompt["token_ids"] as! [Int]).map(Int32.init)
            XCTAssertEqual(tok.encode(text, allowSpecial: prompt["allow_special"] as! Bool), expected, text)
        }
        let ppl = reference["perplexity"] as! [String: Any]
        XCTAssertEqual(tok.encode(ppl["text"] as! String), (ppl["token_ids"] as! [Int]).map(Int32.init))
    }

    func testKnownTokens() throws {
        let tok = try tokenizer()
        XCTAssertEqual(tok.vocabularySize, 49152)
        XCTAssertEqual(tok.bosID, 1)
        XCTAssertEqual(tok.eosID, 2)
        XCTAssertFalse(tok.addsBOSByDefault)
        XCTAssertEqual(tok.tokens[1], "<|im_start|>")
        let paris = try XCTUnwrap(tok.id(of: "ĠParis"))
        XCTAssertEqual(tok.tokenText(paris), " Paris")
        XCTAssertEqual(tok.encode(" Paris"), [paris])
        XCTAssertEqual(tok.encode("Hi", addBOS: true).first, 1)
        XCTAssertEqual(tok.tokenText(-1), "<id -1>")
    }

    func testSpecialTokensOnlyWhenAllowed() throws {
        let tok = try tokenizer()
        let text = "<|im_start|>user\nhi<|im_end|>"
        let allowed = tok.encode(text)
        XCTAssertEqual(allowed.first, 1)
        XCTAssertEqual(allowed.last, 2)
        let plain = tok.encode(text, allowSpecial: false)
        XCTAssertFalse(plain.contains(1) || plain.contains(2), "\(plain)")
        XCTAssertEqual(Array(tok.decode(plain).utf8), Array(text.utf8))
        XCTAssertEqual(tok.decode(allowed, skipSpecial: true), "user\nhi")
    }

    func testChatTemplate() throws {
        let tok = try tokenizer()
        let prompt = tok.chatTemplate([ChatMessage(role: "user", content: "What is 12+30?")])
        XCTAssertEqual(prompt, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nWhat is 12+30?<|im_end|>\n<|im_start|>assistant\n")
        let withSystem = tok.chatTemplate(
            [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: false)
        XCTAssertEqual(withSystem, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    /// Tokens that hold part of a UTF-8 character: decode shows U+FFFD, decodeBytes keeps the bytes,
    /// the stream decoder waits for the whole character.
    func testPartialUTF8() throws {
        let tok = try tokenizer()
        let text = "a🙂b日本"
        let ids = tok.encode(text)
        let pieces = ids.map { tok.tokenBytes($0) }
        XCTAssertTrue(pieces.contains { String(validating: $0, as: UTF8.self) == nil },
                      "expected some token to hold a partial character: \(ids)")
        var stream = TokenStreamDecoder(tokenizer: tok)
        var streamed = ""
        for id in ids {
            let piece = stream.append(id)
            XCTAssertFalse(piece.contains("\u{FFFD}"), "stream emitted a replacement character for \(id)")
            streamed += piece
        }
        streamed += stream.flush()
        XCTAssertEqual(Array(streamed.utf8), Array(text.utf8))
        // Half an emoji: invalid on its own.
        let emojiIDs = tok.encode("🙂")
        XCTAssertGreaterThan(emojiIDs.count, 1)
        XCTAssertEqual(tok.decodeBytes(emojiIDs), Array("🙂".utf8))
        XCTAssertTrue(tok.decode(Array(emojiIDs.dropLast())).contains("\u{FFFD}"))
        // Lone invalid bytes (vocabulary byte tokens; this vocabulary has none for bytes that never occur in UTF-8, like 0xFF) decode to
        // replacement characters, not a crash.
        let bytes: [UInt8] = [0xF0, 0x80, 0xC3]
        let byteTokens = bytes.compactMap { tok.id(of: String(ByteLevel.byteToScalar[Int($0)])) }
        XCTAssertEqual(byteTokens.count, 3)
        XCTAssertEqual(tok.decodeBytes(byteTokens), bytes)
        XCTAssertEqual(tok.decode(byteTokens), "\u{FFFD}\u{FFFD}\u{FFFD}")
        XCTAssertEqual(tok.decode(byteTokens + tok.encode("ok")), "\u{FFFD}\u{FFFD}\u{FFFD}ok")
    }

    /// decode(encode(s)) == s for random strings mixing scripts, digits, whitespace and emoji.
    func testRoundTripRandomUTF8() throws {
        let tok = try tokenizer()
        let alphabet: [String] = [
            "a", "Z", "q", " ", "  ", "\n", "\t", "\r\n", "0", "7", "'s", "'", "!", "?", ".", ",", "-", "_", "<", ">", "|",
            "é", "ß", "Ω", "ж", "ü", "日", "本", "語", "한", "ع", "ह", "\u{301}", "\u{200D}", "\u{A0}", "\u{2003}",
            "🙂", "👍🏽", "🇫🇷", "👨‍👩‍👧", "½", "²", "٣", "\u{FFFD}", "<|im_start|>", "<|im_end", "\u{0}", "\u{7F}",
        ]
        for seed in UInt64(1)...2000 {
            var rng = SeededGenerator(seed: seed)
            let length = Int(rng.next() % 24)
            var text = ""
            for _ in 0..<length { text += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            if rng.next() % 3 == 0 { text += String(UnicodeScalar(UInt32(0x4E00 + rng.next() % 0x5000))!) }
            let ids = tok.encode(text)
            XCTAssertEqual(Array(tok.decode(ids).utf8), Array(text.utf8), "seed \(seed): \(text.debugDescription) -> \(ids)")
            XCTAssertEqual(Array(tok.decode(tok.encode(text, allowSpecial: false)).utf8), Array(text.utf8), "seed \(seed), no specials")
        }
    }

    /// Arbitrary bytes, valid UTF-8 or not: decodeBytes(encode(bytes:)) gives them back; bytes the
    /// vocabulary cannot hold come back as U+FFFD. Seeds are printed on failure.
    func testRoundTripRandomBytes() throws {
        let tok = try tokenizer()
        let representable = (0...255).filter { tok.byteIDs[$0] >= 0 }.map(UInt8.init)
        XCTAssertGreaterThan(representable.count, 230)
        let fragments: [[UInt8]] = [Array("🙂".utf8), Array("日".utf8), Array(" the".utf8), [0xF0, 0x9F], [0xE6], [0xED, 0xA0, 0x80], [0xC3]]
        for seed in UInt64(1)...500 {
            var rng = SeededGenerator(seed: seed)
            var bytes: [UInt8] = []
            for _ in 0..<Int(rng.next() % 40) {
                if rng.next() % 3 == 0 {
                    bytes += fragments[Int(rng.next() % UInt64(fragments.count))]
                } else {
                    bytes.append(representable[Int(rng.next() % UInt64(representable.count))])
                }
            }
            let ids = tok.encode(bytes: bytes)
            XCTAssertEqual(tok.decodeBytes(ids), bytes, "seed \(seed): \(bytes)")
            if let text = String(validating: bytes, as: UTF8.self) {
                XCTAssertEqual(ids, tok.encode(text), "seed \(seed): valid UTF-8 must encode as text")
            }
        }
        XCTAssertEqual(tok.decode(tok.encode(bytes: [0x61, 0xFF, 0x62])), "a\u{FFFD}b")
        XCTAssertEqual(BPETokenizer.validUTF8Length([0xE0, 0x80, 0x80], at: 0), 0)  // overlong
        XCTAssertEqual(BPETokenizer.validUTF8Length([0xF4, 0x90, 0x80, 0x80], at: 0), 0)  // above U+10FFFF
        XCTAssertEqual(BPETokenizer.validUTF8Length(Array("€".utf8), at: 0), 3)
    }

    /// Canonically equivalent but different text must not share ids (String == is canonical equivalence).
    func testCanonicallyEquivalentTextKeepsItsBytes() throws {
        let tok = try tokenizer()
        for (a, b) in [(";", "\u{37E}"), ("é", "e\u{301}"), ("Å", "\u{212B}"), ("Ω", "\u{2126}")] {
            XCTAssertEqual(a, b)  // Swift considers them equal...
            XCTAssertEqual(tok.decode(tok.encode(a)).utf8.elementsEqual(a.utf8), true)
            XCTAssertEqual(tok.decode(tok.encode(b)).utf8.elementsEqual(b.utf8), true, "\(Array(b.unicodeScalars))")
            XCTAssertEqual(tok.decodeBytes(tok.encode(b)), Array(b.utf8))  // ...but their bytes differ
        }
    }

    func testPreTokenizerSplit() {
        XCTAssertEqual(PreTokenizer.split("Hello world"), ["Hello", " world"])
        XCTAssertEqual(PreTokenizer.split("abc 123"), ["abc", " ", "1", "2", "3"])
        XCTAssertEqual(PreTokenizer.split("a  b"), ["a", " ", " b"])
        XCTAssertEqual(PreTokenizer.split("x\n\ny"), ["x", "\n", "\n", "y"])
        XCTAssertEqual(PreTokenizer.split("end  "), ["end", "  "])
        XCTAssertEqual(PreTokenizer.split("I'm OK's"), ["I", "'m", " OK", "'s"])
        XCTAssertEqual(PreTokenizer.split("x+=1;"), ["x", "+=", "1", ";"])
        XCTAssertEqual(PreTokenizer.split(""), [])
    }
}
