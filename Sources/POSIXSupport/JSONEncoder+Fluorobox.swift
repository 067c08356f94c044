import Foundation

/// The box's one JSON configuration, here because every module that writes JSON imports
/// POSIXSupport: keys sorted and dates in ISO 8601, so the same value always makes the same
/// bytes (hashes, idempotency keys and files a person compares stay stable).
///
/// `escapingSlashes: false` writes "/" as it is, which the model package files (manifest.sig,
/// activation records) and the command line's --json output use; the other documents keep
/// Foundation's "\/", so their bytes stay what they were.
extension JSONEncoder {
    /// On one line: what machines read (run/sync-*.json, queued reports, HTTP bodies, the
    /// hub's `list --json`).
    public static func compact(escapingSlashes: Bool = true) -> JSONEncoder {
        configured([.sortedKeys], escapingSlashes: escapingSlashes)
    }

    /// Indented: files and output a person may read.
    public static func indented(escapingSlashes: Bool = true) -> JSONEncoder {
        configured([.prettyPrinted, .sortedKeys], escapingSlashes: escapingSlashes)
    }

    private static func configured(_ formatting: OutputFormatting, escapingSlashes: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = escapingSlashes ? formatting : formatting.union(.withoutEscapingSlashes)
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
