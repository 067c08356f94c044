/// What a model package says about itself: identity, intended use, how to feed the model and
/// read its outputs, reference cases for self-tests, and the SHA-256 of every file it ships.
///
/// The manifest is `manifest.json` in the package; `manifest.sig` holds an Ed25519 signature
/// over its exact bytes, so the pins below make every other file tamper-evident. The format is
/// described in docs/model-packages.md. Unknown keys are ignored, so newer packagers can add
/// fields older boxes do not read.
public struct ModelPackageManifest: Codable, Sendable, Hashable {
    /// The manifest format; this box reads version 1.
    public var formatVersion: Int
    /// Stable identifier, e.g. "chest-phantom-demo": lower-case letters, digits, ".", "_", "-".
    public var id: String
    /// Human-readable name for the panel and reports.
    public var name: String
    /// Version of this package, e.g. "1.0.0": letters, digits, ".", "+", "-".
    public var version: String
    /// What the model does; one package is active per task, e.g. "chest-findings".
    public var task: String
    /// DICOM modalities the model is meant for, e.g. ["DX", "CR"].
    public var modalities: [String]
    /// DICOM Body Part Examined the model is meant for, e.g. "CHEST".
    public var bodyPart: String
    public var vendor: String
    /// Medical-device registration number, when the model has one; nil for the demo.
    public var registrationNumber: String?
    /// The registration certificate's date (YYYY-MM-DD), with `registrationNumber`: the regulator
    /// report names both.
    public var registrationDate: String?
    public var licence: String
    /// Shown with every result; says what the model is for and what it is not.
    public var intendedUse: String
    /// Whether the package may stand beside a clinician (`clinical`) or only shows how the box
    /// works (`demonstration`). Signed with the rest; a manifest without it is a demonstration
    /// (``useClass``), so no older package passes for a clinical one.
    public var use: ModelUse?
    public var model: ModelFile
    public var input: InputSpec
    public var outputs: OutputSpec
    public var reference: ReferenceSet
    /// Every file of the package other than the manifest and its signature, with its hash.
    public var files: [PinnedFile]

    public init(
        formatVersion: Int = 1, id: String, name: String, version: String, task: String, modalities: [String],
        bodyPart: String, vendor: String, registrationNumber: String?, licence: String, intendedUse: String,
        model: ModelFile, input: InputSpec, outputs: OutputSpec, reference: ReferenceSet, files: [PinnedFile],
        use: ModelUse? = nil, registrationDate: String? = nil
    ) {
        self.use = use
        self.registrationDate = registrationDate
        self.formatVersion = formatVersion
        self.id = id
        self.name = name
        self.version = version
        self.task = task
        self.modalities = modalities
        self.bodyPart = bodyPart
        self.vendor = vendor
        self.registrationNumber = registrationNumber
        self.licence = licence
        self.intendedUse = intendedUse
        self.model = model
        self.input = input
        self.outputs = outputs
        self.reference = reference
        self.files = files
    }

    public var packageReference: PackageReference { PackageReference(id: id, version: version) }

    /// What the package may be used for: its `use`, a demonstration when it states none.
    public var useClass: ModelUse { use ?? .demonstration }

    public struct ModelFile: Codable, Sendable, Hashable {
        /// Path of the ONNX file inside the package (pinned in `files`).
        public var file: String
        public var opset: Int
        /// How it was quantised, in words (e.g. "int8 QDQ, per-channel weights").
        public var quantisation: String

        public init(file: String, opset: Int, quantisation: String) {
            self.file = file
            self.opset = opset
            self.quantisation = quantisation
        }
    }

    /// How a decoded raster becomes the model's input tensor.
    public struct InputSpec: Codable, Sendable, Hashable {
        /// The graph input's name.
        public var name: String
        /// "NCHW".
        public var layout: String
        /// e.g. [1, 1, 256, 256].
        public var shape: [Int]
        /// "float32".
        public var dataType: String
        /// The photometric interpretation the raster is brought to first ("MONOCHROME2":
        /// bright is more attenuation).
        public var photometricInterpretation: String
        public var resize: Resize
        public var windowing: Windowing
        public var normalisation: Normalisation

        public init(
            name: String, layout: String = "NCHW", shape: [Int], dataType: String = "float32",
            photometricInterpretation: String = "MONOCHROME2", resize: Resize, windowing: Windowing,
            normalisation: Normalisation
        ) {
            self.name = name
            self.layout = layout
            self.shape = shape
            self.dataType = dataType
            self.photometricInterpretation = photometricInterpretation
            self.resize = resize
            self.windowing = windowing
            self.normalisation = normalisation
        }
    }

