// Colour detection, quantisation (truecolor → 256 → 16 → mono) and the SGR encoder.

import XCTest
@testable import AttnTUI
import AttnTraceTestSupport

final class ColorTests: XCTestCase {
    func testDetectionOrder() {
        XCTAssertEqual(ColorMode.detect(environment: ["NO_COLOR": "1", "COLORTERM": "truecolor"], terminfoColors: 256), .mono)
        XCTAssertEqual(ColorMode.detect(environment: ["NO_COLOR": "", "COLORTERM": "truecolor"], terminfoColors: 8), .truecolor,
                       "an empty NO_COLOR does not count (no-color.org)")
        XCTAssertEqual(ColorMode.detect(environment: ["COLORTERM": "24bit"], terminfoColors: 8), .truecolor)
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "xterm-direct"], terminfoColors: 8), .truecolor)
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "xterm-256color"], terminfoColors: 256), .cube256)
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "linux"], terminfoColors: 8), .ansi16)
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "dumb"], terminfoColors: -1), .mono)
    }

    func testQuantize256HitsCubeAndGreyExactly() {
        XCTAssertEqual(quantize256(0, 0, 0), 16)
        XCTAssertEqual(quantize256(255, 255, 255), 231)
        XCTAssertEqual(quantize256(255, 0, 0), 196)
        let expected: UInt8 = 16 + 36 + 12 + 3
        XCTAssertEqual(quantize256(95, 135, 175), expected)
        XCTAssertEqual(quantize256(128, 128, 128), 244, "mid grey goes to the grey ramp (232 + 12 → 128)")
        XCTAssertEqual(quantize256(8, 8, 8), 232)
    }

    /// The fast nearest-colour search against a naive scan of all 240 entries, on random colours.
    func testQuantize256MatchesNaiveSearch() {
        func rgb(_ i: Int) -> (Int, Int, Int) {
            if i >= 232 { let v = 8 + 10 * (i - 232); return (v, v, v) }
            let n = i - 16
            return (cubeLevels[n / 36], cubeLevels[(n / 6) % 6], cubeLevels[n % 6])
        }
        func dist(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
            let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
            return 2 * dr * dr + 4 * dg * dg + 3 * db * db
        }
        let seed: UInt64 = 42
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<3000 {
            let c = (Int(rng.next() & 255), Int(rng.next() & 255), Int(rng.next() & 255))
            let fast = Int(quantize256(UInt8(c.0), UInt8(c.1), UInt8(c.2)))
            let best = (16...255).map { dist(c, rgb($0)) }.min()!
            XCTAssertEqual(dist(c, rgb(fast)), best, "seed \(seed): \(c) → \(fast)")
        }
    }

    func testQuantize16() {
        XCTAssertEqual(quantize16(0, 0, 0), 0)
        XCTAssertEqual(quantize16(250, 10, 10), 9)
        XCTAssertEqual(quantize16(255, 255, 255), 15)
        XCTAssertEqual(quantize16(0, 0, 230), 4)
    }

    func testSGRPerMode() {
        let c = Color.rgb(10, 20, 30)
        XCTAssertEqual(ColorMode.truecolor.sgr(c, background: false), "38;2;10;20;30")
        XCTAssertEqual(ColorMode.truecolor.sgr(c, background: true), "48;2;10;20;30")
        XCTAssertEqual(ColorMode.cube256.sgr(c, background: false), "38;5;\(quantize256(10, 20, 30))")
        XCTAssertEqual(ColorMode.ansi16.sgr(.rgb(255, 0, 0), background: false), "91")
        XCTAssertEqual(ColorMode.ansi16.sgr(.rgb(205, 0, 0), background: true), "41")
        XCTAssertEqual(ColorMode.mono.sgr(c, background: false), "39")
        XCTAssertEqual(ColorMode.truecolor.sgr(.default, background: true), "49")
    }

    func testPalettesEndpointsAndDiverging() {
        XCTAssertEqual(Palette.viridis.color(0), Color(hex: 0x440154))
        XCTAssertEqual(Palette.viridis.color(1), Color(hex: 0xFDE725))
        XCTAssertEqual(Palette.viridis.color(.nan), Color(hex: 0x440154))
        XCTAssertEqual(Palette.diverging.signedColor(0), Color(hex: 0xF7F7F7))
        // viridis and magma brighten monotonically (perceptually ordered)
        for p in Palette.sequential {
            let l = stride(from: 0.0, through: 1.0, by: 0.05).map { p.color($0).luma }
            XCTAssertEqual(l, l.sorted(), p.name)
        }
    }

    func testEncoderSendsOnlyChangedCells() {
        var a = CellGrid(width: 10, height: 3)
        a.put(0, 0, "hello")
        let enc = AnsiEncoder(mode: .truecolor)
        let full = String(decoding: enc.encode(a, previous: nil), as: UTF8.self)
        XCTAssertTrue(full.hasPrefix("\u{1B}[1;1H\u{1B}[0mhello"))
        var b = a
        b.set(7, 2, "x", Style(fg: .rgb(1, 2, 3)))
        let diff = String(decoding: enc.encode(b, previous: a), as: UTF8.self)
        XCTAssertEqual(diff, "\u{1B}[3;8H\u{1B}[0;38;2;1;2;3mx\u{1B}[0m")
        XCTAssertTrue(enc.encode(b, previous: b).isEmpty)
    }

    func testMonoShowsColouredBackgroundsAsReverse() {
        let enc = AnsiEncoder(mode: .mono)
        XCTAssertEqual(enc.sgr(Style(fg: .rgb(1, 1, 1), bg: .rgb(200, 0, 0))), "\u{1B}[0;7m")
        XCTAssertEqual(enc.sgr(Style(attrs: .bold)), "\u{1B}[0;1m")
    }

    func testGlyphRamp() {
        XCTAssertEqual(GlyphRamp.glyph(0), " ")
        XCTAssertEqual(GlyphRamp.glyph(1), "█")
        XCTAssertNotEqual(GlyphRamp.glyph(0.001), " ", "tiny but non-zero values stay visible")
    }

    func testGridKeepsAlignmentWithWideCharacters() {
        var g = CellGrid(width: 8, height: 1)
        let end = g.put(0, 0, "a🙂é\tb")
        XCTAssertEqual(end, 5)
        XCTAssertEqual(g.line(0), "a·é·b")
        var h = CellGrid(width: 8, height: 1)
        XCTAssertEqual(h.put(0, 0, "Δ漢e\u{301}x"), 4)
        XCTAssertEqual(h.line(0), "Δ·ex", "Greek stays, CJK is wide, a combining accent is dropped")
    }
}
