import Foundation

extension SafetensorsHeader {
    /// A JSON value as a safetensors header holds it, with integers kept apart from other
    /// numbers so that a shape of `[2.5]` can be told from `[2]`.
    ///
    /// Decoded with Foundation's `JSONDecoder`, which bounds the nesting depth, so the
    /// recursion here is bounded too. A number with an integral value written as a float
    /// (`2.0`, `1e2`) decodes as an integer, as `JSONDecoder` decodes it for an `Int`.
    enum JSONValue: Decodable, Sendable {
        case null
        case bool(Bool)
        case integer(Int)
        case number(Double)
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int.self) {
                self = .integer(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([JSONValue].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: JSONValue].self))
            }
        }

        /// The JSON type's name with an article, for messages: "a string", "an array".
        var kindWithArticle: String {
            switch self {
            case .null: "null"
            case .bool: "a boolean"
            case .integer, .number: "a number"
            case .string: "a string"
            case .array: "an array"
            case .object: "an object"
            }
        }

        /// Compact JSON text for messages (object keys sorted; long arrays and objects elided).
        var text: String {
            switch self {
            case .null: return "null"
            case .bool(let value): return value ? "true" : "false"
            case .integer(let value): return String(value)
            case .number(let value): return String(value)
            case .string(let value): return String(decoding: JSONText.string(value), as: UTF8.self)
            case .array(let values):
                let shown = values.prefix(8).map(\.text) + (values.count > 8 ? ["…"] : [])
                return "[" + shown.joined(separator: ", ") + "]"
            case .object(let members):
                let keys = members.keys.sorted()
                let shown = keys.prefix(8).map { key in
                    String(decoding: JSONText.string(key), as: UTF8.self) + ": " + (members[key]?.text ?? "")
                }
                return "{" + (shown + (keys.count > 8 ? ["…"] : [])).joined(separator: ", ") + "}"
            }
        }
    }
}
