// MARK: - Gemma 3's layer pattern

extension ModelConfig {
    /// Gemma 3's layer pattern when the file does not state one: five sliding-window layers,
    /// then one global layer.
    static let gemma3DefaultPattern = 6
    /// RoPE base of Gemma 3's sliding-window layers when the file does not state one.
    static let gemma3DefaultLocalRopeBase: Float = 10000

    /// Per layer: the window (nil on global layers) and the RoPE base.
    /// Keys: `gemma3.attention.sliding_window` (required), `gemma3.attention.sliding_window_pattern`
    /// (a period P: layer l is global when l % P == P − 1; or one bool per layer, true = windowed),
    /// `gemma3.rope.freq_base_swa` (the windowed layers' base).
    static func gemma3Layers(gguf: GGUFFile, blockCount: Int, globalBase: Float) throws
        -> (windows: [Int?], bases: [Float]) {
        let file = gguf.path, arch = "gemma3"
        let windowKey = "\(arch).attention.sliding_window"
        let window = try gguf.requireUInt(windowKey)
        guard window >= 2, window <= 1 << 31 else {
            throw GGUFError.invalidValue(file: file, key: windowKey, value: String(window), reason: "must be in 2...2^31")
        }
        var windowed: [Bool]
        let patternKey = "\(arch).attention.sliding_window_pattern"
        if let values = gguf.array(patternKey) {
            let flags = values.compactMap(\.boolValue)
            guard flags.count == blockCount, flags.count == values.count else {
                throw GGUFError.invalidValue(file: file, key: patternKey, value: "\(values.count) entries",
                                             reason: "expected one bool per layer (\(blockCount))")
            }
            windowed = flags
        } else {
            var period = gemma3DefaultPattern
            if gguf.metadata[patternKey] != nil {
                let p = try gguf.requireUInt(patternKey)
                guard p >= 1, p <= UInt64(blockCount) + 1 else {
                    throw GGUFError.invalidValue(file: file, key: patternKey, value: String(p), reason: "must be in 1...\(blockCount + 1)")
                }
                period = Int(p)
            }
            windowed = (0..<blockCount).map { $0 % period < period - 1 }
        }
        let scalingKey = "\(arch).rope.scaling.type"
        if let scaling = gguf.string(scalingKey), scaling != "none" {
            throw GGUFError.invalidValue(file: file, key: scalingKey, value: scaling, reason: "RoPE scaling is not supported for gemma3")
        }
        let localKey = "\(arch).rope.freq_base_swa"
        let local = gguf.float(localKey).map(Float.init) ?? gemma3DefaultLocalRopeBase
        guard local > 0, local.isFinite else {
            throw GGUFError.invalidValue(file: file, key: localKey, value: "\(local)", reason: "must be > 0")
        }
        return (windowed.map { $0 ? Int(window) : nil }, windowed.map { $0 ? local : globalBase })
    }
}
