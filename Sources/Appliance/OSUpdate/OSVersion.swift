import Foundation

/// The version of an OS image or update bundle: the project version with build metadata,
/// "0.1.0+d973437" (`/usr/lib/fluorobox/version` in a root slot, `version=` in a bundle's
/// manifest). Ordered as semantic versions: the numbers, then a pre-release ("0.2.0-rc.1" <
/// "0.2.0"); the build metadata after "+" names the build and does not order it.
public struct OSVersion: Comparable, Sendable, CustomStringConvertible {
    public let numbers: [Int]
    public let prerelease: [String]
    public let text: String

    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let withoutBuild = trimmed.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let parts = withoutBuild.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let numbers = parts[0].split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard numbers.count == 3, numbers.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        self.numbers = numbers.compactMap { $0 }
        self.prerelease = parts.count > 1 ? parts[1].split(separator: ".").map(String.init) : []
        guard parts.count == 1 || !prerelease.isEmpty else { return nil }
        self.text = trimmed
    }

    public var description: String { text }

    public static func == (lhs: OSVersion, rhs: OSVersion) -> Bool {
        lhs.numbers == rhs.numbers && lhs.prerelease == rhs.prerelease
    }

    public static func < (lhs: OSVersion, rhs: OSVersion) -> Bool {
        if lhs.numbers != rhs.numbers { return lhs.numbers.lexicographicallyPrecedes(rhs.numbers) }
        // A release outranks its pre-releases.
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, _): return false
        case (false, true): return true
        case (false, false): break
        }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (Int(left), Int(right)) {
            case let (l?, r?): return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return left < right
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }
}
