// `delta`: DELTA (arXiv 2510.09883) [code: hoenza/DELTA `page_score.py::_compute_page_scores_kernel`,
// `page_selector_v2.py::PageSelectorV2`, `model.py`; METHODS.md §6]. Three kinds of layer:
// - full layers (`full_layers`) attend densely;
// - a full layer whose next layer is sparse is a Δ-layer: at each decode step it also plans the
//   selection from its exact attention probabilities p_h (observed as computed): page score
//   score(P) = Σ_{tok∈P} max_h p_h(tok), the max over *all* query heads of the layer ("unified
//   head selection"); the last `recent` pages are forced, then the `pages` best (ties: the older
//   page, as the reference's −1e−7·page_idx), in position order;
// - every other layer attends to that one set of entries, for all its heads, until the next
//   Δ-layer. A sparse layer before any Δ-layer of the step attends densely.
// The cache keeps every entry (no memory saving, as in the paper). Prefill is dense (METHODS.md:
// UNCONFIRMED). Defaults: page 16, 64 pages, 8 recent pages (the reference script's); full
// layers 0-2, 14, 22 (the script's choice for a 28-layer model; SmolLM2 has 30). On a model with
// fewer layers the default list keeps the layers the model has (Gemma 3 270M: 0-2, 14); a list
// given explicitly that names a missing layer is an error.

public final class DeltaPolicy: AttentionPolicy {
    public let name = "delta"
    public let mode = AttentionPolicyMode.selects
    public private(set) var fullLayers: [Int]?
    public static let defaultFullLayers = [0, 1, 2, 14, 22]
    public let page: Int, pages: Int, recent: Int
    public var parameters: [(key: String, value: String)] {
        [("full_layers", headListDescription(fullLayers)), ("page", "\(page)"), ("pages", "\(pages)"), ("recent", "\(recent)")]
    }

    private var isFull: [Bool] = []
    private var isDelta: [Bool] = []
    private var decodeCall = false
    private var currentLayer = 0
    private var maxProb: [Float] = []     // [n] of the Δ-layer being planned
    /// The plan: stream indices every sparse layer attends to, for a stream of `planCount` entries.
    public private(set) var plan: [Int] = []
    private var planCount = -1

    public init(fullLayers: [Int]? = DeltaPolicy.defaultFullLayers, page: Int = 16, pages: Int = 64, recent: Int = 8) throws {
        guard page >= 1, pages >= 1, recent >= 0, recent <= pages else {
            throw PolicyError("policy delta: need page ≥ 1, pages ≥ 1 and 0 ≤ recent ≤ pages (got page=\(page), pages=\(pages), recent=\(recent))")
        }
        self.fullLayers = fullLayers; self.page = page; self.pages = pages; self.recent = recent
    }

    convenience init(_ p: inout PolicyParameters) throws {
        try self.init(fullLayers: p.heads("full_layers"), page: p.int("page"), pages: p.int("pages"), recent: p.int("recent"))
    }

    public func check(layers: Int, shape: AttentionShape) throws {
        if fullLayers == Self.defaultFullLayers { fullLayers = Self.defaultFullLayers.filter { $0 < layers } }
        if let bad = fullLayers?.first(where: { $0 >= layers }) {
            throw PolicyError("policy delta: full_layers names layer \(bad); the model has \(layers) layers (0-\(layers - 1))")
        }
    }

    public func reset(layers: Int, shape: AttentionShape) {
        isFull = (0..<layers).map { l in fullLayers.map { $0.contains(l) } ?? true }
        isDelta = (0..<layers).map { l in isFull[l] && l + 1 < layers && !isFull[l + 1] }
        plan = []; planCount = -1
    }

    public var observesAttention: Bool { decodeCall && isDelta[currentLayer] }

    public func beginCall(layer: Int, queryCount: Int, cache: KVCache) {
        currentLayer = layer
        decodeCall = queryCount == 1
        if decodeCall && isDelta[layer] {
            maxProb = [Float](repeating: 0, count: cache.count(layer: layer, kvHead: 0))
        }
    }

    public func observe(_ rows: HeadProbabilityRows) {
        guard decodeCall, isDelta[rows.layer] else { return }
        let row = rows.row(rows.rowCount - 1)   // scaled: the policy tee takes no unscaled rows
        for j in 0..<min(row.count, maxProb.count) where row[j] > maxProb[j] { maxProb[j] = row[j] }
    }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] {
        if decodeCall && isDelta[layer] {
            plan = Self.selectPages(maxProb, page: page, pages: pages, recent: recent)
            planCount = maxProb.count
        }
        return []
    }

    public func select(layer: Int, query q: UnsafePointer<Float>, cache: KVCache, into selection: inout [[Int]]) -> Bool {
        guard !isFull[layer], planCount == cache.count(layer: layer, kvHead: 0), plan.count < planCount else { return false }
        for g in 0..<cache.kvHeads {
            guard cache.count(layer: layer, kvHead: g) == planCount else { return false }
            selection[g].append(contentsOf: plan)
        }
        return true
    }

    /// Stream indices of the chosen pages: the last `recent` pages, then the best by Σ score over
    /// the page (ties: the older), `pages` in all, ascending.
    static func selectPages(_ score: [Float], page: Int, pages: Int, recent: Int) -> [Int] {
        let n = score.count, count = (n + page - 1) / page
        guard count > pages else { return Array(0..<n) }
        var pageScore = [Float](repeating: 0, count: count)
        for j in 0..<n { pageScore[j / page] += score[j] }
        let forced = max(0, count - recent)
        let best = topIndices(pageScore, in: 0..<forced, k: pages - (count - forced))
        return (best + Array(forced..<count)).flatMap { p in p * page ..< min(n, (p + 1) * page) }
    }
}
