import Foundation
import GRDB

/// One thing the hub holds, deduplicated by its key: an instance file or a JSON document.
public struct HubItem: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "item"

    public var key: String
    /// "instance", or the document collection ("result", "report", "feedback", "adverse-event").
    public var kind: String
    public var device: String
    public var sha256: String
    public var size: Int64
    /// Relative to the data folder, for instances.
    public var path: String?
    /// The JSON body, for documents.
    public var body: Data?
    public var receivedAt: Date
}

/// An instance upload in progress: how many bytes the hub holds durably.
struct HubUpload: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "upload"

    var key: String
    var device: String
    var length: Int64
    var sha256: String
    var offset: Int64
    var startedAt: Date
    /// Bytes received in request bodies for this key, including chunks lost to cuts.
    var bytesReceived: Int64
}

/// What `fluorobox-hub list --json` prints per item.
public struct HubListing: Codable, Sendable, Hashable {
    public var key: String
    public var kind: String
    public var device: String
    public var sha256: String
    public var size: Int64
    public var receivedAt: Date
    /// Bytes that arrived for this key beyond its size (instances: resent after a cut).
    public var bytesResent: Int64
}
