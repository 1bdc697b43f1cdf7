import Foundation
import XCTest

/// `attnscope bench-probe` runs without the model: one line per selection shape with its keys per
/// head and plain / refresh / mean CPU times, and bad options exit 2 naming the option.
final class BenchProbeEndToEndTests: XCTestCase {
    func testPrintsOneLinePerShapeWithTimes() throws {
        let (out, _) = try run(["bench-probe", "--context", "320", "--heads", "12", "--steps", "24", "--repeats", "2",
                                "--evict-mb", "1"])
        // at the last step (position 343): every position; 4 sinks + 28; up to 16 kept (random, some
        // may coincide) + 16 + 23 appended
        let expectedKeys = ["dense": 320 + 23 ... 320 + 23, "window": 32 ... 32, "appended": 16 + 23 + 1 ... 16 + 16 + 23]
        for shape in ["dense", "window", "pages", "heavy", "appended"] {
            guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix(shape + " ") }) else {
                XCTFail("no line for \(shape) in:\n\(out)"); continue
            }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            XCTAssertGreaterThanOrEqual(fields.count, 5, String(line))
            let keys = Int(fields[1]) ?? -1
            if let expected = expectedKeys[shape] { XCTAssertTrue(expected.contains(keys), "keys per head of \(shape): \(keys)") }
            XCTAssertGreaterThan(keys, 0, String(line))
            for f in fields[2...4] {   // plain, refresh, mean: a number or a range lo–hi, lo ≤ hi
                let parts = f.split(separator: "–").compactMap { Double($0) }
                XCTAssertTrue(parts.count >= 1 && parts.allSatisfy { $0 >= 0 } && parts == parts.sorted(), "\(shape): '\(f)'")
            }
        }
    }

    func testShapesPicksTheNamedOnes() throws {
        let (out, _) = try run(["bench-probe", "--context", "256", "--heads", "4", "--steps", "20", "--repeats", "1",
                                "--evict-mb", "0", "--shapes", "pages,dense"])
        let shapes = out.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { ["dense", "window", "pages", "heavy", "appended"].contains($0) }
        XCTAssertEqual(shapes, ["pages", "dense"], out)
    }

    func testBadOptionsExitTwoNamingTheOption() throws {
        for (args, name) in [(["--context", "10"], "--context"), (["--steps", "12"], "--steps"),
                             (["--heads", "0"], "--heads"), (["--heads", "4096", "--context", "65536"], "--heads × --context"), (["--refresh-interval", "0"], "--refresh-interval"),
                             (["--repeats", "0"], "--repeats"), (["--evict-mb", "-1"], "--evict-mb"),
                             (["--shapes", "dense,sparse"], "--shapes"), (["--shapes", ""], "--shapes")] {
            let (_, err) = try run(["bench-probe"] + args, expectStatus: 2)
            XCTAssertTrue(err.contains(name), "\(args): \(err)")
        }
    }
}
