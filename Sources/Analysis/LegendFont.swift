import Imaging
import Logging
import Synchronization

/// The font file the overlay's legend is drawn in, opened on first use and kept open. When it
/// cannot be used (missing, not a font, damaged, or without the glyphs of the box's language)
/// the legend falls back to ``BitmapFont`` in English, and the reason is logged once as a
/// warning: the overlay is still made.
public final class LegendFont: Sendable {
    /// DejaVu Sans: Latin, Cyrillic and Greek, from Debian's fonts-dejavu-core.
    public static let defaultPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    /// The Debian package that installs ``defaultPath``.
    public static let debianPackage = "fonts-dejavu-core"

    public let path: String
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var opened: Result<FontFace, FontError>?
        /// Reasons already logged, so a box with a broken font warns once, not per image.
        var warned: Set<String> = []
    }

    public init(path: String = LegendFont.defaultPath, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    /// The face when it opens and has every character `language`'s legend uses; the reason
    /// otherwise.
    public func face(for language: LegendLanguage) -> Result<FontFace, FontError> {
        let opened = state.withLock { state in
            if let opened = state.opened { return opened }
            let opened: Result<FontFace, FontError>
            do throws(FontError) {
                opened = .success(try FontFace(path: path))
            } catch {
                opened = .failure(error)
            }
            state.opened = opened
            return opened
        }
        guard case .success(let face) = opened else { return opened }
        let missing = face.missingCharacters(in: OverlayRenderer.legendText(language).characters)
        guard missing.isEmpty else {
            return .failure(FontError(.missingGlyphs, path: path, detail: "no glyph for \(String(missing.prefix(12)).debugDescription) of the \(language.rawValue) legend"))
        }
        return .success(face)
    }

    /// ``face(for:)``, logging why not (once per reason) when the legend has to fall back.
    public func usableFace(for language: LegendLanguage) -> FontFace? {
        switch face(for: language) {
        case .success(let face):
            return face
        case .failure(let error):
            warnOnce(error)
            return nil
        }
    }

    /// Logs that the legend falls back, unless this reason was logged before.
    func warnOnce(_ error: FontError) {
        let reason = "\(error)"
        guard state.withLock({ $0.warned.insert(reason).inserted }) else { return }
        logger.warning("the overlay's legend font cannot be used; legends are drawn in the built-in Latin capitals, in English", metadata: [
            "font": "\(path)", "reason": "\(reason)", "package": "\(Self.debianPackage)",
        ])
    }
}
