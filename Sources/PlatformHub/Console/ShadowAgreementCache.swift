/// The Shadow runs page's totals of the periods looked at lately, kept while the hub receives
/// no `shadow-agreement` document in their window. Adding a period up reads every document of it
/// again (seconds for 2,000 devices × 30 days); an operator looks at one period in turns (a
/// region, the other language, the JSON), and asking whether anything arrived is one count.
/// Each replica keeps its own.
actor ShadowAgreementCache {
    static let periodsKept = 8

    private struct Entry {
        var received: ShadowAgreementTotal.Received
        var totals: [ShadowAgreementTotal]
        var used: UInt64
    }

    private var entries: [String: Entry] = [:]
    private var uses: UInt64 = 0

    func totals(from: String, to: String, store: any HubStoring) async throws(HubError) -> [ShadowAgreementTotal] {
        // Counted before the totals are read: a document arriving in between is in the totals
        // and changes the next count, so what is kept is never older than what it is kept for.
        let received = try await store.shadowAgreementsReceived(since: from)
        let period = from + "…" + to
        uses += 1
        if let entry = entries[period], entry.received == received {
            entries[period]?.used = uses
            return entry.totals
        }
        let totals = try await store.shadowAgreementTotals(from: from, to: to)
        uses += 1
        entries[period] = Entry(received: received, totals: totals, used: uses)
        if entries.count > Self.periodsKept, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
            entries[oldest] = nil
        }
        return totals
    }
}
