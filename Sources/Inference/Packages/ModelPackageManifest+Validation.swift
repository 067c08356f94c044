import POSIXSupport

extension ModelPackageManifest {
    /// The manifest format this box reads.
    public static let supportedFormatVersion = 1

    /// Checks what decoding cannot: identifiers, safe paths, pins for every file the manifest
    /// names, shapes and thresholds that make sense.
    public func validate() throws(ModelPackageError) {
        func fail(_ detail: String) -> ModelPackageError { ModelPackageError(.malformedManifest, detail) }

        guard formatVersion == Self.supportedFormatVersion else {
            throw fail("formatVersion \(formatVersion) is not supported (this box reads \(Self.supportedFormatVersion))")
        }
        guard PackageReference.isValidIdentifier(id) else { throw fail("id \"\(id)\" must be 1-64 of a-z 0-9 . _ -") }
        guard PackageReference.isValidVersion(version) else { throw fail("version \"\(version)\" must be 1-32 of A-Z a-z 0-9 . + -") }
        guard PackageReference.isValidIdentifier(task) else { throw fail("task \"\(task)\" must be 1-64 of a-z 0-9 . _ -") }
        for (field, text) in [("name", name), ("bodyPart", bodyPart), ("vendor", vendor), ("licence", licence), ("intendedUse", intendedUse)] {
            guard !text.allSatisfy(\.isWhitespace) else { throw fail("\(field) is empty") }
        }
        guard !modalities.isEmpty else { throw fail("modalities is empty") }
        if let registrationNumber, registrationNumber.allSatisfy(\.isWhitespace) { throw fail("registrationNumber is empty") }
        if let registrationDate {
            guard registrationNumber != nil else { throw fail("registrationDate without registrationNumber") }
            guard RFC3339.isDate(registrationDate) else { throw fail("registrationDate \"\(registrationDate)\" is not a date (YYYY-MM-DD)") }
        }

        var pinned = Set<String>()
        for file in files {
            guard Self.isSafeRelativePath(file.path) else { throw fail("file path \"\(file.path)\" is not a safe relative path") }
            guard file.path != Self.manifestFileName, file.path != Self.signatureFileName else {
                throw fail("\(file.path) cannot pin itself")
            }
            guard file.sha256.utf8.count == 64, file.sha256.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw fail("sha256 of \(file.path) is not 64 lower-case hex digits")
            }
            guard file.size >= 0 else { throw fail("size of \(file.path) is negative") }
            guard pinned.insert(file.path).inserted else { throw fail("\(file.path) is pinned twice") }
        }
        guard pinned.contains(model.file) else { throw fail("the model file \(model.file) is not pinned in files") }
        guard model.opset >= 7 else { throw fail("opset \(model.opset) is too old") }

        guard input.layout == "NCHW", input.dataType == "float32" else {
            throw fail("input must be NCHW float32 (found \(input.layout) \(input.dataType))")
        }
        guard input.shape.count == 4, input.shape.allSatisfy({ $0 > 0 }), input.shape[0] == 1 else {
            throw fail("input shape \(input.shape) must be [1, C, H, W] with positive sizes")
        }
        guard input.shape[2] == input.resize.height, input.shape[3] == input.resize.width else {
            throw fail("resize \(input.resize.width)x\(input.resize.height) does not match input shape \(input.shape)")
        }
        guard ["MONOCHROME2"].contains(input.photometricInterpretation) else {
            throw fail("photometricInterpretation \(input.photometricInterpretation) is not supported")
        }
        guard ["area", "bilinear"].contains(input.resize.method), input.resize.aspect == "stretch" else {
            throw fail("resize \(input.resize.method)/\(input.resize.aspect) is not supported (area or bilinear, stretch)")
        }
        switch input.windowing.method {
        case "percentile":
            guard input.windowing.low >= 0, input.windowing.low < input.windowing.high, input.windowing.high <= 100 else {
                throw fail("percentile window \(input.windowing.low)-\(input.windowing.high) must satisfy 0 <= low < high <= 100")
            }
        case "fixed":
            guard input.windowing.low < input.windowing.high else { throw fail("fixed window needs low < high") }
        default:
            throw fail("windowing method \(input.windowing.method) is not supported (percentile or fixed)")
        }
        guard input.normalisation.std > 0, input.normalisation.std.isFinite, input.normalisation.mean.isFinite else {
            throw fail("normalisation std must be positive")
        }

