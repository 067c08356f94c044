#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport

// `FuzzPixelData extract-frames OUT FILE_OR_FOLDER...` writes codec seeds (see SeedExtraction);
// anything else is libFuzzer's command line.
let arguments = CommandLine.arguments
if arguments.count >= 3, arguments[1] == "extract-frames" {
    exit(SeedExtraction.run(output: arguments[2], inputs: Array(arguments.dropFirst(3))))
}
// libFuzzer's own main refers to this symbol, so it is defined even though main passes it on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzPixelData(fuzzBytes(data, size))
    return 0
}

runFuzzer(fuzzOneInput)
