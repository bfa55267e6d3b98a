/// Exponential backoff with equal jitter: the delay after attempt n is uniform in
/// [c/2, c] with c = min(maxDelay, initialDelay · 2^(n-1)). The ceiling doubles each attempt, and
/// the jitter spreads out the retries of many deliveries that failed together (a handler's backend
/// was down) so they do not all come back at the same instant. Half the ceiling is always waited:
/// with full jitter ([0, c]) a failing handler could be retried at once, which is no backoff at all
/// to the operator watching it.
public struct Backoff: Sendable, Equatable {
    public var initialDelay: Duration
    public var maxDelay: Duration

    public init(initialDelay: Duration, maxDelay: Duration) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    /// The most the delay after this (1-based) attempt can be.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        // In Double: 2^(n-1) overflows an integer long before it reaches any sane maxDelay.
        let exponent = Double(Swift.max(0, attempt - 1))
        let seconds = Swift.min(maxDelay.timeInterval, initialDelay.timeInterval * pow2(exponent))
        return .seconds(Swift.max(0, seconds))
    }

    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = ceiling(afterAttempt: attempt).timeInterval
        return .seconds(Double.random(in: (ceiling / 2)...ceiling, using: &generator))
    }

    public func delay(afterAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &generator)
    }

    private func pow2(_ exponent: Double) -> Double {
        Double(sign: .plus, exponent: Int(Swift.min(exponent, 1000)), significand: 1)
    }
}

/// A tenant's retry rules (`[delivery]` in its file).
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts per round; after the last failed one the delivery is dead.
    public var maxAttempts: Int
    public var backoff: Backoff

    public init(maxAttempts: Int, backoff: Backoff) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
    }
}
