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
}
