// The policy registry is the one list that parsing, the policies' parameter reading and
// `record --help` use: what it declares must be what a parsed policy ends up with.

import Foundation
import XCTest
@testable import AttnRuntime

final class PolicyRegistryTests: XCTestCase {
    /// A budgets file for 2 layers × 1 KV head (tca needs one to parse).
    let budgets: String = {
        let b = TCABudgets(model: "m", layers: 2, kvHeads: 1, block: 4, window: 8, tau: 0.9, alpha: 0.25, calibrationTokens: 64,
                           budgets: [[[0.2, 0.3, 0.5]], [[0.2, 0.3, 0.5]]], keptMass: [[0.9], [0.9]])
        return String(decoding: try! b.encoded(), as: UTF8.self)
    }()

    func make(_ text: String) throws -> AttentionPolicy { try PolicyRegistry.make(text) { _ in self.budgets } }

    /// Each policy built from its bare name (tca: only its file) has the declared defaults.
    func testDeclaredDefaultsAreWhatParsingGives() throws {
        XCTAssertEqual(PolicyRegistry.names, ["dense", "streaming", "h2o", "snapkv", "tca", "quest", "oracle", "knn", "power", "zerotuning", "act", "moa", "delta"])
        for d in PolicyRegistry.all {
            let p = try make(d.name == "tca" ? "tca:budgets=b.json" : d.name)
            XCTAssertEqual(p.mode, d.mode, d.name)
            let got = Dictionary(uniqueKeysWithValues: p.parameters.map { ($0.key, $0.value) })
            for param in d.parameters {
                if let v = param.defaultValue {
                    XCTAssertEqual(got[param.key], v, "\(d.name).\(param.key)")
                } else if param.note != nil {
                    XCTAssertNotNil(got[param.key], "\(d.name).\(param.key) comes from \(param.note!)")
                }
            }
        }
        let tca = try make("tca:budgets=b.json")
        let got = Dictionary(uniqueKeysWithValues: tca.parameters.map { ($0.key, $0.value) })
        XCTAssertEqual(got["window"], "8", "tca's window defaults to the budgets file's")
    }

    /// Every declared integer range is what parsing enforces, just outside both ends.
    func testDeclaredRangesAreEnforced() throws {
        for d in PolicyRegistry.all {
            let base = d.name == "tca" ? "tca:budgets=b.json," : d.name + ":"
            for param in d.parameters {
                guard case .int(let range) = param.kind else { continue }
                XCTAssertThrowsError(try make(base + "\(param.key)=\(range.upperBound + 1)"), "\(d.name).\(param.key)") { e in
                    XCTAssertTrue("\(e)".contains(param.key), "\(e)")
                }
                XCTAssertThrowsError(try make(base + "\(param.key)=\(range.lowerBound - 1)"), "\(d.name).\(param.key)") { e in
                    XCTAssertTrue("\(e)".contains("\(param.key)=\(range.lowerBound - 1) must be an integer in \(range.lowerBound)..."), "\(e)")
                }
            }
        }
        XCTAssertThrowsError(try make("snapkv:pool=median")) { XCTAssertTrue("\($0)".contains("avg, max"), "\($0)") }
        XCTAssertThrowsError(try make("streaming:heavy=3")) { XCTAssertTrue("\($0)".contains("unknown parameter heavy"), "\($0)") }
    }

    /// The help lists every policy once, with its usage and defaults.
    func testHelpLinesComeFromTheRegistry() {
        let lines = PolicyRegistry.helpLines
        XCTAssertEqual(lines.count, 2 * PolicyRegistry.all.count)
        XCTAssertTrue(lines.contains("streaming[:sink=4,window=64]"))
        XCTAssertTrue(lines.contains("snapkv[:window=32,capacity=1024,kernel=5,pool=avg]"))
        XCTAssertTrue(lines.contains("quest[:page=16,budget=1024,dense_layers=2]"))
        XCTAssertTrue(lines.contains("tca:budgets=FILE[,window=N,alpha=X]  (alpha, window: the budgets file's)")
                      || lines.contains("tca:budgets=FILE[,window=N,alpha=X]  (window, alpha: the budgets file's)"), "\(lines)")
        XCTAssertTrue(lines.allSatisfy { $0.count <= 78 }, "\(lines)")
    }
}