        let labels = outputs.findings.labels
        guard !labels.isEmpty else { throw fail("outputs.findings.labels is empty") }
        guard Set(labels.map(\.id)).count == labels.count else { throw fail("finding label ids repeat") }
        for label in labels {
            guard PackageReference.isValidIdentifier(label.id) else { throw fail("label id \"\(label.id)\" must be 1-64 of a-z 0-9 . _ -") }
            guard (0...1).contains(label.threshold) else { throw fail("threshold of \(label.id) must be between 0 and 1") }
            for (language, text) in (label.localizedDisplay ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let problem = Self.localizedDisplayProblem(language: language, text: text) {
                    throw fail("localizedDisplay of \(label.id): \(problem)")
                }
            }
        }
        let heat = outputs.heatMap.shape
        guard heat.count == 4, heat[0] == 1, heat[1] == labels.count, heat[2] > 0, heat[3] > 0 else {
            throw fail("heat map shape \(heat) must be [1, \(labels.count), H, W] (one map per label)")
        }
        guard outputs.findings.name != outputs.heatMap.name else { throw fail("the two outputs share a name") }

        guard reference.tolerance > 0, reference.tolerance < 1 else { throw fail("reference tolerance must be between 0 and 1") }
        guard !reference.cases.isEmpty else { throw fail("a package needs at least one reference case") }
        for item in reference.cases {
            guard Set(item.outputs.keys) == [outputs.findings.name, outputs.heatMap.name] else {
                throw fail("reference case \(item.name) must give both outputs \(outputs.findings.name) and \(outputs.heatMap.name)")
            }
            for path in item.paths where !pinned.contains(path) {
                throw fail("reference file \(path) is not pinned in files")
            }
        }
    }

    /// The longest a finding's localized name may be, in characters: it is one line of the
    /// overlay's legend beside its probability.
    public static let maximumLocalizedDisplayLength = 64

    /// Why a finding's name in `language` cannot be shown, or nil: the language is a lower-case
    /// ISO 639 code (2 or 3 letters), the name 1–64 characters of which none is a control or
    /// format character (a line break or a bidirectional override would garble the legend line
    /// or hide what it says).
    static func localizedDisplayProblem(language: String, text: String) -> String? {
        let code = Array(language.utf8)
        guard (2...3).contains(code.count), code.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else {
            return "the language \"\(language)\" must be a lower-case ISO 639 code such as \"ru\""
        }
        guard !text.allSatisfy(\.isWhitespace) else { return "the name in \(language) is empty" }
        guard text.count <= maximumLocalizedDisplayLength else {
            return "the name in \(language) is \(text.count) characters long; at most \(maximumLocalizedDisplayLength)"
        }
        let controls: Set<Unicode.GeneralCategory> = [.control, .format, .lineSeparator, .paragraphSeparator]
        if let scalar = text.unicodeScalars.first(where: { controls.contains($0.properties.generalCategory) }) {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "the name in \(language) holds the control character U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex)"
        }
        return nil
    }

    public static let manifestFileName = "manifest.json"
    public static let signatureFileName = "manifest.sig"

    /// Relative, "/"-separated, each component 1–100 of A-Z a-z 0-9 . _ - and not "." or "..",
    /// nor starting with "." (no hidden files, no escapes, no absolute paths).
    public static func isSafeRelativePath(_ path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty, components.count <= 4, path.utf8.count <= 200 else { return false }
        for component in components {
            let bytes = Array(component.utf8)
            guard let first = bytes.first, bytes.count <= 100, first != 0x2E else { return false }
            guard bytes.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }) else {
                return false
            }
        }
        return true
    }
}
