import Foundation
import Synchronization

/// A wall clock a test moves by hand, for code that takes its time from a `() -> Date` closure:
/// a timing rule is then tested by its rule, not by how fast a loaded machine runs the test.
public final class SettableClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    public func advance(seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// The closure to hand to the code under test.
    public var reader: @Sendable () -> Date { { self.now } }
}
