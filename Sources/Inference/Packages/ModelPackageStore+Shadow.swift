import Foundation
import POSIXSupport

extension ModelPackageStore {
    var shadowFolder: String { folder + "/shadow" }

    private func shadowPath(task: String) -> String { shadowFolder + "/" + task + ".json" }

    /// Makes an installed package the shadow of its task (replacing any shadow before it). It
    /// must verify, may not be the task's active package, and a demonstration model is refused
    /// on a box that is not a demo build, as for activation.
    public func designateShadow(_ reference: PackageReference, designatedBy: String = "command") throws -> ShadowDesignation {
        try withLock(.exclusive) {
            try cleanStaging()
            let package = try verifyInstalled(reference, at: directory(of: reference))
            let task = package.manifest.task
            if try settings.pinnedActive[task] ?? readRecord(task: task)?.active == reference {
                throw ModelPackageError(.shadowIsActive, "\(reference) is active for task \(task); a shadow is another package run beside it")
            }
            try refuseIfDemonstration(package)
            if let current = try readShadow(task: task), current.package == reference, current.packageSHA256 == package.packageSHA256 {
                return current
            }
            let designation = ShadowDesignation(
                task: task, package: reference, packageSHA256: package.packageSHA256, designatedAt: ActivationRecord.now(),
                designatedBy: designatedBy
            )
            try fileSystem("writing the shadow of \(task)") {
                try Posix.makeDirectories(shadowFolder)
                try PackageFiles.replace(shadowPath(task: task), with: designation.encoded(), written: "model.shadow.written", renamed: "model.shadow.renamed")
            }
            logger.notice("model package designated as shadow", metadata: ["task": "\(task)", "package": "\(reference)", "by": "\(designatedBy)"])
            return designation
        }
    }

    /// Ends the shadow run of `task`; returns the designation it removed (nil: there was none).
    @discardableResult
    public func clearShadow(task: String) throws -> ShadowDesignation? {
        // The task names a file: only a name a manifest may give a task (never a path).
        guard PackageReference.isValidIdentifier(task) else {
            throw ModelPackageError(.invalidReference, "task \"\(task)\" is not a task name (1-64 of a-z 0-9 . _ -)")
        }
        return try withLock(.exclusive) { try endShadow(task: task, ifItIs: nil) }
    }

    /// Ends the shadow run of `task` only while it is still `reference` as `designatedBy`
    /// designated it (the catalog's withdrawal leaves a person's later designation alone); returns
    /// the designation it removed (nil: none matched).
    @discardableResult
    public func clearShadow(task: String, ifItIs reference: PackageReference, designatedBy: String) throws -> ShadowDesignation? {
        guard PackageReference.isValidIdentifier(task) else {
            throw ModelPackageError(.invalidReference, "task \"\(task)\" is not a task name (1-64 of a-z 0-9 . _ -)")
        }
        return try withLock(.exclusive) {
            guard try readShadow(task: task)?.designatedBy == designatedBy else { return nil }
            return try endShadow(task: task, ifItIs: reference)
        }
    }

    /// Every task's shadow designation.
    public func shadows() throws -> [ShadowDesignation] {
        try withLock(.shared) {
            var designations: [ShadowDesignation] = []
            for name in try entries(shadowFolder).sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
                if let designation = try readShadow(task: String(name.dropLast(5))) { designations.append(designation) }
            }
            return designations
        }
    }

    /// The shadow package of `task`, verified now (nil: the task has none). A package changed on
    /// disk since it was designated fails verification here, so it never runs.
    public func loadShadow(task: String) throws -> VerifiedModelPackage? {
        try withLock(.shared) {
            guard let designation = try readShadow(task: task) else { return nil }
            let package = try verifyInstalled(designation.package, at: directory(of: designation.package))
            guard package.manifest.task == task else {
                throw ModelPackageError(.malformedManifest, "\(designation.package) is for task \(package.manifest.task), not \(task)")
            }
            return package
        }
    }

    /// Removes the shadow file of `task` (only if it names `reference`, when given) and syncs the
    /// folder; the caller holds the exclusive lock.
    @discardableResult
    func endShadow(task: String, ifItIs reference: PackageReference?) throws -> ShadowDesignation? {
        guard let current = try readShadow(task: task), reference == nil || current.package == reference else { return nil }
        try fileSystem("removing the shadow of \(task)") {
            try Posix.unlink(shadowPath(task: task))
            try Posix.fsyncDirectory(shadowFolder)
        }
        logger.notice("shadow run ended", metadata: ["task": "\(task)", "package": "\(current.package)"])
        return current
    }

    private func readShadow(task: String) throws -> ShadowDesignation? {
        try readState(ShadowDesignation.self, at: shadowPath(task: task), named: "the shadow designation")
    }
}
