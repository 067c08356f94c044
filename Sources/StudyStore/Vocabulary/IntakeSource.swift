import GRDB

/// Where an image came from: `dicom-scp`, `usb`, `folder` or `import` (DESIGN.md vocabulary).
public struct IntakeSource: RawRepresentable, Hashable, Sendable, Codable, DatabaseValueConvertible, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Received by the DICOM C-STORE listener.
    public static let dicomSCP = IntakeSource(rawValue: "dicom-scp")
    /// Captured from a USB video grabber or detector.
    public static let usb = IntakeSource(rawValue: "usb")
    /// Picked up from the watched export folder or a mounted stick.
    public static let folder = IntakeSource(rawValue: "folder")
    /// Given to `fluorobox import` by a person or script.
    public static let `import` = IntakeSource(rawValue: "import")

    /// Made by the box itself from an analysis (the overlay Secondary Capture).
    public static let analysis = IntakeSource(rawValue: "analysis")
    public var description: String { rawValue }
}
