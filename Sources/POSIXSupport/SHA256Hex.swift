import Crypto
import Glibc

/// SHA-256 as lower-case hex, the form the store's blob names, the outbox keys, package
/// manifests and the hub all use; here so every module that hashes files shares one reader.
public enum SHA256Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func string(_ digest: some Sequence<UInt8>) -> String {
        var characters: [UInt8] = []
        characters.reserveCapacity(64)
        for byte in digest {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    public static func string(of bytes: [UInt8]) -> String {
        string(SHA256.hash(data: bytes))
    }

    /// Hashes a file without copying it.
    public static func string(ofFileAt path: String) throws(SystemCallError) -> String {
        try file(at: path).hex
    }

    /// The hash and size of the file at `path`, read in 1 MiB pieces. `regularOnly` refuses
    /// anything but a regular file (EINVAL), as package files must be; the file is opened
    /// non-blocking so a FIFO in its place cannot hang the caller.
    public static func file(at path: String, regularOnly: Bool = false) throws(SystemCallError) -> (hex: String, size: Int64) {
        let fd = try Posix.open(path, [.readOnly, .nonBlocking])
        defer { Posix.close(fd) }
        if regularOnly {
            guard try Posix.fileStatus(fd, path: path).isRegularFile else {
                throw SystemCallError(code: EINVAL, call: "read (not a regular file)", path: path)
            }
        }
        var hasher = SHA256()
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = try Posix.read(fd, into: buffer.baseAddress!, count: buffer.count, path: path)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            size += Int64(n)
        }
        return (string(hasher.finalize()), size)
    }

    /// True for exactly 64 lowercase hex digits (the only blob names the store makes).
    public static func isValid(_ name: String) -> Bool {
        name.utf8.count == 64 && name.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
