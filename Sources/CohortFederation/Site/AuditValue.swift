/// A JSON value in an audit log entry's `details`, written in one canonical form: object
/// keys sorted, no whitespace, strings escaped as RFC 8259 requires and otherwise kept as
/// UTF-8, numbers in Swift's shortest round-trip form.
///
/// JSON has no infinity or NaN, so non-finite numbers are written as the strings `"inf"`,
/// `"-inf"` and `"nan"` (an ε of a run without privacy is infinite).
///
/// ```swift
/// let details: [String: AuditValue] = ["plan": "3fa1…", "epsilon": 2.31, "reasons": ["…", "…"]]
/// ```
public enum AuditValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Text.
    case string(String)
    /// A whole number.
    case integer(Int)
    /// A number (non-finite ones are written as text).
    case number(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// A JSON array.
    case list([AuditValue])
    /// A JSON object, written with its keys sorted.
    case object([String: AuditValue])
    /// `null`.
    case null

    /// The value in canonical JSON.
    public var json: String {
        var text = ""
        write(to: &text)
        return text
    }

    /// The canonical JSON.
    public var description: String { json }

    func write(to text: inout String) {
        switch self {
        case .string(let string):
            Self.writeString(string, to: &text)
        case .integer(let integer):
            text += String(integer)
        case .number(let number):
            if number.isNaN {
                text += "\"nan\""
            } else if number.isInfinite {
                text += number > 0 ? "\"inf\"" : "\"-inf\""
            } else {
                text += number.description
            }
        case .bool(let bool):
            text += bool ? "true" : "false"
        case .list(let values):
            text += "["
            for (index, value) in values.enumerated() {
                if index > 0 { text += "," }
                value.write(to: &text)
            }
            text += "]"
        case .object(let object):
            Self.writeObject(object, to: &text)
        case .null:
            text += "null"
        }
    }

    /// An object with its keys in ascending order of their UTF-8 bytes.
    static func writeObject(_ object: [String: AuditValue], to text: inout String) {
        text += "{"
        for (index, key) in object.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { text += "," }
            writeString(key, to: &text)
            text += ":"
            object[key]?.write(to: &text)
        }
        text += "}"
    }

    /// A JSON string: quotes, backslashes and control characters escaped (RFC 8259 §7).
    static func writeString(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// Decodes any JSON value; whole numbers become `.integer`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? container.decode(Int.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let list = try? container.decode([AuditValue].self) {
            self = .list(list)
        } else {
            self = .object(try container.decode([String: AuditValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let string): try container.encode(string)
        case .integer(let integer): try container.encode(integer)
        case .number(let number): try container.encode(number)
        case .bool(let bool): try container.encode(bool)
        case .list(let list): try container.encode(list)
        case .object(let object): try container.encode(object)
        case .null: try container.encodeNil()
        }
    }
}

extension AuditValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: AuditValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, AuditValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
