import Foundation

/// Exponential backoff with full jitter and a cap; there is no give-up and no TTL.
public struct BackoffPolicy: Sendable, Hashable {
    /// The delay after the first failure (seconds).
    public var initial: Double
    /// The longest delay (seconds).
    public var maximum: Double
    public var multiplier: Double

    public init(initial: Double = 1, maximum: Double = 300, multiplier: Double = 2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The ceiling after `failures` consecutive failures (1 = first failure).
    public func ceiling(afterFailures failures: Int) -> Double {
        guard failures > 0 else { return 0 }
        let exponent = Double(min(failures - 1, 62))
        return min(maximum, initial * pow(multiplier, exponent))
    }

    /// A delay drawn uniformly from [ceiling/2, ceiling]: jitter spreads a fleet of boxes that
    /// lost the same link, and the lower half-bound keeps the growth exponential.
    public func delay(afterFailures failures: Int, using generator: inout some RandomNumberGenerator) -> Double {
        let ceiling = ceiling(afterFailures: failures)
        guard ceiling > 0 else { return 0 }
        return Double.random(in: (ceiling / 2)...ceiling, using: &generator)
    }

    public func delay(afterFailures failures: Int) -> Double {
        var generator = SystemRandomNumberGenerator()
        return delay(afterFailures: failures, using: &generator)
    }
}
