import Foundation
import POSIXSupport

extension ModelPackageStore {
    /// Each task's active package (configuration pins first) with the use its installed
    /// manifest states (none stated is a demonstration). Blocking and small: the panel asks on
    /// every page, so callers run it through `BlockingIO.run`.
    ///
    /// Read without the lock and without verifying: activation records are replaced by rename
    /// and installed folders appear by rename, so a reader sees the old state or the new one;
    /// a manifest changed after installation fails verification and its model never runs.
    public static func activeUses(folder: String, settings: ModelPackageSettings) throws(ModelPackageError) -> [ActiveModelUse] {
        let activeFolder = folder + "/active"
        var active: [String: PackageReference] = [:]
        if PackageFiles.isDirectory(activeFolder) {
            let names: [String]
            do {
                names = try Posix.directoryEntries(activeFolder)
            } catch {
                throw ModelPackageError.fileSystem(error, while: "listing \(activeFolder)")
            }
            for name in names where name.hasSuffix(".json") && !name.hasPrefix(".") {
                let path = activeFolder + "/" + name
                guard let bytes = try? PackageFiles.read(path, limit: 1 << 20),
                      let record = try? JSONDecoder().decode(ActivationRecord.self, from: bytes) else { continue }
                active[record.task] = record.active
            }
        }
        active.merge(settings.pinnedActive) { _, pinned in pinned }
        return active.sorted { $0.key < $1.key }.map { task, reference in
            let manifestPath = folder + "/packages/" + reference.description + "/" + ModelPackageManifest.manifestFileName
            let manifest = (try? PackageFiles.read(manifestPath, limit: 1 << 20)).flatMap {
                try? JSONDecoder().decode(ModelPackageManifest.self, from: $0)
            }
            return ActiveModelUse(task: task, package: reference, use: manifest?.useClass)
        }
    }
}
