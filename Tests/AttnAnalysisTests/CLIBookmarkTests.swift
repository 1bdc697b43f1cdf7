// `stats --bookmark` and `render --bookmark` read the trace's sidecar; a sidecar of another trace,
// an unknown name, clashing place flags, `view --follow` of two files and `record --view` without a
// terminal each exit 2 with one message.

import AttnAnalysis
import AttnTrace
import XCTest

extension CLITests {
    func sidecar(for trace: String, _ marks: [Bookmark]) throws {
        let header = try TraceReader(path: trace).header
        try BookmarkFile(path: BookmarkFile.sidecarPath(of: trace), trace: TraceIdentity(header), bookmarks: marks).save()
    }

    func testStatsAndRenderTakeABookmark() throws {
        let a = try write("a.atrace")
        try sidecar(for: a, [Bookmark(name: "s", step: 2, layer: 1, head: 0, note: "stripe")])
        let m = try TraceReader(path: a).metrics(step: 2, layer: 1, head: 0)
        let r = try run(["stats", a, "--bookmark", "s"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasPrefix("attnscope stats: \(a), bookmark s: L1 H0 at step 2\n  note      stripe\n"), r.out)
        let sinkLine = r.out.split(separator: "\n").first { $0.hasPrefix("  sink_mass_4") }.map(String.init) ?? ""
        XCTAssertEqual(sinkLine.split(separator: " ").dropFirst().first.map(String.init), String(format: "%.3f", m.sinkMass4), r.out)
        let j = try run(["stats", a, "--bookmark", "s", "--json"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(j.out.utf8)) as? [String: Any])
        let at = try XCTUnwrap(json["atStep"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(at["sink_mass_4"] as? Double), Double(m.sinkMass4), accuracy: 1e-6)
        XCTAssertEqual((json["head"] as? [String: Any])?["layer"] as? Int, 1)

        let svg = dir.appendingPathComponent("s.svg").path
        let p = try run(["render", a, "--bookmark", "s", "--view", "tokens", "--out", svg])
        XCTAssertEqual(p.status, 0, p.err)
        XCTAssertTrue(try String(contentsOfFile: svg, encoding: .utf8).contains("L1 H0 step 2"))
    }

    func testBadBookmarksExitTwoWithOneMessage() throws {
        let a = try write("a.atrace"), b = try write("b.atrace", seed: 2)
        try sidecar(for: a, [Bookmark(name: "s", step: 2, layer: 1, head: 0)])
        let bMarks = BookmarkFile.sidecarPath(of: b)
        try FileManager.default.copyItem(atPath: BookmarkFile.sidecarPath(of: a), toPath: bMarks)
        let svg = dir.appendingPathComponent("x.svg").path
        let cases: [([String], String)] = [
            (["stats", b, "--bookmark", "s"], "attnscope stats: \(bMarks): bookmarks of another trace (model "),
            (["render", b, "--bookmark", "s", "--out", svg], "attnscope render: \(bMarks): bookmarks of another trace (model "),
            (["view", b], "attnscope view: \(bMarks): bookmarks of another trace (model "),
            (["stats", a, "--bookmark", "nope"], "attnscope stats: --bookmark nope: no such bookmark in \(BookmarkFile.sidecarPath(of: a)) (it has s)"),
            (["render", a, "--bookmark", "s", "--at", "L0", "--out", svg], "attnscope render: --bookmark s: give either --bookmark or --at"),
            (["view", "--follow", a, b], "attnscope view: --follow: follows one trace (got 2)"),
            (["record", "--prompt", "hi", "--out", dir.appendingPathComponent("r.atrace").path, "--view"], "attnscope record: "),
        ]
        for (args, message) in cases {
            let r = try run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            XCTAssertTrue(r.err.hasPrefix(message), "\(args): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, args.contains("--follow") ? 3 : 1, "\(args): \(r.err)")
        }
        XCTAssertTrue(try run(["record", "--prompt", "hi", "--out", dir.appendingPathComponent("r.atrace").path, "--view"]).err
            .contains("view needs a terminal"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: svg))
    }
}
