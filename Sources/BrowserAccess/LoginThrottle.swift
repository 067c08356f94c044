import Foundation
import NIOCore

/// Where a login comes from: the TCP peer of the connection (never a header, which the client
/// writes). IPv6 peers are counted per /64, the block one host can take addresses from.
public struct ClientAddress: Hashable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// Requests that reach a web UI without a socket peer (the router tests) share one address.
    public static let unknown = ClientAddress("unknown")

    public init(peer: SocketAddress?) {
        switch peer {
        case .v4:
            self.init(peer?.ipAddress ?? "unknown")
        case .v6(let address):
            let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                // An IPv4 client on a dual-stack socket.
                self.init(bytes[12...].map(String.init).joined(separator: "."))
            } else {
                let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                self.init(groups.joined(separator: ":") + "::/64")
            }
        default:
            self = .unknown
        }
    }
}

/// Wrong passwords counted per client address. The first `freeAttempts` cost nothing; after that
/// an address waits before its next attempt, the wait doubling with each further failure up to
/// `maximumDelay`; a success resets the address. Attempts still being checked count as failures
/// until they end, so a burst of concurrent logins gets no more than the free attempts.
/// Nobody else is affected: a wrong password from one address never locks a role for the LAN.
public struct LoginThrottle: Sendable {
    public enum Admission: Equatable, Sendable {
        case admitted
        case refused(until: Date)
    }

    private enum AddressState: Sendable {
        /// Attempts allowed while `failures + checking < freeAttempts`.
        case counting(failures: Int, checking: Int, lastSeen: Date)
        /// Past the free attempts: nothing before `until`, then one attempt at a time.
        case delayed(failures: Int, until: Date, checking: Bool)
    }

    public let freeAttempts: Int
    public let firstDelay: Double
    public let maximumDelay: Double
    /// More addresses than this (a scan over many source addresses) evicts the stalest.
    public let maximumAddresses: Int
    private var addresses: [ClientAddress: AddressState] = [:]

    public init(freeAttempts: Int, firstDelay: Double = 1, maximumDelay: Double, maximumAddresses: Int = 4096) {
        self.freeAttempts = max(1, freeAttempts)
        self.firstDelay = firstDelay
        self.maximumDelay = max(firstDelay, maximumDelay)
        self.maximumAddresses = maximumAddresses
    }

    /// Whether `address` may have a password checked now; an admitted attempt must be ended by
    /// ``finish(_:succeeded:now:)`` or ``abandon(_:now:)``.
    public mutating func admit(_ address: ClientAddress, now: Date) -> Admission {
        if let state = addresses[address], isStale(state, now: now) { addresses[address] = nil }
        switch addresses[address] {
        case nil:
            makeRoom(now: now)
            addresses[address] = .counting(failures: 0, checking: 1, lastSeen: now)
            return .admitted
        case .counting(let failures, let checking, _):
            guard failures + checking < freeAttempts else {
                // The free attempts are all being checked: wait for one of them.
                return .refused(until: now.addingTimeInterval(firstDelay))
            }
            addresses[address] = .counting(failures: failures, checking: checking + 1, lastSeen: now)
            return .admitted
        case .delayed(let failures, let until, let checking):
            if checking { return .refused(until: max(until, now.addingTimeInterval(firstDelay))) }
            if until > now { return .refused(until: until) }
            addresses[address] = .delayed(failures: failures, until: until, checking: true)
            return .admitted
        }
    }

    /// Ends an admitted attempt: a success forgets the address, a failure counts.
    public mutating func finish(_ address: ClientAddress, succeeded: Bool, now: Date) {
        if succeeded {
            addresses[address] = nil
            return
        }
        let (failures, checking) = counts(address)
        let total = failures + 1
        if total >= freeAttempts {
            addresses[address] = .delayed(failures: total, until: now.addingTimeInterval(delay(afterFailures: total)), checking: checking > 1)
        } else {
            addresses[address] = .counting(failures: total, checking: max(0, checking - 1), lastSeen: now)
        }
    }

    /// Ends an admitted attempt that was never checked (the checker was busy).
    public mutating func abandon(_ address: ClientAddress, now: Date) {
        switch addresses[address] {
        case .counting(let failures, let checking, _):
            addresses[address] = failures == 0 && checking <= 1 ? nil : .counting(failures: failures, checking: max(0, checking - 1), lastSeen: now)
        case .delayed(let failures, let until, _):
            addresses[address] = .delayed(failures: failures, until: until, checking: false)
        case nil:
            break
        }
    }

    /// The wait after `failures` wrong passwords in a row (the first `freeAttempts - 1` cost none).
    public func delay(afterFailures failures: Int) -> Double {
        let doublings = failures - freeAttempts
        guard doublings >= 0 else { return 0 }
        return min(maximumDelay, firstDelay * pow(2, Double(min(doublings, 40))))
    }

    /// How many addresses are remembered (for tests).
    public var count: Int { addresses.count }

    /// Wrong passwords from `address` since its last success (or since it was forgotten).
    public func failures(_ address: ClientAddress) -> Int { counts(address).failures }

    private func counts(_ address: ClientAddress) -> (failures: Int, checking: Int) {
        switch addresses[address] {
        case .counting(let failures, let checking, _): (failures, checking)
        case .delayed(let failures, _, let checking): (failures, checking ? 1 : 0)
        case nil: (0, 0)
        }
    }

    /// Forgets addresses that are no longer held back: failures older than the longest delay
    /// (counting), waits that ended that long ago (delayed); then, if still full, the stalest.
    private mutating func makeRoom(now: Date) {
        guard addresses.count >= maximumAddresses else { return }
        addresses = addresses.filter { !isStale($0.value, now: now) }
        while addresses.count >= maximumAddresses, let stalest = addresses.min(by: { lastSeen($0.value) < lastSeen($1.value) }) {
            addresses[stalest.key] = nil
        }
    }

    /// Nothing in flight and quiet for the longest delay: the address starts afresh.
    private func isStale(_ state: AddressState, now: Date) -> Bool {
        switch state {
        case .counting(_, let checking, let lastSeen): checking == 0 && now.timeIntervalSince(lastSeen) >= maximumDelay
        case .delayed(_, let until, let checking): !checking && now.timeIntervalSince(until) >= maximumDelay
        }
    }

    private func lastSeen(_ state: AddressState) -> Date {
        switch state {
        case .counting(_, _, let lastSeen): lastSeen
        case .delayed(_, let until, _): until
        }
    }
}
