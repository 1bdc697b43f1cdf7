import XCTest
@testable import AttnRuntime

/// Every tensor of the real Gemma 3 270M Q4_K_M file (Q4_K, Q6_K, Q5_0, Q8_0, F32), dequantized by
/// the naive path, against the `gguf` package (fixture gemma3_tensors.json from
/// reference/quant_fixtures.py): names, types and shapes; float64 sum and sum of squares of all
/// values; values at seeded indices (expected bit-identical).
final class Gemma3TensorTests: XCTestCase {
    func testEveryTensorMatchesGGUFPackage() throws {
        let gguf = try Gemma3Model.gguf()
        let fixture = try Fixtures.json("gemma3_tensors.json") as! [String: Any]
        let tensors = fixture["tensors"] as! [[String: Any]]
        XCTAssertEqual(tensors.count, gguf.tensors.count)
        var typesSeen: Set<GGMLType> = []
        for entry in tensors {
            let name = entry["name"] as! String
            let info = try gguf.tensor(name)
            XCTAssertEqual(info.type.description, entry["type"] as? String, name)
            XCTAssertEqual(info.shape, entry["shape"] as? [Int], name)
            typesSeen.insert(info.type)
            let values = Dequantize.tensor(info, data: try gguf.data(name))
            var sum = CompensatedSum(), squares = CompensatedSum()
            for v in values { sum.add(Double(v)); squares.add(Double(v) * Double(v)) }
            // Both sides sum exact float64 terms with an error near 1e-15 of Σ|terms| (numpy pairwise,
            // here compensated), while one wrong value among the 167 M of token_embd moves them by ~6e-9.
            let sumAbs = entry["sum_abs"] as! Double
            XCTAssertEqual(sum.value, entry["sum"] as! Double, accuracy: 1e-12 * sumAbs + 1e-30, "\(name) sum")
            let expectedSquares = entry["sum_squares"] as! Double
            XCTAssertEqual(squares.value, expectedSquares, accuracy: 1e-12 * expectedSquares + 1e-30, "\(name) sum of squares")
            for pair in entry["samples"] as! [[Double]] {
                let index = Int(pair[0])
                XCTAssertEqual(values[index], Float(pair[1]), "\(name)[\(index)]")
            }
        }
        XCTAssertEqual(typesSeen, [.f32, .q8_0, .q5_0, .q4_K, .q6_K])
    }
}

/// Neumaier's compensated summation: the error does not grow with the number of terms.
struct CompensatedSum {
    private var sum = 0.0, compensation = 0.0
    var value: Double { sum + compensation }

    mutating func add(_ x: Double) {
        let t = sum + x
        compensation += abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum
        sum = t
    }
}
