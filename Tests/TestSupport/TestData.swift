import Foundation

/// The shared test material in ../shared/testdata (real radiographs written by others). It is
/// read in place, never copied into the repository; tests that need it are skipped with a
/// message when it is absent.
public enum TestData {
    /// The package root, found from this source file's location.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static let root: String = {
        if let override = ProcessInfo.processInfo.environment["FLUOROBOX_TESTDATA"] { return override }
        return URL(fileURLWithPath: packageRoot).appendingPathComponent("../shared/testdata").standardized.path
    }()

    public static var available: Bool {
        FileManager.default.fileExists(atPath: root + "/README.md")
    }

    public static let skipMessage = "../shared/testdata is absent; set FLUOROBOX_TESTDATA or place the shared test material beside the repository"

    /// Every regular file under a folder of the test material, sorted.
    public static func files(under folder: String) -> [String] {
        let base = root + "/" + folder
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        var output: [String] = []
        for case let relative as String in enumerator {
            var isDirectory: ObjCBool = false
            let path = base + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                output.append(path)
            }
        }
        return output.sorted()
    }
}
