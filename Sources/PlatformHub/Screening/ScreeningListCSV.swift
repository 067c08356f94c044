import Foundation

/// Reads the operator's CSV of people due for screening: a header line, then per line patient
/// ID, name (`family^given`), birth date (YYYYMMDD), sex (M/F/O), due date (YYYYMMDD) and an
/// optional note; UTF-8 (a byte order mark is skipped), commas, fields in double quotes where
/// they hold a comma or a quote (`""`). All or nothing: the first bad line refuses the file
/// with its line number.
public enum ScreeningListCSV {
    /// The entries of `bytes` for `institution` (its ИНН or OID), in file order.
    public static func entries(_ bytes: [UInt8], institution: String) throws(HubError) -> [ScreeningEntry] {
        guard DeviceInstitution.isValidTaxID(institution) || DeviceInstitution.isValidOID(institution) else {
            throw HubError(.badRequest, "\"\(institution.prefix(80))\" is neither an institution's ИНН (10 or 12 digits with their check digits) nor its OID")
        }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw HubError(.badRequest, "line \(firstInvalidLine(body)): the file is not UTF-8 (save it as UTF-8 CSV)")
        }
        var entries: [ScreeningEntry] = []
        var seen: [String: Int] = [:]
        var sawHeader = false
        // By Character, "\r\n" is one newline (a spreadsheet's CSV), as is "\n".
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            if line.allSatisfy(\.isWhitespace) { continue }
            guard sawHeader else {
                sawHeader = true
                continue
            }
            let entry = try entry(line, number: number, institution: institution)
            if let earlier = seen[entry.identity] {
                throw HubError(.badRequest, "line \(number): patient \(entry.patientID) due \(entry.dueDate) is already on line \(earlier)")
            }
            seen[entry.identity] = number
            entries.append(entry)
        }
        guard !entries.isEmpty else { throw HubError(.badRequest, "the file lists nobody (it needs a header line, then one line per person)") }
        return entries
    }

    static func entry(_ line: Substring, number: Int, institution: String) throws(HubError) -> ScreeningEntry {
        func refuse(_ reason: String) -> HubError { HubError(.badRequest, "line \(number): \(reason)") }
        guard let fields = fields(line) else { throw refuse("a quoted field is not closed") }
        guard fields.count == 5 || fields.count == 6 else {
            throw refuse("\(fields.count) fields; a line is patient ID, family^given name, birth date, sex, due date and an optional note")
        }
        let trimmed = fields.map { $0.trimmingCharacters(in: .whitespaces) }
        let (patientID, name, birth, sexText, due) = (trimmed[0], trimmed[1], trimmed[2], trimmed[3].uppercased(), trimmed[4])
        let note = trimmed.count == 6 && !trimmed[5].isEmpty ? trimmed[5] : nil
        for (field, value, limit) in [("patient ID", patientID, 64), ("name", name, 64), ("note", note ?? "x", 64)] {
            guard !value.isEmpty else { throw refuse("the \(field) is empty") }
            guard value.count <= limit else { throw refuse("the \(field) is longer than \(limit) characters") }
            guard !value.unicodeScalars.contains(where: { $0 == "\\" || $0.properties.generalCategory == .control }) else {
                throw refuse("the \(field) holds a backslash or a control character")
            }
        }
        let components = name.split(separator: "^", omittingEmptySubsequences: false)
        guard components.count <= 5, !components[0].trimmingCharacters(in: .whitespaces).isEmpty else {
            throw refuse("the name \"\(name)\" is not family^given (at most five ^-separated parts, the family name first)")
        }
        guard isDate(birth) else { throw refuse("the birth date \"\(birth.prefix(20))\" is not a date YYYYMMDD") }
        guard ["M", "F", "O"].contains(sexText) else { throw refuse("the sex \"\(trimmed[3].prefix(20))\" is not M, F or O") }
        guard isDate(due) else { throw refuse("the due date \"\(due.prefix(20))\" is not a date YYYYMMDD") }
        guard birth <= due else { throw refuse("the due date \(due) is before the birth date \(birth)") }
        return ScreeningEntry(
            institution: institution, patientID: patientID, patientName: name, birthDate: birth, sex: sexText, dueDate: due, note: note)
    }

    /// The fields of one line; nil when a quoted field is not closed.
    static func fields(_ line: Substring) -> [String]? {
        var fields: [String] = []
        var field = ""
        var quoted = false, wasQuoted = false
        var characters = line.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? characters.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    let next = characters.next()
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else {
                    field.append(character)
                }
            } else if character == "\"" && field.allSatisfy(\.isWhitespace) && !wasQuoted {
                field = ""
                quoted = true
                wasQuoted = true
            } else if character == "," {
                fields.append(field)
                field = ""
                wasQuoted = false
            } else {
                field.append(character)
            }
        }
        guard !quoted else { return nil }
        fields.append(field)
        return fields
    }

    /// YYYYMMDD of a real day (1900 on).
    static func isDate(_ text: String) -> Bool {
        guard text.utf8.count == 8, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let year = Int(text.prefix(4)), let month = Int(text.dropFirst(4).prefix(2)), let day = Int(text.suffix(2)),
              year >= 1900, (1...12).contains(month), day >= 1 else { return false }
        let days = [31, year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }

    /// The line of the first byte that is not UTF-8, for the refusal.
    static func firstInvalidLine(_ bytes: ArraySlice<UInt8>) -> Int {
        var line = 1
        var start = bytes.startIndex
        for index in bytes.indices where bytes[index] == 0x0A {
            if String(validating: bytes[start..<index], as: UTF8.self) == nil { return line }
            line += 1
            start = index + 1
        }
        return line
    }
}
