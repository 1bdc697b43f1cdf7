// The viewer over real trace files (AttnTrace writer → reader): every view renders, a file cut
// short opens and says where it ends.

import XCTest
import AttnAnalysis
import AttnTrace
@testable import AttnTUI

final class TraceFileTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("attntui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func sample(_ name: String) throws -> String {
        var shape = SyntheticTrace.Shape.smolLM
        shape.layers = 6; shape.decodeSteps = 40; shape.rowInterval = 4; shape.rowHeads = 18
        let path = dir.appendingPathComponent(name).path
        try SyntheticTrace(shape: shape, seed: 3).write(to: path)
        return path
    }

    func testEveryViewRendersFromAFile() throws {
        let path = try sample("a.atrace")
        let app = App(trace: try TraceReaderSource(path: path), colorMode: .cube256)
        app.apply(.jump(step: 20, layer: 0, head: 0))
        for s in Screen.allCases where s != .compare {
            app.apply(.show(s))
            for mode in 0..<3 {
                let g = app.render(width: 120, height: 40)
                XCTAssertNil(app.trace.lastError, "\(s): \(app.trace.lastError ?? "")")
                XCTAssertFalse(g.text.contains("too small"), "\(s)")
                XCTAssertTrue(g.line(39).contains("finalized"), g.line(39))
                if s != .heatmap || mode == 2 { break }
                app.apply(.cycleHeatmapMode)
            }
        }
        app.apply(.show(.heatmap))   // key × step: the sink column at key 0 is drawn
        let g = app.render(width: 120, height: 40)
        XCTAssertTrue(g.text.contains("▀"), g.text)
    }

    func testRecoveredFileSaysWhereItEnds() throws {
        let path = try sample("b.atrace")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = dir.appendingPathComponent("cut.atrace").path
        try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
        let src = try TraceReaderSource(path: cut)
        guard case .recovered = src.fileStatus else { return XCTFail("expected a recovered file, got \(src.fileStatus)") }
        let app = App(trace: src)
        app.apply(.show(.runInfo))
        let text = app.render(width: 120, height: 40).text
        XCTAssertTrue(text.contains("RECOVERED: ends at byte"), text)
        XCTAssertLessThan(src.stepCount, 41)
    }

    func testCompareTwoFiles() throws {
        let a = try sample("a.atrace")
        var shape = SyntheticTrace.Shape.smolLM
        shape.layers = 6; shape.decodeSteps = 40; shape.rowInterval = 4; shape.rowHeads = 18
        let b = dir.appendingPathComponent("b2.atrace").path
        try SyntheticTrace(shape: shape, seed: 4).write(to: b)
        let app = App(trace: try TraceReaderSource(path: a), other: try TraceReaderSource(path: b))
        app.apply(.show(.compare))
        let text = app.render(width: 120, height: 40).text
        XCTAssertTrue(text.contains("heads beyond tolerance"), text)
        XCTAssertTrue(text.contains("A: a.atrace  B: b2.atrace"), text)
    }
}
