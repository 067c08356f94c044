import DICOM

/// A DICOM file as the analysis reads it (AnalysisInput): frame 0 decoded in whatever transfer
/// syntax the file names, then the grayscale pipeline at both output depths and the PGM.
/// Limits are lowered so that the fuzzer spends its time on structure, not on allocating.
func fuzzPixelData(_ bytes: [UInt8]) {
    var limits = DICOMReadLimits()
    limits.maximumInflatedBytes = 8 << 20
    limits.maximumPixelBytes = 64 << 20
    limits.maximumPixelsPerFrame = 1 << 22
    guard let file = try? DICOMFile(bytes: bytes, limits: limits),
          let image = try? DICOMImage(file: file, frames: [0], limits: limits) else { return }
    _ = image.presentation(frame: 0, outputBits: 16)
    _ = image.presentation(frame: 0, outputBits: 8)
    _ = try? image.pgm(frame: 0)
}