    public struct Resize: Codable, Sendable, Hashable {
        public var width: Int
        public var height: Int
        /// "area" (box average weighted by covered fraction) or "bilinear".
        public var method: String
        /// "stretch" (no letterbox).
        public var aspect: String

        public init(width: Int, height: Int, method: String = "area", aspect: String = "stretch") {
            self.width = width
            self.height = height
            self.method = method
            self.aspect = aspect
        }
    }

    /// Maps stored values to 0…1 before normalisation.
    public struct Windowing: Codable, Sendable, Hashable {
        /// "percentile": `low`/`high` are percentiles of the resized image;
        /// "fixed": `low`/`high` are stored pixel values.
        public var method: String
        public var low: Double
        public var high: Double

        public init(method: String, low: Double, high: Double) {
            self.method = method
            self.low = low
            self.high = high
        }
    }

    /// (x - mean) / std after windowing.
    public struct Normalisation: Codable, Sendable, Hashable {
        public var mean: Double
        public var std: Double

        public init(mean: Double, std: Double) {
            self.mean = mean
            self.std = std
        }
    }

    public struct OutputSpec: Codable, Sendable, Hashable {
        public var findings: FindingsOutput
        public var heatMap: HeatMapOutput

        public init(findings: FindingsOutput, heatMap: HeatMapOutput) {
            self.findings = findings
            self.heatMap = heatMap
        }
    }

    /// Per-finding probabilities, shape [1, labels.count].
    public struct FindingsOutput: Codable, Sendable, Hashable {
        public var name: String
        /// "sigmoid" when the graph already applies it (outputs are probabilities).
        public var activation: String
        public var labels: [FindingLabel]

        public init(name: String, activation: String = "sigmoid", labels: [FindingLabel]) {
            self.name = name
            self.activation = activation
            self.labels = labels
        }
    }

    public struct FindingLabel: Codable, Sendable, Hashable {
        /// Machine name, e.g. "nodule".
        public var id: String
        /// For the panel and reports, e.g. "Nodule".
        public var display: String
        /// `display` in other languages, by lower-case ISO 639 code, e.g. ["ru": "Очаг"]: what a
        /// Russian box's overlay legend and a Russian panel show. Optional (signed with the rest
        /// of the manifest); a language without one shows `display`.
        public var localizedDisplay: [String: String]?
        /// A probability at or above this is "flagged for review".
        public var threshold: Double

        public init(id: String, display: String, threshold: Double, localizedDisplay: [String: String]? = nil) {
            self.id = id
            self.display = display
            self.threshold = threshold
            self.localizedDisplay = localizedDisplay
        }
    }

    /// One coarse map per finding label, in label order: shape [1, labels.count, H, W].
    public struct HeatMapOutput: Codable, Sendable, Hashable {
        public var name: String
        public var shape: [Int]
        public var activation: String

        public init(name: String, shape: [Int], activation: String = "sigmoid") {
            self.name = name
            self.shape = shape
            self.activation = activation
        }
    }

    /// Inputs with the outputs the model must give for them (self-test, update checks).
    public struct ReferenceSet: Codable, Sendable, Hashable {
        /// Largest absolute difference per output value a runtime may show.
        public var tolerance: Double
        public var cases: [ReferenceCase]

        public init(tolerance: Double, cases: [ReferenceCase]) {
            self.tolerance = tolerance
            self.cases = cases
        }
    }

    public struct ReferenceCase: Codable, Sendable, Hashable {
        public var name: String
        /// The pre-processed input tensor (.npy, float32, the input shape).
        public var input: String
        /// Output name → expected tensor (.npy, float32).
        public var outputs: [String: String]
        /// Optional raw raster (.npy, uint16, H×W) the input was made from, to check pre-processing.
        public var source: String?

        public init(name: String, input: String, outputs: [String: String], source: String? = nil) {
            self.name = name
            self.input = input
            self.outputs = outputs
            self.source = source
        }

        var paths: [String] { [input] + outputs.keys.sorted().map { outputs[$0]! } + (source.map { [$0] } ?? []) }
    }

    public struct PinnedFile: Codable, Sendable, Hashable {
        /// Relative path inside the package, e.g. "model.onnx" or "reference/nodule-input.npy".
        public var path: String
        /// Lower-case hex SHA-256 of the file's bytes.
        public var sha256: String
        public var size: Int64

        public init(path: String, sha256: String, size: Int64) {
            self.path = path
            self.sha256 = sha256
            self.size = size
        }
    }
}
