// Replay timing: how many steps to advance given the time since the last tick. Pure, so the main loop
// only supplies the clock.

public struct ReplayClock: Equatable, Sendable {
    public static let speeds: [Double] = [0.5, 1, 2, 5, 10, 20, 50, 100, 200]   // steps per second
    public var speedIndex = 3
    public private(set) var playing = false
    private var lastTime: Double? = nil
    private var carry: Double = 0

    public init() {}

    public var stepsPerSecond: Double { ReplayClock.speeds[speedIndex] }

    public mutating func toggle(now: Double) { playing ? pause() : play(now: now) }
    public mutating func play(now: Double) { playing = true; lastTime = now; carry = 0 }
    public mutating func pause() { playing = false; lastTime = nil; carry = 0 }
    public mutating func faster() { speedIndex = min(ReplayClock.speeds.count - 1, speedIndex + 1) }
    public mutating func slower() { speedIndex = max(0, speedIndex - 1) }

    /// Whole steps due at time `now` (seconds); the fraction carries over to the next call.
    public mutating func advance(now: Double) -> Int {
        guard playing, let last = lastTime else { return 0 }
        let due = max(0, now - last) * stepsPerSecond + carry
        let steps = Int(due.rounded(.down))
        carry = due - Double(steps)
        lastTime = now
        return steps
    }
}
