// Views drawn without a terminal: every view of TinyTrace as SVG and HTML parses as XML, has the
// grid's size, and matches its snapshot (the SVG text).

import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
import Foundation
@testable import AttnTUI

final class GridExportTests: XCTestCase {
    let screens: [(String, Screen)] = [("overview", .overview), ("heatmap", .heatmap), ("heads", .heads),
                                       ("timeline", .timeline), ("tokens", .tokens)]

    func grid(_ screen: Screen) -> CellGrid {
        let a = App(trace: TinyTrace.source())
        a.apply(.jump(step: 12, layer: 1, head: 2))
        a.apply(.show(screen))
        return a.render(width: 100, height: 30)
    }

    final class Root: NSObject, XMLParserDelegate {
        var root: (String, [String: String])?
        var texts = 0
        func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?,
                    attributes a: [String: String] = [:]) {
            if root == nil { root = (e, a) }
            if e == "text" || e == "span" { texts += 1 }
        }
    }

    func parse(_ xml: String) -> Root {
        let p = XMLParser(data: Data(xml.utf8)), r = Root()
        p.delegate = r
        XCTAssertTrue(p.parse(), "\(p.parserError.map { "\($0)" } ?? "")")
        return r
    }

    func testEveryViewAsSVGParsesHasTheGridSizeAndMatchesItsSnapshot() {
        for (name, screen) in screens {
            let g = grid(screen)
            let picture = GridPicture(title: "attnscope \(screen.title) · tiny.atrace")
            let svg = picture.svg(g)
            let r = parse(svg)
            XCTAssertEqual(r.root?.0, "svg", name)
            XCTAssertEqual(r.root?.1["width"], "800", name)          // 100 cells × 8 px
            XCTAssertEqual(r.root?.1["height"], "496", name)         // (30 + title) × 16 px
            XCTAssertGreaterThan(r.texts, 3, name)
            XCTAssertTrue(svg.contains("attnscope \(screen.title)"), name)
            assertSnapshot(svg, named: "svg-\(name)")
        }
    }

    func testHTMLIsSelfContainedAndKeepsEveryCell() {
        for (name, screen) in screens {
            let g = grid(screen)
            let html = GridPicture(title: "t & <b>").html(g)
            let r = parse(html.replacingOccurrences(of: "<!DOCTYPE html>\n", with: ""))
            XCTAssertEqual(r.root?.0, "html", name)
            XCTAssertFalse(html.contains("src=") || html.contains("href=") || html.contains("<script"), name)
            XCTAssertTrue(html.contains("<title>t &amp; &lt;b&gt;</title>"), name)
            // the text of the <pre>, markup removed, is the grid's text
            let pre = html.components(separatedBy: "<pre>")[1].components(separatedBy: "</pre>")[0]
            let plain = pre.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
            let rows = (0..<g.height).map { y in
                String(String.UnicodeScalarView((0..<g.width).map { g[$0, y].glyph })) + "\n"
            }
            XCTAssertEqual(plain, rows.joined(), name)
        }
    }

    func testAttributesAndDefaults() {
        var g = CellGrid(width: 2, height: 1)
        g.set(0, 0, "x", Style(fg: .rgb(255, 0, 0), bg: .rgb(0, 0, 255), attrs: .reverse))
        let p = GridPicture(title: "")
        XCTAssertEqual(GridPicture.hex(p.colors(g[0, 0].style).fg), "#0000ff")
        XCTAssertEqual(GridPicture.hex(p.colors(g[1, 0].style).bg), "#101010")
        XCTAssertTrue(p.svg(g).contains(">x</text>"))
    }

    /// Bitwise CRC-32 (PNG's, ISO 3309), the naive form the encoder's libdeflate CRC is checked against.
    func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }

    func testPNGHasTheRightSizeValidChunksAndDrawsGlyphs() {
        let png = GridPicture(title: "attnscope Heatmap").png(grid(.heatmap))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func be32(_ i: Int) -> Int { Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3]) }
        var i = 8, types: [String] = []
        while i + 12 <= png.count {
            let n = be32(i), type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
            types.append(type)
            XCTAssertEqual(UInt32(be32(i + 8 + n)), crc32(png[(i + 4)..<(i + 8 + n)]), "CRC of \(type)")
            if type == "IHDR" {
                XCTAssertEqual(be32(i + 8), 800)          // 100 cells × 8 px
                XCTAssertEqual(be32(i + 12), 496)         // (30 + title) × 16 px
                XCTAssertEqual(Array(png[(i + 16)..<(i + 21)]), [8, 2, 0, 0, 0])
            }
            if type == "IDAT" { XCTAssertEqual(png[i + 8], 0x78, "zlib header") }
            i += 12 + n
        }
        XCTAssertEqual(types, ["IHDR", "IDAT", "IEND"])
        XCTAssertEqual(i, png.count)
        XCTAssertLessThan(png.count, 200_000, "compressed")
        // every glyph the views drew here is in the font (or a block drawn as a rectangle)
        var missing = Set<String>()
        for (_, screen) in screens {
            let g = grid(screen)
            var rgb = [UInt8](repeating: 0, count: 8 * 16 * 3)
            for y in 0..<g.height { for x in 0..<g.width where !BitmapFont.draw(g[x, y].glyph, x0: 0, y0: 0, cw: 8, ch: 16,
                                                                                  color: (1, 1, 1), into: &rgb, width: 8) {
                missing.insert(String(g[x, y].glyph))
            } }
        }
        XCTAssertEqual(missing, [], "glyphs the font lacks (add them to scripts/gen_bitmap_font.py)")
    }
}
