import Logging
import POSIXSupport
import StudyStore

/// Takes files into the store through the durability promise: `fluorobox import` and the
/// watched folder both come here. The source file is only read; moving or deleting it is the
/// caller's business, after the receipt.
public struct FileIntake: Sendable {
    public let store: StudyStore
    public let analyses: [String]

    public init(store: StudyStore, analyses: [String] = []) {
        self.store = store
        self.analyses = analyses
    }

    /// The outcome for one file.
    public enum Outcome: Sendable {
        case acknowledged(IntakeReceipt)
        /// Deliberately not taken (a DICOMDIR index); not a failure.
        case skipped(reason: String)
        case failed(any Error)

        public var isAcknowledged: Bool {
            if case .acknowledged = self { return true }
            return false
        }
    }

    public func ingest(path: String, source: IntakeSource) async -> Outcome {
        let origin = IntakeOrigin(source: source, detail: path, analyses: analyses)
        do {
            let receipt = try await store.ingest(.file(path: path), origin: origin, unreadable: .discard) { staged in
                try ContentDescriber.describe(staged)
            }
            return .acknowledged(receipt)
        } catch let error as StoreError {
            if case ContentError.dicomdir? = error.underlying {
                return .skipped(reason: ContentError.dicomdir.description)
            }
            return .failed(error)
        } catch {
            return .failed(error)
        }
    }

    /// Expands the paths given to `fluorobox import`: files as given, directories recursively in
    /// name order, skipping hidden entries inside directories.
    public static func expand(_ paths: [String]) -> [(path: String, problem: String?)] {
        var output: [(String, String?)] = []
        for path in paths {
            do {
                let status = try Posix.fileStatus(path)
                if status.isDirectory {
                    output += walk(path)
                } else {
                    output.append((path, nil))
                }
            } catch {
                output.append((path, error.reason))
            }
        }
        return output
    }

    private static func walk(_ directory: String) -> [(String, String?)] {
        let names: [String]
        do {
            names = try Posix.directoryEntries(directory).sorted()
        } catch {
            return [(directory, error.reason)]
        }
        var output: [(String, String?)] = []
        for name in names where !name.hasPrefix(".") {
            let path = directory + "/" + name
            guard let status = try? Posix.fileStatus(path, followLinks: false) else {
                output.append((path, "vanished while the folder was listed"))
                continue
            }
            switch status.kind {
            case .directory: output += walk(path)
            case .symbolicLink:
                // Follow links to files, not to folders (a loop would never end).
                if (try? Posix.fileStatus(path))?.isDirectory == true { continue }
                output.append((path, nil))
            default: output.append((path, nil))
            }
        }
        return output
    }
}
