// Text snapshots of rendered grids, kept in Tests/AttnTUITests/Snapshots/<name>.txt (argument-parser's
// assertSnapshot). A missing file, or RECORD_SNAPSHOTS=1, writes the baseline and fails with
// "Recorded new baseline", so a new snapshot is always looked at once.

import Foundation
import XCTest
@testable import AttnTUI

/// The grid's glyphs; with `colors`, a second block gives every cell's background and foreground as
/// the nearest of the 16 ANSI colours (hex digit; "." = terminal default).
func snapshotText(_ grid: CellGrid, colors: Bool = false) -> String {
    var s = grid.text
    guard colors else { return s + "\n" }
    func code(_ c: Color) -> Character {
        guard case let .rgb(r, g, b) = c else { return "." }
        return Character(String(quantize16(r, g, b), radix: 16))
    }
    s += "\n--- background ---\n"
    s += (0..<grid.height).map { y in String((0..<grid.width).map { code(grid[$0, y].style.bg) }) }.joined(separator: "\n")
    s += "\n--- foreground ---\n"
    s += (0..<grid.height).map { y in String((0..<grid.width).map { code(grid[$0, y].style.fg) }) }.joined(separator: "\n")
    return s + "\n"
}

func assertSnapshot(_ actual: String, named name: String, file: StaticString = #filePath, line: UInt = #line) {
    let dir = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Snapshots")
    let url = dir.appendingPathComponent("\(name).txt")
    let record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil
    if record || !FileManager.default.fileExists(atPath: url.path) {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        XCTFail("Recorded new baseline for \(name) at \(url.path)", file: file, line: line)
        return
    }
    let expected = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    if expected != actual {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDiff = zip(e, a).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(e.count, a.count)
        let show = { (lines: [Substring]) in firstDiff < lines.count ? String(lines[firstDiff]) : "<end>" }
        XCTFail("Snapshot \(name) differs at line \(firstDiff + 1):\nexpected: \(show(e))\nactual:   \(show(a))\n(re-record with RECORD_SNAPSHOTS=1)", file: file, line: line)
    }
}
