import DICOM

/// One entity (study, series or instance) that matched a query, with the instances below it.
public struct QueryMatch: Sendable {
    public var attributes: [Tag: String]
    public var instances: [ArchivedInstance]
}

extension QueryRequest {
    /// Asks the archive for the instances the request can concern, narrowed by the UID keys.
    func candidates(in archive: any InstanceArchive) async throws -> [ArchivedInstance] {
        try await archive.instances(
            studyInstanceUIDs: uidList(.studyInstanceUID),
            seriesInstanceUIDs: level >= .series ? uidList(.seriesInstanceUID) : nil,
            sopInstanceUIDs: level >= .image ? uidList(.sopInstanceUID) : nil
        )
    }

    /// The entities of the request's level that match every key, in the archive's order. The
    /// counts and lists over a study or series are computed from `instances`, which should hold
    /// all of them (the archive's answer to ``candidates(in:)``).
    public func matches(in instances: [ArchivedInstance]) -> [QueryMatch] {
        var order: [String] = []
        var groups: [String: [ArchivedInstance]] = [:]
        var seenInstances: Set<String> = []
        // The same SOP Instance UID held twice (different bytes, both kept) is answered once.
        let instances = instances.filter { seenInstances.insert($0.sopInstanceUID).inserted }
        for instance in instances {
            let key = switch level {
            case .study: instance.studyInstanceUID
            case .series: instance.seriesInstanceUID
            case .image: instance.sopInstanceUID
            }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(instance)
        }
        // Study-level counts need the whole study, even at a lower level's query; each study's
        // and series' summary is computed once, not per match.
        var studies: [String: StudySummary] = [:]
        var seriesCounts: [String: Int] = [:]
        for instance in instances {
            studies[instance.studyInstanceUID, default: StudySummary()].add(instance)
            seriesCounts[instance.seriesInstanceUID, default: 0] += 1
        }
        return order.compactMap { key in
            let members = groups[key]!
            let attributes = attributes(of: members[0], study: studies[members[0].studyInstanceUID]!, seriesCount: seriesCounts[members[0].seriesInstanceUID]!)
            for (tag, query) in keys {
                guard let key = QueryKey.supported[tag], key.level <= level else { continue }
                if !QueryValueMatcher.matches(query, attributes[tag], vr: key.vr) { return nil }
            }
            return QueryMatch(attributes: attributes, instances: members)
        }
    }

    /// What a study's counts and lists are made of.
    private struct StudySummary {
        var modalities: Set<String> = []
        var sopClasses: Set<String> = []
        var series: Set<String> = []
        var instances = 0

        mutating func add(_ instance: ArchivedInstance) {
            if let modality = instance.attributes[.modality] { modalities.insert(modality) }
            sopClasses.insert(instance.sopClassUID)
            series.insert(instance.seriesInstanceUID)
            instances += 1
        }
    }

    private func attributes(of first: ArchivedInstance, study: StudySummary, seriesCount: Int) -> [Tag: String] {
        var attributes = first.attributes.filter { QueryKey.supported[$0.key].map { $0.level <= level } ?? false }
        attributes[.studyInstanceUID] = first.studyInstanceUID
        attributes[QueryKey.modalitiesInStudy] = study.modalities.sorted().joined(separator: "\\")
        attributes[QueryKey.sopClassesInStudy] = study.sopClasses.sorted().joined(separator: "\\")
        attributes[QueryKey.numberOfStudyRelatedSeries] = String(study.series.count)
        attributes[QueryKey.numberOfStudyRelatedInstances] = String(study.instances)
        if level >= .series {
            attributes[.seriesInstanceUID] = first.seriesInstanceUID
            attributes[QueryKey.numberOfSeriesRelatedInstances] = String(seriesCount)
        }
        if level >= .image {
            attributes[.sopInstanceUID] = first.sopInstanceUID
            attributes[.sopClassUID] = first.sopClassUID
        }
        return attributes
    }

    /// A C-FIND response identifier: the keys asked for with this match's values (empty when
    /// the box has none), the unique keys of the level and those above, and the level.
    func responseIdentifier(for match: QueryMatch, retrieveAETitle: String, transferSyntax: TransferSyntax) -> [UInt8] {
        var values: [Tag: (ValueRepresentation, String)] = [:]
        for tag in keys.keys {
            guard let key = QueryKey.supported[tag], key.level <= level else { continue }
            values[tag] = (key.vr, match.attributes[tag] ?? "")
        }
        for level in QueryKey.Level.allCases where level <= self.level {
            let tag = QueryKey.uniqueKey(of: level)
            values[tag] = (.UI, match.attributes[tag] ?? "")
        }
        values[QueryKey.queryRetrieveLevel] = (.CS, level.keyword)
        if asksRetrieveAETitle { values[QueryKey.retrieveAETitle] = (.AE, retrieveAETitle) }
        if values.values.contains(where: { $0.1.utf8.contains { $0 >= 0x80 } }) {
            values[QueryKey.specificCharacterSet] = (.CS, "ISO_IR 192")
        }
        let encoder = DataElementEncoder(explicit: transferSyntax.isExplicitVR, bigEndian: false)
        return values.keys.sorted().flatMap { tag in encoder.encode(tag, values[tag]!.0, text: values[tag]!.1) }
    }
}
