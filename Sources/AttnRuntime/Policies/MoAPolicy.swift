import Foundation

// `moa`: MoA, Mixture of Attention spans (arXiv 2406.14909) [code: thu-nics/MoA
// `ElasticBlockSparse.layout_generate_function`, `cache_utils.py`; METHODS.md §5]. Each query
// head h attends to the first `sink` entries and a band of its S_h = α_h + β_h·N most recent
// ones, N = the entries in its stream (QueryHeadSelecting: spans differ per head, so under GQA
// the heads of a group read different entries).
// - Spans: one α, β for every head (`alpha`, `beta`; `spans=none`), or per (layer, head) from `spans=FILE`:
//   {"model": {"layers": L, "heads": H}, "spans": [[[α, β], …H], …L]}, checked against the model.
// - This project's reading: entry-level spans (the reference builds 64-token blocks); S_h is
//   rounded down and kept ≥ 1 (the newest entry, the query's own); a selecting policy here (the
//   cache keeps every entry; the reference's decode cache keeps sink + band, i.e. evicts).
// - Not done: `calibrate --policy moa` (the paper's gradient profile and MILP, or a replacement).
//   Prefill is dense.

public final class MoAPolicy: AttentionPolicy, QueryHeadSelecting {
    public let name = "moa"
    public let mode = AttentionPolicyMode.selects
    public let sink: Int
    public let alpha: Float, beta: Float
    /// Per (layer, head) spans from a file, [layer][head] = (α, β); nil: `alpha`, `beta` everywhere.
    public let spans: [[(alpha: Float, beta: Float)]]?
    let spansPath: String?
    public var parameters: [(key: String, value: String)] {
        [("sink", "\(sink)"), ("alpha", "\(alpha)"), ("beta", "\(beta)"), ("spans", spansPath ?? "none")]
    }
    private var shape = AttentionShape(heads: 1, kvHeads: 1, headDim: 1)

    public init(sink: Int = 64, alpha: Float = 64, beta: Float = 0.25, spans: [[(alpha: Float, beta: Float)]]? = nil,
                spansPath: String? = nil) throws {
        guard sink >= 0 else { throw PolicyError("policy moa: sink=\(sink) must be ≥ 0") }
        self.sink = sink; self.alpha = alpha; self.beta = beta; self.spans = spans; self.spansPath = spansPath
    }

    convenience init(_ p: inout PolicyParameters, loadFile: (String) throws -> String) throws {
        let path = p.string("spans").flatMap { $0.lowercased() == "none" ? nil : $0 }
        var spans: [[(alpha: Float, beta: Float)]]?
        if let path {
            let text: String
            do { text = try loadFile(path) } catch { throw PolicyError("policy moa: spans file \(path): cannot read (\(error.localizedDescription))") }
            spans = try Self.parseSpans(text, path: path)
        }
        try self.init(sink: p.int("sink"), alpha: p.float("alpha"), beta: p.float("beta"), spans: spans, spansPath: path)
    }

    static func parseSpans(_ text: String, path: String) throws -> [[(alpha: Float, beta: Float)]] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let model = root["model"] as? [String: Any], let layers = model["layers"] as? Int, let heads = model["heads"] as? Int,
              let list = root["spans"] as? [[[Double]]] else {
            throw PolicyError("policy moa: spans file \(path): expected {\"model\": {\"layers\": L, \"heads\": H}, \"spans\": [[[alpha, beta], …]]}")
        }
        guard list.count == layers, list.allSatisfy({ $0.count == heads && $0.allSatisfy { $0.count == 2 } }) else {
            throw PolicyError("policy moa: spans file \(path): spans must be \(layers) layers × \(heads) heads × [alpha, beta]")
        }
        return list.map { $0.map { (Float($0[0]), Float($0[1])) } }
    }

    public func check(layers: Int, shape: AttentionShape) throws {
        if let spans, spans.count != layers || spans.first?.count != shape.heads {
            throw PolicyError("policy moa: spans file \(spansPath ?? "") is for \(spans.count) layers × \(spans.first?.count ?? 0) heads, "
                              + "the model has \(layers) × \(shape.heads)")
        }
    }

    public func reset(layers: Int, shape: AttentionShape) { self.shape = shape }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] { [] }

    /// S = ⌊α + β·N⌋ clamped to 1 ... N.
    public static func span(alpha: Float, beta: Float, count n: Int) -> Int {
        let s = (alpha + beta * Float(n)).rounded(.down)
        return s.isFinite ? max(1, min(n, Int(max(1, min(Float(n), s))))) : n
    }

    public func selectPerQueryHead(layer: Int, query q: UnsafePointer<Float>, cache: KVCache,
                                   into selection: inout [[Int]]) -> Bool {
        var sparse = false
        for h in 0..<shape.heads {
            let n = cache.count(layer: layer, kvHead: shape.kvHead(forQueryHead: h))
            let (a, b) = spans?[layer][h] ?? (alpha, beta)
            let band = Self.span(alpha: a, beta: b, count: n), lo = min(sink, n)
            if lo >= n - band {
                selection[h].append(contentsOf: 0..<n)
            } else {
                sparse = true
                selection[h].append(contentsOf: 0..<lo)
                selection[h].append(contentsOf: (n - band)..<n)
            }
        }
        return sparse
    }
}
