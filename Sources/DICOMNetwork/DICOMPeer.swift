/// A DICOM application entity the box may open associations to (`dicom.peers`): storage
/// commitment reports on a new association today; C-MOVE and C-STORE destinations use the same list.
public struct DICOMPeer: Sendable, Hashable, CustomStringConvertible {
    public var aeTitle: String
    public var host: String
    public var port: Int

    public init(aeTitle: String, host: String, port: Int) {
        self.aeTitle = aeTitle
        self.host = host
        self.port = port
    }

    /// Reads `AE_TITLE=host:port`; an IPv6 host goes in brackets (`PACS=[fd00::5]:104`).
    public init(parsing text: String) throws(DICOMNetworkError) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { part in
            String(part.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        }
        guard parts.count == 2, !parts[0].isEmpty, let colon = parts[1].lastIndex(of: ":") else {
            throw DICOMNetworkError(.invalidPeer, "\"\(text)\" is not AE_TITLE=host:port")
        }
        var host = String(parts[1][..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(parts[1][parts[1].index(after: colon)...]), (1...65535).contains(port) else {
            throw DICOMNetworkError(.invalidPeer, "\"\(text)\" needs a host and a port from 1 to 65535")
        }
        let bytes = Array(parts[0].utf8)
        guard bytes.count <= 16, bytes.allSatisfy({ (0x20...0x7E).contains($0) && $0 != 0x5C }) else {
            throw DICOMNetworkError(.invalidPeer, "\"\(parts[0])\" is not an AE title (1 to 16 printable characters, no backslash)")
        }
        self.init(aeTitle: parts[0], host: host, port: port)
    }

    public var description: String {
        "\(aeTitle)=\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
