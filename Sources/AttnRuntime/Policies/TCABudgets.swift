// The budgets file `attnscope calibrate --policy tca` writes and the `tca` policy reads: per
// layer and KV head, the chosen distribution p* over the retain counts 𝒦 = {1, 2, 4, …, b},
// plus what the calibration measured. JSON, so that it can be read and edited by hand.

import Foundation

public struct TCABudgets: Codable, Equatable {
    public var model: String          // file name of the model it was calibrated on
    public var layers: Int
    public var kvHeads: Int
    public var block: Int             // b, a power of two
    public var window: Int            // w, local entries always kept during calibration
    public var tau: Float             // target kept mass
    public var alpha: Float           // redundancy weight α
    public var calibrationTokens: Int
    /// p*[layer][kvHead] = distribution over 𝒦 (retainCounts(block:)).
    public var budgets: [[[Float]]]
    /// Kept mass the chosen p* reached on the calibration text, [layer][kvHead].
    public var keptMass: [[Float]]

    public init(model: String, layers: Int, kvHeads: Int, block: Int, window: Int, tau: Float, alpha: Float,
                calibrationTokens: Int, budgets: [[[Float]]], keptMass: [[Float]]) {
        self.model = model; self.layers = layers; self.kvHeads = kvHeads; self.block = block; self.window = window
        self.tau = tau; self.alpha = alpha; self.calibrationTokens = calibrationTokens
        self.budgets = budgets; self.keptMass = keptMass
    }

    /// Parses and checks internal consistency; `name` is used in error messages (the path).
    public static func parse(_ text: String, name: String) throws -> TCABudgets {
        let b: TCABudgets
        do { b = try JSONDecoder().decode(TCABudgets.self, from: Data(text.utf8)) } catch {
            throw PolicyError("budgets file \(name): not a TCA budgets file (\(error))")
        }
        guard b.block >= 1 && b.block & (b.block - 1) == 0 else { throw PolicyError("budgets file \(name): block \(b.block) is not a power of two") }
        let levels = TCASelection.retainCounts(block: b.block).count
        guard b.budgets.count == b.layers, b.budgets.allSatisfy({ $0.count == b.kvHeads }) else {
            throw PolicyError("budgets file \(name): budgets are not \(b.layers) layers × \(b.kvHeads) KV heads")
        }
        for (l, layer) in b.budgets.enumerated() {
            for (g, p) in layer.enumerated() {
                guard p.count == levels, p.allSatisfy({ $0 >= 0 && $0.isFinite }), abs(p.reduce(0, +) - 1) < 1e-3 else {
                    throw PolicyError("budgets file \(name): layer \(l) KV head \(g) is not a distribution over \(levels) retain counts")
                }
            }
        }
        return b
    }

    /// Throws unless the file was made for a model of this shape.
    public func check(layers: Int, kvHeads: Int, name: String) throws {
        guard layers == self.layers && kvHeads == self.kvHeads else {
            throw PolicyError("budgets file \(name) is for \(self.layers) layers × \(self.kvHeads) KV heads (\(model)), "
                              + "the model has \(layers) × \(kvHeads)")
        }
    }

    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }
}
