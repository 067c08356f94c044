import Foundation
import PlatformAPITypes

extension HubAPI {
    /// `GET /v1/devices/{device}/os-update`: the bundle the operator assigned to the calling
    /// device (its certificate's), or 204.
    func getOSUpdate(_ input: Operations.GetOSUpdate.Input) async throws -> Operations.GetOSUpdate.Output {
        let device = try HubRequestScope.device()
        guard let assignment = try await store.osAssignment(device: device) else { return .noContent(.init()) }
        return .ok(.init(body: .json(.init(
            file: assignment.file, version: assignment.version, size: assignment.size, sha256: assignment.sha256,
            url: "/v1/os-bundles/\(assignment.file)"))))
    }
}
