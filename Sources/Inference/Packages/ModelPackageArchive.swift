import Foundation
import POSIXSupport

/// A model package as one file: a POSIX ustar archive of the package folder's files.
///
/// Unpacking is deliberately narrow, because the archive may come from a stick or a network:
/// only regular files and folders; every path relative, of safe characters, without "." or ".."
/// components (so nothing lands outside the target); no links, devices or extended headers;
/// bounded entry count and sizes; header checksums checked. Entries may sit under one common
/// top folder (as `tar cf x.tar folder/` makes). Anything else is
/// ``ModelPackageError/Code/unsafeArchive`` and nothing of it is kept.
public enum ModelPackageArchive {
    static let blockSize = 512
    public static let maximumEntries = 1_000
    public static let maximumTotalBytes: Int64 = 4 << 30

    /// Unpacks `archive` into the empty folder `target`, fsyncing every file it writes.
    public static func unpack(_ archive: String, into target: String) throws(ModelPackageError) {
        let data: Data
        do {
            data = try PackageFiles.read(archive, limit: maximumTotalBytes)
        } catch {
            throw ModelPackageError.fileSystem(error, while: "reading \(archive)")
        }
        let entries = try parse([UInt8](data))
        let stripped = stripCommonTopFolder(entries)
        var written = Set<String>()
        for entry in stripped {
            guard !written.contains(entry.path) else { throw unsafe("\(entry.path) appears twice") }
            written.insert(entry.path)
            let destination = target + "/" + entry.path
            do {
                if entry.isDirectory {
                    try Posix.makeDirectories(destination)
                } else {
                    let parent = (destination as NSString).deletingLastPathComponent
                    try Posix.makeDirectories(parent)
                    try PackageFiles.writeNew(destination, Data(entry.contents))
                }
            } catch {
                throw ModelPackageError.fileSystem(error, while: "unpacking \(entry.path)")
            }
        }
    }

    /// A ustar archive of the given files (paths relative to `folder`), sorted, with fixed
    /// owner, mode and time so the same package always gives the same bytes.
    public static func pack(folder: String, files: [String]) throws(ModelPackageError) -> Data {
        var out = [UInt8]()
        var folders = Set<String>()
        for file in files.sorted() {
            guard ModelPackageManifest.isSafeRelativePath(file), file.utf8.count < 100 else {
                throw unsafe("\(file) is not a safe relative path of fewer than 100 bytes")
            }
            var prefix = ""
            for component in file.split(separator: "/").dropLast() {
                prefix += component + "/"
                if folders.insert(prefix).inserted {
                    out += header(name: prefix, size: 0, type: UInt8(ascii: "5"), mode: 0o755)
                }
            }
            let contents: Data
            do {
                contents = try PackageFiles.read(folder + "/" + file)
            } catch {
                throw ModelPackageError.fileSystem(error, while: "reading \(file)")
            }
            out += header(name: file, size: contents.count, type: UInt8(ascii: "0"), mode: 0o644)
            out += contents
            out += [UInt8](repeating: 0, count: (blockSize - contents.count % blockSize) % blockSize)
        }
        out += [UInt8](repeating: 0, count: blockSize * 2)
        return Data(out)
    }

    struct Entry {
        var path: String
        var isDirectory: Bool
        var contents: ArraySlice<UInt8>
    }

    static func unsafe(_ detail: String) -> ModelPackageError {
        ModelPackageError(.unsafeArchive, detail)
    }

