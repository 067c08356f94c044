import Foundation
import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore

/// Keeps the platform's list of people due for screening at the box's institution in the
/// store, every `sync.screeningListIntervalSeconds`: the first poll at start, then on the
/// interval, with the ETag of the list held, so an unchanged list costs a 304. A new list
/// replaces the held one in one transaction (``StudyStore/replaceScreeningList(_:eTag:at:)``);
/// a failure is logged and the held list stays until the next poll gets through.
public actor ScreeningListService: Service {
    public static let name = "screening-list"

    let client: PlatformClient
    let store: StudyStore
    let intervalSeconds: Double
    let logger: Logger

    public init(client: PlatformClient, store: StudyStore, intervalSeconds: Double, logger: Logger) {
        self.client = client
        self.store = store
        self.intervalSeconds = intervalSeconds
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await self.checkOnce()
                try? await Task.sleep(for: .milliseconds(Int64(self.intervalSeconds * 1000)))
            }
        }
        await client.shutdown()
    }

    /// One poll. Returns what the platform answered, nil when it could not be asked or the
    /// answer could not be kept (logged).
    @discardableResult
    public func checkOnce() async -> ScreeningListFetch? {
        let store = store
        do {
            let held = try await BlockingIO.run { try store.screeningListETag() }
            let fetch = try await client.screeningList(ifNoneMatch: held)
            if case .list(let entries, let eTag) = fetch {
                try await BlockingIO.run { try store.replaceScreeningList(entries, eTag: eTag) }
                logger.info("screening list received", metadata: ["entries": "\(entries.count)", "eTag": "\(eTag)"])
            }
            return fetch
        } catch {
            logger.info("screening list not updated", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
