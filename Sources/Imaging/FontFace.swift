import CFreeType
import Glibc
import Synchronization

/// A TrueType or OpenType font opened through FreeType, drawing lines of text as anti-aliased
/// grayscale coverage. The only Swift code that calls FreeType; its error codes become
/// ``FontError`` in ``check(_:_:)``.
///
/// FreeType's library and face objects are not thread-safe, so every use holds `lock`.
public final class FontFace: Sendable {
    /// The font file.
    public let path: String
    /// The smallest and largest pixel sizes (em) ``render(_:pixelSize:)`` accepts.
    public static let pixelSizes = 4...512

    private nonisolated(unsafe) let library: FT_Library
    private nonisolated(unsafe) let face: FT_Face
    private let lock = Mutex(())

    /// Opens the first face of the font file at `path`.
    public init(path: String) throws(FontError) {
        self.path = path
        // FreeType says only "cannot open resource"; stat tells a person whether the file is
        // missing, unreadable or a folder.
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw FontError(.unreadable, path: path, detail: String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw FontError(.unreadable, path: path, detail: "not a regular file") }
        guard access(path, R_OK) == 0 else { throw FontError(.unreadable, path: path, detail: String(cString: strerror(errno))) }

        var library: FT_Library?
        try Self.check(FT_Init_FreeType(&library), path)
        guard let library else { throw FontError(.library, path: path, detail: "FT_Init_FreeType gave no library") }
        var face: FT_Face?
        do throws(FontError) {
            try Self.check(FT_New_Face(library, path, 0, &face), path)
        } catch {
            FT_Done_FreeType(library)
            // FreeType calls a TrueType file whose tables are cut off "unknown format" (no
            // driver took it); by its first bytes it is a damaged font, and that is what to say.
            if error.code == .notAFont, Self.hasFontSignature(path) {
                throw FontError(.damaged, path: path, detail: "it begins as a TrueType or OpenType font but FreeType cannot read its tables (\(error.detail ?? "no detail"))")
            }
            throw error
        }
        guard let face else {
            FT_Done_FreeType(library)
            throw FontError(.library, path: path, detail: "FT_New_Face gave no face")
        }
        // A face FreeType opened may still lack what drawing needs: outlines at any size.
        guard face.pointee.face_flags & FT_Long(FT_FACE_FLAG_SCALABLE) != 0 else {
            FT_Done_Face(face)
            FT_Done_FreeType(library)
            throw FontError(.notAFont, path: path, detail: "not a scalable (outline) font")
        }
        self.library = library
        self.face = face
    }

    deinit {
        FT_Done_Face(face)
        FT_Done_FreeType(library)
    }

    /// The characters of `text` the font has no glyph for (each once, in order of appearance).
    public func missingCharacters(in text: String) -> [Character] {
        lock.withLock { _ in
            var missing: [Character] = []
            for character in text where !character.isWhitespace && !missing.contains(character) {
                if character.unicodeScalars.contains(where: { FT_Get_Char_Index(face, FT_ULong($0.value)) == 0 }) {
                    missing.append(character)
                }
            }
            return missing
        }
    }

