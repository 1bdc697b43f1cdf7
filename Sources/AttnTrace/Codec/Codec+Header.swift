// Run header record (kind 1) and the footer's index (8) and summary (9) records.

enum Codec {}

extension Codec {
    // MARK: - Run header

    static func encode(_ h: RunHeader, into w: inout ByteWriter) {
        w.string(h.producer)
        w.zigzag(Int(h.createdUnixSeconds))
        let m = h.model
        w.string(m.name); w.string(m.architecture)
        w.varint(m.layers); w.varint(m.heads); w.varint(m.kvHeads)
        w.varint(m.headDim); w.varint(m.contextLength); w.varint(m.vocabSize)
        w.string(h.policy.name)
        w.u8(h.policy.mode.rawValue)
        encode(h.policy.parameters, into: &w)
        w.u8(h.capture.rawValue)
        w.varint(h.rowInterval)
        w.string(h.prompt)
        w.varint(h.promptTokens.count)
        for t in h.promptTokens { w.zigzag(Int(t.id)); w.string(t.text) }
        encode(h.extra, into: &w)
        // version 2: the layers' native attention windows (count 0 = not recorded, else L)
        w.varint(m.layerWindows.count)
        for window in m.layerWindows { w.varint(window) }
    }

    static func encode(_ kvs: [KeyValue], into w: inout ByteWriter) {
        w.varint(kvs.count)
        for kv in kvs { w.string(kv.key); w.string(kv.value) }
    }

    static func decodeKeyValues(_ r: inout ByteReader, field: String) throws -> [KeyValue] {
        let n = try r.elementCount(field, cap: 1 << 20, minBytes: 2)
        var out: [KeyValue] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(KeyValue(try r.string(field + " key"), try r.string(field + " value"))) }
        return out
    }

    /// A run header as written by format `version` (1 has no layer windows).
    static func decodeRunHeader(_ r: inout ByteReader, version: Int = Int(Format.version)) throws -> RunHeader {
        let producer = try r.string("producer")
        let created = try r.zigzag("created")
        let name = try r.string("model name"), arch = try r.string("architecture")
        let layers = try r.count("layers", cap: Format.maxLayers)
        let heads = try r.count("heads", cap: Format.maxHeads)
        let kvHeads = try r.count("kv heads", cap: Format.maxHeads)
        let headDim = try r.count("head dim", cap: Format.maxPosition)
        let context = try r.count("context length", cap: Format.maxPosition)
        let vocab = try r.count("vocab size", cap: Format.maxPosition)
        var model = ModelInfo(name: name, architecture: arch, layers: layers, heads: heads,
                              kvHeads: kvHeads, headDim: headDim, contextLength: context, vocabSize: vocab)
        if let why = Codec.shapeProblem(model) { throw r.error(.shapeMismatch(why)) }
        let policyName = try r.string("policy name")
        let modeByte = try r.u8()
        guard let mode = PolicyMode(rawValue: modeByte) else {
            throw r.error(.invalidValue(field: "policy mode", value: String(modeByte)))
        }
        let params = try decodeKeyValues(&r, field: "policy parameters")
        let captureByte = try r.u8()
        guard let capture = CaptureLevel(rawValue: captureByte) else {
            throw r.error(.invalidValue(field: "capture level", value: String(captureByte)))
        }
        let rowInterval = try r.count("row interval", cap: Format.maxPosition)
        let prompt = try r.string("prompt")
        let nTokens = try r.elementCount("prompt token count", cap: Format.maxPosition, minBytes: 2)
        var tokens: [TokenInfo] = []
        tokens.reserveCapacity(nTokens)
        for _ in 0..<nTokens {
            let id = try r.zigzag("token id")
            guard let id32 = Int32(exactly: id) else {
                throw r.error(.invalidValue(field: "token id", value: String(id)))
            }
            tokens.append(TokenInfo(id: id32, text: try r.string("token text")))
        }
        let extra = try decodeKeyValues(&r, field: "extra")
        if version >= 2 {
            let n = try r.count("layer window count", cap: Format.maxLayers)
            guard n == 0 || n == layers else {
                throw r.error(.invalidValue(field: "layer window count", value: "\(n) for \(layers) layers"))
            }
            model.layerWindows.reserveCapacity(n)
            for _ in 0..<n { model.layerWindows.append(try r.count("layer window", cap: Format.maxPosition)) }
        }
        return RunHeader(producer: producer, createdUnixSeconds: created, model: model,
                         policy: PolicyInfo(name: policyName, mode: mode, parameters: params),
                         capture: capture, rowInterval: rowInterval, prompt: prompt,
                         promptTokens: tokens, extra: extra)
    }

    /// Why a model shape cannot be stored, or nil.
    static func shapeProblem(_ m: ModelInfo) -> String? {
        if m.layers < 1 || m.layers > Format.maxLayers { return "layers \(m.layers) not in 1...\(Format.maxLayers)" }
        if m.heads < 1 || m.heads > Format.maxHeads { return "heads \(m.heads) not in 1...\(Format.maxHeads)" }
        if m.kvHeads < 1 || m.kvHeads > m.heads || m.heads % m.kvHeads != 0 {
            return "kv heads \(m.kvHeads) must divide heads \(m.heads)"
        }
        if m.layers * m.heads > Format.maxLayerHeads {
            return "layers × heads = \(m.layers * m.heads) exceeds \(Format.maxLayerHeads)"
        }
        for (field, v) in [("head dim", m.headDim), ("context length", m.contextLength), ("vocab size", m.vocabSize)]
        where v < 0 || v > Format.maxPosition {
            return "\(field) \(v) out of range"
        }
        if !m.layerWindows.isEmpty && m.layerWindows.count != m.layers {
            return "\(m.layerWindows.count) layer windows for \(m.layers) layers"
        }
        if let w = m.layerWindows.first(where: { $0 < 0 || $0 > Format.maxPosition }) {
            return "layer window \(w) out of range"
        }
        return nil
    }

    // MARK: - Footer

    /// Index: step count, then each chunk's offset as the (ascending) difference from the previous one.
    static func encodeIndex(_ offsets: [UInt64], into w: inout ByteWriter) {
        w.varint(offsets.count)
        var prev: UInt64 = 0
        for o in offsets { w.varint(o - prev); prev = o }
    }

    /// Offsets must ascend strictly and stay below `limit` (the footer chunk's offset).
    static func decodeIndex(_ r: inout ByteReader, limit: Int) throws -> [Int] {
        let n = try r.elementCount("index entry count", cap: Format.maxSteps, minBytes: 1)
        var out: [Int] = []
        out.reserveCapacity(n)
        var prev = 0
        for i in 0..<n {
            let d = try r.varint("index offset")
            guard d <= UInt64(limit), d > 0 || i == 0 else {
                throw r.error(.invalidValue(field: "index offset delta", value: String(d)))
            }
            let (o, overflow) = prev.addingReportingOverflow(Int(d))
            guard !overflow, o + Format.chunkHeaderSize <= limit else {
                throw r.error(.invalidValue(field: "index offset", value: String(d)))
            }
            out.append(o); prev = o
        }
        return out
    }
}

