import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
import Foundation
import AttnTrace
@testable import AttnAnalysis

/// `diff --junit` and `diff --report`: the XML parses, has one case per metric family and layer,
/// and a failure names the worst head and step; the HTML parses as XML and holds no external reference.
final class DiffJUnitTests: XCTestCase {
    /// Collects testcases and their failure messages from JUnit XML.
    final class Cases: NSObject, XMLParserDelegate {
        var cases: [(suite: String, name: String, failure: String?)] = []
        var suite = ""
        var suites = 0
        func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?,
                    attributes a: [String: String] = [:]) {
            if e == "testsuite" { suite = a["name"] ?? ""; suites += 1 }
            if e == "testcase" { cases.append((suite, a["name"] ?? "", nil)) }
            if e == "failure" { cases[cases.count - 1].failure = a["message"] }
        }
    }

    func parse(_ xml: String) throws -> Cases {
        let p = XMLParser(data: Data(xml.utf8)), c = Cases()
        p.delegate = c
        XCTAssertTrue(p.parse(), "\(p.parserError.map { "\($0)" } ?? "")\n\(xml)")
        return c
    }

    func testOneCasePerMetricAndLayerAndTheWorstHeadNamed() throws {
        let a = SyntheticRun.make(seed: 1)
        var b = a
        b.steps[3].metrics[5].sinkMass4 += 0.05     // layer 1, head 1, step 3
        b.steps[6].metrics[6].sinkMass4 += 0.2      // layer 1, head 2, step 6: the worst
        b.steps[2].metrics[0].sinkMass4 += 0.01     // layer 0, head 0
        let r = try TraceDiff.run(a, b)
        let c = try parse(r.renderJUnit())
        let perLayer = r.metrics.filter { $0.metric != .wallNanos }.count * SyntheticRun.layers
        XCTAssertEqual(c.cases.count, perLayer + 1)               // + the emitted-token case
        XCTAssertEqual(c.suites, r.metrics.count + 1)
        let failed = c.cases.filter { $0.failure != nil }
        XCTAssertEqual(failed.map(\.name), ["sink_mass_4 L0", "sink_mass_4 L1"])
        let l1 = try XCTUnwrap(failed.last?.failure)
        XCTAssertTrue(l1.hasPrefix("2 subjects differ; worst L1 H2 at step 6"), l1)
        XCTAssertTrue(try XCTUnwrap(failed.first?.failure).contains("worst L0 H0 at step 2"))
        XCTAssertTrue(c.cases.contains { $0.name == "tokens emitted" && $0.failure == nil })
    }

    func testCleanDiffHasNoFailureAndEscapesLabels() throws {
        let t = SyntheticRun.make(seed: 2)
        let r = try TraceDiff.run(t, t, labels: ("a<&>\"'.atrace", "b.atrace"))
        let c = try parse(r.renderJUnit())
        XCTAssertFalse(c.cases.isEmpty)
        XCTAssertTrue(c.cases.allSatisfy { $0.failure == nil })
        let html = r.renderHTML()
        _ = try parse(html.replacingOccurrences(of: "<!DOCTYPE html>\n", with: ""))   // well-formed as XML
        XCTAssertTrue(html.contains("a&lt;&amp;&gt;&quot;&apos;.atrace"))
        XCTAssertFalse(html.contains("src="), "no external resources")
        XCTAssertFalse(html.contains("href="), "no external resources")
        XCTAssertTrue(html.contains("MATCH (within tolerance)"))
    }

    func testHTMLListsTheDifferences() throws {
        let a = SyntheticRun.make(seed: 3)
        var b = a
        b.steps[3].metrics[5].sinkMass4 += 0.05
        let html = try TraceDiff.run(a, b).renderHTML()
        _ = try parse(html.replacingOccurrences(of: "<!DOCTYPE html>\n", with: ""))
        XCTAssertTrue(html.contains("<td>sink_mass_4</td><td>L1 H1</td>"), html)
        XCTAssertTrue(html.contains("DIFFERENT"))
    }
}
