// What the viewer draws on terminals that cannot show it all: too small a window (the message
// must say the real size), a locale or TERM without Unicode (ASCII only).

import XCTest
@testable import AttnTUI

final class TooSmallTests: XCTestCase {
    /// The message states the terminal's whole size ("have 20×10") in lines no wider than the terminal.
    func testTooSmallSaysTheSizeItHas() {
        let a = App(trace: TinyTrace.source())
        for (w, h) in [(20, 10), (30, 6), (12, 3), (39, 40), (100, 7)] {
            let text = a.render(width: w, height: h).text
            XCTAssertTrue(text.contains("have \(w)×\(h)"), "\(w)×\(h):\n\(text)")
            XCTAssertTrue(text.split(separator: "\n").allSatisfy { $0.count <= w })
        }
        XCTAssertTrue(a.render(width: 20, height: 10).text.contains("need 40×8"))
    }

    func testTooSmallLines() {
        XCTAssertEqual(ViewContext.tooSmallLines(view: "attnscope", need: (40, 8), have: (100, 7)),
                       ["Terminal too small for attnscope", "need 40×8, have 100×7"])
        XCTAssertEqual(ViewContext.tooSmallLines(view: "attnscope", need: (40, 8), have: (20, 10)),
                       ["Terminal too small", "for attnscope", "need 40×8,", "have 20×10"])
        XCTAssertEqual(ViewContext.tooSmallLines(view: "attnscope", need: (40, 8), have: (20, 1)), ["need 40×8, have 20×1"])
        XCTAssertEqual(ViewContext.tooSmallLines(view: "attnscope", need: (40, 8), have: (12, 1)), ["have 12×1"])
        XCTAssertEqual(ViewContext.tooSmallLines(view: "attnscope", need: (40, 8), have: (30, 2)),
                       ["Terminal too small", "need 40×8, have 30×2"])
    }
}

final class GlyphSetTests: XCTestCase {
    func testDetectFromLocaleAndTerm() {
        let utf8 = ["LANG": "en_US.UTF-8", "TERM": "xterm-256color"]
        XCTAssertEqual(GlyphSet.detect(environment: utf8), .unicode)
        XCTAssertEqual(GlyphSet.detect(environment: ["LANG": "C.utf8", "TERM": "screen"]), .unicode)
        XCTAssertEqual(GlyphSet.detect(environment: ["LANG": "C", "TERM": "xterm-256color"]), .ascii)
        XCTAssertEqual(GlyphSet.detect(environment: ["TERM": "xterm-256color"]), .ascii, "no locale is the C locale")
        XCTAssertEqual(GlyphSet.detect(environment: ["LANG": "en_US.ISO-8859-1", "TERM": "xterm"]), .ascii)
        XCTAssertEqual(GlyphSet.detect(environment: ["LANG": "de_DE.UTF-8@euro", "TERM": "xterm"]), .unicode)
        // LC_ALL wins over LC_CTYPE, which wins over LANG; an empty one does not count
        XCTAssertEqual(GlyphSet.detect(environment: ["LC_ALL": "C", "LANG": "en_US.UTF-8", "TERM": "xterm"]), .ascii)
        XCTAssertEqual(GlyphSet.detect(environment: ["LC_CTYPE": "en_US.UTF-8", "LANG": "C", "TERM": "xterm"]), .unicode)
        XCTAssertEqual(GlyphSet.detect(environment: ["LC_ALL": "", "LANG": "en_US.UTF-8", "TERM": "xterm"]), .unicode)
        for term in ["vt100", "vt220", "linux", "dumb", "vt100-am"] {
            XCTAssertEqual(GlyphSet.detect(environment: ["LANG": "en_US.UTF-8", "TERM": term]), .ascii, term)
        }
    }

    func testASCIIStandIns() {
        XCTAssertEqual(GlyphRamp.shades.map { GlyphSet.ascii($0) }, [" ", ".", ":", "+", "#", "@"])
        for (u, a) in [("─", "-"), ("│", "|"), ("┌", "+"), ("┘", "+"), ("▶", ">"), ("❚", "|"), ("×", "x"), ("▼", "v"),
                       ("◆", "*"), ("–", "-"), ("é", "?"), ("A", "A")] as [(Unicode.Scalar, Unicode.Scalar)] {
            XCTAssertEqual(GlyphSet.ascii(u), a, "\(u)")
        }
    }

    /// Every view in ASCII mode puts only ASCII on screen; the heatmap still shows its data (one
    /// row per cell, colours as backgrounds).
    func testEveryViewIsASCIIOnly() {
        let a = App(trace: TinyTrace.source())
        a.glyphs = .ascii
        a.apply(.jump(step: 12, layer: 1, head: 2))
        for s in Screen.allCases where s != .compare {
            a.apply(.show(s))
            let grid = a.render(width: 100, height: 30)
            XCTAssertTrue(grid.cells.allSatisfy { $0.glyph.isASCII }, "\(s):\n\(grid.text)")
        }
        a.apply(.toggleHelp)
        XCTAssertTrue(a.render(width: 100, height: 30).cells.allSatisfy { $0.glyph.isASCII })
    }

    func testASCIISnapshots() {
        let a = App(trace: TinyTrace.source())
        a.glyphs = .ascii
        a.apply(.jump(step: 12, layer: 1, head: 2))
        assertSnapshot(snapshotText(a.render(width: 100, height: 30)), named: "ascii-overview")
        a.apply(.show(.heatmap))
        assertSnapshot(snapshotText(a.render(width: 100, height: 30), colors: true), named: "ascii-heatmap")
        let mono = App(trace: TinyTrace.source(), colorMode: .mono)
        mono.glyphs = .ascii
        mono.apply(.jump(step: 12, layer: 1, head: 2))
        mono.apply(.show(.heatmap))
        assertSnapshot(snapshotText(mono.render(width: 100, height: 30)), named: "ascii-mono-heatmap")
    }
}