/// The run summary stored in the footer (kind 9). Readers of unfinalized files compute it.
public struct TraceSummary: Equatable, Sendable {
    public var steps: Int
    public var decodeSteps: Int
    public var totalWallNanos: UInt64
    public var lastPosition: Int

    public init(steps: Int, decodeSteps: Int, totalWallNanos: UInt64, lastPosition: Int) {
        self.steps = steps; self.decodeSteps = decodeSteps; self.totalWallNanos = totalWallNanos
        self.lastPosition = lastPosition
    }

    static let empty = TraceSummary(steps: 0, decodeSteps: 0, totalWallNanos: 0, lastPosition: 0)

    mutating func add(_ s: StepInfo) {
        steps += 1
        if s.phase == .decode { decodeSteps += 1 }
        totalWallNanos &+= s.wallNanos
        lastPosition = max(lastPosition, s.position + s.queryCount)
    }

    func encode(into w: inout ByteWriter) {
        w.varint(steps); w.varint(decodeSteps); w.varint(totalWallNanos); w.varint(lastPosition)
    }

    static func decode(_ r: inout ByteReader) throws -> TraceSummary {
        TraceSummary(steps: try r.count("summary steps", cap: Format.maxSteps),
                     decodeSteps: try r.count("summary decode steps", cap: Format.maxSteps),
                     totalWallNanos: try r.varint("summary wall time"),
                     lastPosition: try r.count("summary last position", cap: Format.maxPosition))
    }
}
