/// Jittered exponential backoff: each failure waits longer, up to a ceiling, and a random
/// spread keeps many watchers from retrying in step against a recovering API server.
///
/// ```swift
/// var backoff = Backoff()
/// stop.sleep(backoff.next())  // ~0.2 s, then ~0.4, ~0.8 ... up to 30 s
/// backoff.reset()             // after a success
/// ```
public struct Backoff: Sendable {
    public var initial: Double
    public var ceiling: Double
    private var attempt = 0
    private var generator = SystemRandomNumberGenerator()

    public init(initial: Double = 0.2, ceiling: Double = 30) {
        self.initial = initial
        self.ceiling = ceiling
    }

    /// The next delay in seconds: between 50% and 100% of min(ceiling, initial × 2^attempt).
    public mutating func next() -> Double {
        let base = min(ceiling, initial * Double(1 << min(attempt, 20)))
        attempt += 1
        return base * Double.random(in: 0.5...1.0, using: &generator)
    }

    public mutating func reset() { attempt = 0 }
    public var failures: Int { attempt }
}
