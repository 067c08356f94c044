/// Durations as the box reports them: timings in logs, reports and the post-market figures are
/// fractional milliseconds; rates are per fractional second.
extension Duration {
    public var inMilliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
