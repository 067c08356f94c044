import DICOM

/// libFuzzer's entry point: every input must end in a value or a typed error. Limits are
/// lowered so that the fuzzer spends its time on structure, not on allocating a gigabyte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDICOMFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var limits = DICOMReadLimits()
    limits.maximumInflatedBytes = 8 << 20
    limits.maximumPixelBytes = 16 << 20
    if let file = try? DICOMFile(bytes: bytes, limits: limits) {
        _ = DICOMDump.text(of: file)
        if let image = try? DICOMImage(file: file, limits: limits), !image.frames.isEmpty {
            _ = image.presentation(frame: image.frameIndices[0])
            _ = try? image.pgm(frame: image.frameIndices[0])
        }
    }
    _ = try? InstanceIdentity(fileBytes: bytes)
    return 0
}
