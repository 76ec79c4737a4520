/// A coding key for any field name, so that a section can list the keys it was given.
struct PlanKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int?
    init(_ name: String) { stringValue = name }
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        stringValue = "[\(intValue)]"
        self.intValue = intValue
    }
}

/// The path of a coding path as the plan's errors write it: `sites[1].data`.
func planFieldPath(_ codingPath: [any CodingKey]) -> String {
    var text = ""
    for key in codingPath {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return text
}

/// One mapping of a plan being decoded: it refuses keys outside `known` before anything
/// else, and its errors name the full path of the field.
struct PlanFields {
    let container: KeyedDecodingContainer<PlanKey>
    /// This mapping's own path (`""` at the top).
    let path: String
    let known: [String]

    /// The mapping at `decoder`, whose fields must all be in `known`.
    ///
    /// - Throws: `PlanError` `.unknownField` naming the first unknown field and listing the
    ///   known ones; `DecodingError` when the value is not a mapping.
    init(_ decoder: any Decoder, known: [String]) throws {
        container = try decoder.container(keyedBy: PlanKey.self)
        path = planFieldPath(decoder.codingPath)
        self.known = known
        // allKeys follows the file's order, so the first typo in the file is reported.
        for key in container.allKeys where !known.contains(key.stringValue) {
            let scope = path.isEmpty ? "known top-level fields" : "known fields in '\(path)'"
            throw PlanError(
                .unknownField, field: field(key.stringValue),
                "unknown field; \(scope): \(known.joined(separator: ", "))")
        }
    }

    /// The full path of the field `key` of this mapping.
    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Whether the field is written (even as null).
    func has(_ key: String) -> Bool { container.contains(PlanKey(key)) }

    /// The field's value, which must be present and not null.
    func required<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let value = try optional(key, as: type) else {
            throw PlanError(.missingField, field: field(key), "required, but missing")
        }
        return value
    }

    /// The field's value, or nil when it is absent or null.
    func optional<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        try container.decodeIfPresent(type, forKey: PlanKey(key))
    }

    /// A word from `words`, e.g. an optimiser's name; nil when absent.
    func word<Word: RawRepresentable & CaseIterable>(_ key: String, as type: Word.Type) throws -> Word?
    where Word.RawValue == String {
        guard let text = try optional(key, as: String.self) else { return nil }
        guard let word = Word(rawValue: text) else {
            let allowed = Word.allCases.map(\.rawValue).joined(separator: ", ")
            throw PlanError(.invalidValue, field: field(key), "must be one of \(allowed), got '\(text)'")
        }
        return word
    }

    /// An error for a field that is written but does not apply, e.g. `momentum` with Adam.
    func rejectIfPresent(_ key: String, _ reason: String) throws {
        if has(key) { throw PlanError(.conflictingFields, field: field(key), reason) }
    }
}
