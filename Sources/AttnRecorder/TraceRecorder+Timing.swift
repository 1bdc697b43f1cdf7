// Timing honesty: everything the recorder does happens inside the model's attention call, so it
// measures its own time per layer on the calling thread (side work: copying, handing over and
// waiting) and subtracts it from the attention time it reports. The layer's "rest" time is the
// time from this layer's attention start to the next layer's (the last layer: to the end of the
// step), minus attention and probe time.

import AttnTrace
import Foundation

extension TraceRecorder {
    /// Time this probe spent on the main thread during the current step (all layers).
    public var probeNanosThisStep: UInt64 { probeNanos.reduce(0, +) }

    /// Per layer: attention time without the probe's, and the rest of the layer.
    /// attentionNanos: [L] time inside the attention call (probe included).
    func layerTimes(stepEnd: UInt64, attentionNanos: [UInt64]) -> [LayerTime] {
        var times: [LayerTime] = []
        for l in 0..<layers {
            let attn = attentionNanos[l] > probeNanos[l] ? attentionNanos[l] - probeNanos[l] : 0
            let end = l + 1 < layers ? layerStart[l + 1] : stepEnd
            let span = end > layerStart[l] ? end - layerStart[l] : 0
            let used = attn + probeNanos[l]
            times.append(LayerTime(attentionNanos: attn, restNanos: span > used ? span - used : 0))
        }
        return times
    }
}
