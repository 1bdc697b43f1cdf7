// The command line of the analysis features: diff --junit/--report, view --at/--view, and their
// bad input (one message each in the unified format, exit 2).

import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
import AttnTrace

extension CLITests {
    func testDiffWritesJUnitAndHTMLReport() throws {
        let a = try write("a.atrace")
        let b = try write("b.atrace") { f in if f.step.index == 2 { f.metrics[1].sinkMass4 = 0.99 } }
        let xml = dir.appendingPathComponent("d.xml").path, html = dir.appendingPathComponent("d.html").path
        let r = try run(["diff", a, b, "--junit", xml, "--report", html])
        XCTAssertEqual(r.status, 1, r.err)
        let junit = try String(contentsOfFile: xml, encoding: .utf8)
        XCTAssertTrue(XMLParser(data: Data(junit.utf8)).parse())
        XCTAssertTrue(junit.contains("worst L0 H1 at step 2"), junit)
        let report = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertTrue(report.hasPrefix("<!DOCTYPE html>") && report.contains("DIFFERENT"))
    }

    func testBadOutputsAndPlacesExitTwoWithOneMessage() throws {
        let a = try write("a.atrace")
        let missing = dir.appendingPathComponent("no/such/dir/d.xml").path
        let cases: [([String], String)] = [
            (["diff", a, a, "--junit", missing], "attnscope diff: --junit \(missing): no such directory: "),
            (["diff", a, a, "--report", dir.path], "attnscope diff: --report \(dir.path): is a directory"),
            (["view", a, "--at", "L99H0@1"], "attnscope view: --at L99H0@1: layer 99 is out of range"),
            (["view", a, "--at", "L0H0@99999"], "attnscope view: --at L0H0@99999: step 99999 is out of range"),
            (["view", a, "--at", "H3@1"], "attnscope view: --at H3@1: a head needs its layer"),
            (["view", a, "--at", "L1H@2"], "attnscope view: --at L1H@2: 'H' must be followed by a number"),
            (["view", a, "--at", "L1H2@"], "attnscope view: --at L1H2@: no step after '@'"),
            (["view", a, "--at", "L1@x"], "attnscope view: --at L1@x: step 'x' is not a whole number"),
            (["view", a, "--view", "graph"], "attnscope view: --view graph: unknown view; expected overview, heatmap"),
        ]
        for (args, message) in cases {
            let r = try run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            XCTAssertTrue(r.err.hasPrefix(message), "\(args): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "\(args): one line: \(r.err)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
    }

    func testStatsReportsSinkMetrics() throws {
        let a = try write("a.atrace")
        let r = try run(["stats", a])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("Sink_1^ε (Gu et al., ε = 0.3, α_1 > ε): "), r.out)
        XCTAssertTrue(r.out.contains("non-initial sinks over time"), r.out)
        let j = try run(["stats", "--json", a])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(j.out.utf8)) as? [String: Any])
        let sm = try XCTUnwrap(json["sinkMetrics"] as? [String: Any])
        XCTAssertNotNil(sm["sinkRate"])
        XCTAssertNotNil(sm["sinkRatePerLayer"] as? [Any])
    }
}

extension CLITests {
    func testRenderWritesSVGAndHTMLAndRefusesBadInput() throws {
        let a = try write("a.atrace")
        let svg = dir.appendingPathComponent("v.svg").path, html = dir.appendingPathComponent("v.html").path
        let r = try run(["render", a, "--view", "heatmap", "--layer", "1", "--head", "0", "--step", "2", "--out", svg,
                         "--width", "80", "--height", "24"])
        XCTAssertEqual(r.status, 0, r.err)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(XMLParser(data: Data(text.utf8)).parse())
        XCTAssertTrue(text.contains("width=\"640\" height=\"400\""), String(text.prefix(300)))
        XCTAssertTrue(text.contains("attnscope Heatmap · a.atrace · L1 H0 step 2"), String(text.prefix(600)))
        let h = try run(["render", a, "--view", "timeline", "--at", "L0H1@1", "--out", html])
        XCTAssertEqual(h.status, 0, h.err)
        XCTAssertTrue(try String(contentsOfFile: html, encoding: .utf8).contains("L0 H1 step 1"))

        let missing = dir.appendingPathComponent("none/x.svg").path
        let cases: [([String], String)] = [
            (["render", a, "--view", "graph", "--out", svg], "attnscope render: --view graph: unknown view"),
            (["render", a, "--format", "gif", "--out", svg], "attnscope render: --format gif: expected svg, html or png"),
            (["render", a, "--out", dir.appendingPathComponent("x.txt").path], "attnscope render: --out "),
            (["render", a, "--out", missing], "attnscope render: --out \(missing): no such directory"),
            (["render", a, "--layer", "9", "--out", svg], "attnscope render: --layer 9: out of range"),
            (["render", a, "--at", "L0H", "--out", svg], "attnscope render: --at L0H: 'H' must be followed"),
            (["render", a, "--width", "5", "--out", svg], "attnscope render: --width 5: expected 40 to 1000"),
        ]
        for (args, message) in cases {
            let r = try run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            XCTAssertTrue(r.err.hasPrefix(message), "\(args): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "\(args): \(r.err)")
        }
    }
}