    static func parse(_ bytes: [UInt8]) throws(ModelPackageError) -> [Entry] {
        var entries: [Entry] = []
        var offset = 0
        var total: Int64 = 0
        while true {
            guard offset + blockSize <= bytes.count else { throw unsafe("the archive ends without its end-of-archive blocks") }
            let block = bytes[offset..<(offset + blockSize)]
            if block.allSatisfy({ $0 == 0 }) { break }
            guard entries.count < maximumEntries else { throw unsafe("more than \(maximumEntries) entries") }
            let stored = try octal(block, 148, 8, "checksum")
            var sum = 0
            for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 0x20 : Int(byte) }
            guard sum == stored else { throw unsafe("header at byte \(offset) has a bad checksum") }
            let magic = Array(block[(offset + 257)..<(offset + 262)])
            guard magic == Array("ustar".utf8) else { throw unsafe("header at byte \(offset) is not ustar") }
            let name = string(block, 0, 100)
            let prefix = string(block, 345, 155)
            let path = prefix.isEmpty ? name : prefix + "/" + name
            let size = try octal(block, 124, 12, "size")
            let type = block[offset + 156]
            offset += blockSize
            guard size >= 0, Int64(size) <= maximumTotalBytes - total, offset + size <= bytes.count else {
                throw unsafe("\(path) claims \(size) bytes, past the end of the archive or the size limit")
            }
            total += Int64(size)
            let isDirectory: Bool
            switch type {
            case UInt8(ascii: "0"), 0: isDirectory = false
            case UInt8(ascii: "5"): isDirectory = true
            case UInt8(ascii: "1"), UInt8(ascii: "2"): throw unsafe("\(path) is a link")
            case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
                throw unsafe("\(path) uses extended headers (write the archive with `fluorobox model pack` or `tar --format=ustar`)")
            default: throw unsafe("\(path) is not a regular file or folder (type \(Character(UnicodeScalar(type))))")
            }
            var clean = path
            while clean.hasPrefix("./") { clean.removeFirst(2) }
            if isDirectory, clean.hasSuffix("/") { clean.removeLast() }
            if clean.isEmpty || clean == "." {
                offset += (size + blockSize - 1) / blockSize * blockSize
                continue
            }
            guard ModelPackageManifest.isSafeRelativePath(clean) else { throw unsafe("\"\(path)\" is not a safe relative path") }
            entries.append(Entry(path: clean, isDirectory: isDirectory, contents: bytes[offset..<(offset + size)]))
            offset += (size + blockSize - 1) / blockSize * blockSize
        }
        return entries
    }

    /// Drops one top folder shared by every entry when the manifest is not at the top.
    static func stripCommonTopFolder(_ entries: [Entry]) -> [Entry] {
        if entries.contains(where: { $0.path == ModelPackageManifest.manifestFileName }) { return entries }
        guard let first = entries.first?.path.split(separator: "/").first.map(String.init) else { return entries }
        guard entries.allSatisfy({ $0.path == first || $0.path.hasPrefix(first + "/") }) else { return entries }
        return entries.compactMap { entry in
            guard entry.path != first else { return nil }
            var copy = entry
            copy.path = String(entry.path.dropFirst(first.count + 1))
            return copy
        }
    }

    static func string(_ block: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> String {
        let start = block.startIndex + at
        let field = block[start..<(start + length)]
        return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func octal(_ block: ArraySlice<UInt8>, _ at: Int, _ length: Int, _ what: String) throws(ModelPackageError) -> Int {
        let text = string(block, at, length).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        guard let value = Int(text.isEmpty ? "0" : text, radix: 8) else { throw unsafe("header \(what) \"\(text)\" is not octal") }
        return value
    }

    static func header(name: String, size: Int, type: UInt8, mode: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ text: String, _ at: Int) {
            for (index, byte) in text.utf8.enumerated() { block[at + index] = byte }
        }
        func putOctal(_ value: Int, _ at: Int, _ length: Int) {
            put(String(String(value, radix: 8).suffix(length - 1)).leftPadded(to: length - 1), at)
        }
        put(name, 0)
        putOctal(mode, 100, 8)
        putOctal(0, 108, 8)
        putOctal(0, 116, 8)
        putOctal(size, 124, 12)
        putOctal(0, 136, 12)
        block[156] = type
        put("ustar", 257)
        put("00", 263)
        put("root", 265)
        put("root", 297)
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(String(String(sum, radix: 8)).leftPadded(to: 6), 148)
        block[154] = 0
        block[155] = 0x20
        return block
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
