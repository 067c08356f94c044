/// Orders package versions: dotted numeric components compared as numbers ("1.10.0" > "1.9.2"),
/// anything else as text.
enum ModelVersion {
    static func isNewer(_ candidate: String, than current: String) -> Bool {
        let a = candidate.split(separator: "."), b = current.split(separator: ".")
        for index in 0..<max(a.count, b.count) {
            let left = index < a.count ? String(a[index]) : "0"
            let right = index < b.count ? String(b[index]) : "0"
            if left == right { continue }
            if let l = Int(left), let r = Int(right) { return l > r }
            return left > right
        }
        return false
    }
}