    /// Draws `text` on one line at `pixelSize` pixels per em, with the font's kerning. A
    /// character the font lacks draws as its missing-glyph box (check ``missingCharacters(in:)``
    /// first where that matters). The bitmap is as tall as the font's ascender and descender,
    /// whatever the text, so lines drawn one under another line up.
    public func render(_ text: String, pixelSize: Int) throws(FontError) -> TextBitmap {
        guard Self.pixelSizes.contains(pixelSize) else {
            throw FontError(.invalidSize, path: path, detail: "\(pixelSize) px per em is outside \(Self.pixelSizes)")
        }
        return try lock.withLock { _ throws(FontError) -> TextBitmap in
            try Self.check(FT_Set_Pixel_Sizes(face, 0, FT_UInt(pixelSize)), path)
            let metrics = face.pointee.size.pointee.metrics
            // 26.6 fixed point: the ascender rounded up, the descender (negative) rounded down.
            let ascender = Int((metrics.ascender + 63) >> 6), descender = Int(metrics.descender >> 6)
            let height = max(1, ascender - descender)
            let kerning = face.pointee.face_flags & FT_Long(FT_FACE_FLAG_KERNING) != 0

            struct Placed { var left, top, width, rows: Int; var pixels: [UInt8] }
            var placed: [Placed] = []
            var pen = 0  // 26.6
            var previous: FT_UInt = 0
            for scalar in text.unicodeScalars {
                let index = FT_Get_Char_Index(face, FT_ULong(scalar.value))
                if kerning, previous != 0, index != 0 {
                    var delta = FT_Vector()
                    if FT_Get_Kerning(face, previous, index, FT_UInt(FT_KERNING_DEFAULT.rawValue), &delta) == 0 { pen += Int(delta.x) }
                }
                previous = index
                try Self.check(FT_Load_Glyph(face, index, FT_Int32(FT_LOAD_DEFAULT)), path)
                let slot = face.pointee.glyph!
                try Self.check(FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL), path)
                let bitmap = slot.pointee.bitmap
                let width = Int(bitmap.width), rows = Int(bitmap.rows), pitch = Int(bitmap.pitch)
                if width > 0, rows > 0, let buffer = bitmap.buffer {
                    guard bitmap.pixel_mode == UInt8(FT_PIXEL_MODE_GRAY.rawValue) else {
                        throw FontError(.damaged, path: path, detail: "glyph \(index) rendered in pixel mode \(bitmap.pixel_mode), not grayscale")
                    }
                    // A negative pitch means the rows are stored bottom-up.
                    let origin = pitch < 0 ? buffer + (rows - 1) * -pitch : buffer
                    var pixels = [UInt8](repeating: 0, count: width * rows)
                    for row in 0..<rows {
                        for column in 0..<width { pixels[row * width + column] = origin[row * pitch + column] }
                    }
                    placed.append(Placed(
                        left: (pen >> 6) + Int(slot.pointee.bitmap_left), top: ascender - Int(slot.pointee.bitmap_top),
                        width: width, rows: rows, pixels: pixels
                    ))
                }
                pen += Int(slot.pointee.advance.x)
            }
            let width = max(1, (pen + 63) >> 6, placed.map { $0.left + $0.width }.max() ?? 0)
            var coverage = [UInt8](repeating: 0, count: width * height)
            for glyph in placed {
                for row in 0..<glyph.rows {
                    let y = glyph.top + row
                    guard y >= 0, y < height else { continue }
                    for column in 0..<glyph.width {
                        let x = glyph.left + column
                        guard x >= 0, x < width else { continue }
                        // Neighbouring glyphs may touch: keep the stronger ink.
                        coverage[y * width + x] = max(coverage[y * width + x], glyph.pixels[row * glyph.width + column])
                    }
                }
            }
            return TextBitmap(width: width, height: height, baseline: ascender, coverage: coverage)
        }
    }

    /// Whether the file starts like a TrueType, OpenType, collection or WOFF font.
    private static func hasFontSignature(_ path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        var head = [UInt8](repeating: 0, count: 4)
        guard fread(&head, 1, 4, file) == 4 else { return false }
        let signatures: [[UInt8]] = [[0x00, 0x01, 0x00, 0x00], Array("true".utf8), Array("OTTO".utf8), Array("ttcf".utf8), Array("wOFF".utf8), Array("wOF2".utf8)]
        return signatures.contains(head)
    }

    /// FreeType's error code as a ``FontError``: the one place its codes are read.
    private static func check(_ error: FT_Error, _ path: String) throws(FontError) {
        guard error != 0 else { return }
        let code = Int(error)
        let said = FT_Error_String(error).map { String(cString: $0) } ?? "FreeType error 0x\(String(code, radix: 16))"
        switch code {
        case Int(FT_Err_Cannot_Open_Resource), Int(FT_Err_Cannot_Open_Stream):
            throw FontError(.unreadable, path: path, detail: said)
        case Int(FT_Err_Unknown_File_Format):
            throw FontError(.notAFont, path: path, detail: said)
        case Int(FT_Err_Invalid_Pixel_Size):
            throw FontError(.invalidSize, path: path, detail: said)
        case Int(FT_Err_Out_Of_Memory), Int(FT_Err_Invalid_Library_Handle), Int(FT_Err_Invalid_Argument):
            throw FontError(.library, path: path, detail: said)
        default:
            // Everything else FreeType reports while reading a face or its glyphs is the file's.
            throw FontError(.damaged, path: path, detail: said)
        }
    }
}
