import Foundation
import PlatformAPIClient
import StudyStore

/// What `GET /v1/devices/{device}/screening-list` answered.
public enum ScreeningListFetch: Sendable, Hashable {
    /// The list the box holds (its ETag) is current (304).
    case unchanged
    /// A list (possibly empty) and its ETag.
    case list([ScreeningEntryRecord], eTag: String)
}

extension PlatformClient {
    /// The people due for screening at this device's institution; `eTag` is the version the box
    /// holds (nil: none yet), answered `.unchanged` while it is current.
    public func screeningList(ifNoneMatch eTag: String?) async throws(SyncError) -> ScreeningListFetch {
        let what = "GET /v1/devices/\(settings.deviceID)/screening-list"
        let device = settings.deviceID
        let output = try await call(what, deadline: .seconds(60)) {
            try await $0.getScreeningList(path: .init(device: device), headers: .init(ifNoneMatch: eTag))
        }
        switch output {
        case .ok(let ok):
            switch ok.body {
            case .json(let list):
                let received = Date()
                return .list(list.entries.map {
                    ScreeningEntryRecord(
                        accessionNumber: $0.accessionNumber, patientID: $0.patientID, patientName: $0.patientName, birthDate: $0.birthDate,
                        sex: $0.sex.rawValue, dueDate: $0.dueDate, note: $0.note, receivedAt: received)
                }, eTag: ok.headers.eTag)
            }
        case .notModified: return .unchanged
        case .badRequest(let problem): throw Self.error(status: 400, problem: problem, what: what)
        case .forbidden(let problem): throw Self.error(status: 403, problem: problem, what: what)
        case .serviceUnavailable(let problem): throw Self.error(status: 503, problem: problem, what: what)
        case .undocumented(let status, let payload): throw Self.error(status: status, body: await Self.bytes(of: payload), what: what)
        }
    }
}
