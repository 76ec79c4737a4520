/// Writes an `Encodable` value as YAML in one fixed form, so that equal plans give equal
/// text and so equal hashes, whatever YAML library or version reads them back:
///
/// - mappings in block style, two-space indents, keys in the order they are encoded;
/// - text always in double quotes, with `\"`, `\\`, `\n`, `\t` and `\u{…}` escapes;
/// - integers in decimal; doubles in Swift's shortest round-trip form (`0.05`, `1e-05`,
///   `600.0`); booleans as `true` / `false`;
/// - lists of scalars in flow style (`[a, b]`), lists of mappings as `- ` blocks.
struct CanonicalYAMLEncoder {
    /// The YAML text of `value`, ending with a newline.
    func encode(_ value: some Encodable) throws -> String {
        let root = Node()
        try value.encode(to: TreeEncoder(node: root, codingPath: []))
        var lines: [String] = []
        root.render(into: &lines, indent: "")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One node of the tree being built.
    final class Node {
        enum Kind {
            case empty
            case scalar(String)
            case mapping
            case list
        }
        var kind: Kind = .empty
        var entries: [(key: String, node: Node)] = []
        var items: [Node] = []

        func child(forKey key: String) -> Node {
            let node = Node()
            entries.append((key, node))
            return node
        }

        func appendItem() -> Node {
            let node = Node()
            items.append(node)
            return node
        }

        var isScalar: Bool { if case .scalar = kind { true } else { false } }

        /// The node on one line, for scalars and lists of scalars.
        var inline: String? {
            switch kind {
            case .empty: "null"
            case .scalar(let text): text
            case .mapping: entries.isEmpty ? "{}" : nil
            case .list:
                items.allSatisfy(\.isScalar) ? "[" + items.compactMap(\.inline).joined(separator: ", ") + "]" : nil
            }
        }

        /// The entries of a mapping, or the items of a list, at `indent`.
        func render(into lines: inout [String], indent: String) {
            switch kind {
            case .mapping:
                for (key, node) in entries {
                    if let inline = node.inline {
                        lines.append("\(indent)\(key): \(inline)")
                    } else {
                        lines.append("\(indent)\(key):")
                        node.render(into: &lines, indent: indent + "  ")
                    }
                }
            case .list:
                for item in items {
                    if let inline = item.inline {
                        lines.append("\(indent)- \(inline)")
                    } else {
                        // A mapping item: its first line follows the dash.
                        var nested: [String] = []
                        item.render(into: &nested, indent: indent + "  ")
                        if let first = nested.first {
                            lines.append(indent + "- " + first.dropFirst(indent.count + 2))
                            lines += nested.dropFirst()
                        }
                    }
                }
            case .empty, .scalar:
                if let inline { lines.append(indent + inline) }
            }
        }
    }

    /// The text of a scalar, or nil when `value` is not one.
    static func scalar(_ value: Any) -> String? {
        switch value {
        case let text as String: quoted(text)
        case let flag as Bool: flag ? "true" : "false"
        case let number as Double: number.description
        case let number as Float: Double(number).description
        case let number as Int: number.description
        case let number as Int64: number.description
        case let number as UInt64: number.description
        case let number as UInt32: number.description
        case let number as Int32: number.description
        default: nil
        }
    }

    /// `text` in YAML double quotes.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    private struct TreeEncoder: Encoder {
        let node: Node
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            node.kind = .mapping
            return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            node.kind = .list
            return Unkeyed(node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            Single(node: node, codingPath: codingPath)
        }
    }

    /// Encodes `value` into `node`: as a scalar when it is one, else through its `encode(to:)`.
    private static func store(_ value: some Encodable, in node: Node, codingPath: [any CodingKey]) throws {
        if let text = scalar(value) {
            node.kind = .scalar(text)
        } else {
            try value.encode(to: TreeEncoder(node: node, codingPath: codingPath))
        }
    }

    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        var codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { _ = node.child(forKey: key.stringValue) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try CanonicalYAMLEncoder.store(value, in: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            TreeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            TreeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            TreeEncoder(node: node.child(forKey: "super"), codingPath: codingPath)
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            TreeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
        }
    }

    private struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]
        var count: Int { node.items.count }

        mutating func encodeNil() throws { _ = node.appendItem() }

        mutating func encode<T: Encodable>(_ value: T) throws {
            let key = PlanKey(intValue: count)
            try CanonicalYAMLEncoder.store(value, in: node.appendItem(), codingPath: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            TreeEncoder(node: node.appendItem(), codingPath: codingPath).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            TreeEncoder(node: node.appendItem(), codingPath: codingPath).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { TreeEncoder(node: node.appendItem(), codingPath: codingPath) }
    }

    private struct Single: SingleValueEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]

        mutating func encodeNil() throws { node.kind = .empty }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try CanonicalYAMLEncoder.store(value, in: node, codingPath: codingPath)
        }
    }
}
