import Yams

/// Finding a field of a plan or a site policy, by the full path that errors name
/// (`sites[1].data`), in the YAML it was decoded from.
extension Node {
    /// The line of `field`, or of its nearest written parent.
    func line(ofField field: String) -> Int? {
        var node = self
        var line: Int?
        for component in Self.pathComponents(field) {
            switch (component, node) {
            case (.key(let key), .mapping(let mapping)):
                guard let (keyNode, value) = mapping.first(where: { $0.key.string == key }) else { return line }
                line = keyNode.mark?.line
                node = value
            case (.index(let index), .sequence(let sequence)):
                guard index < sequence.count else { return line }
                node = sequence[index]
                line = node.mark?.line
            default:
                return line
            }
        }
        return line
    }

    /// The value written at `field`, or nil when it is not written.
    func node(atField field: String) -> Node? {
        var node = self
        for component in Self.pathComponents(field) {
            switch (component, node) {
            case (.key(let key), .mapping(let mapping)):
                guard let value = mapping[key] else { return nil }
                node = value
            case (.index(let index), .sequence(let sequence)) where index < sequence.count:
                node = sequence[index]
            default:
                return nil
            }
        }
        return node
    }

    /// What the node is, for messages: "mapping", "list" or "single value".
    var kind: String {
        switch self {
        case .mapping: "mapping"
        case .sequence: "list"
        case .scalar, .alias: "single value"
        }
    }

    private enum PathComponent {
        case key(String)
        case index(Int)
    }

    private static func pathComponents(_ field: String) -> [PathComponent] {
        var components: [PathComponent] = []
        for part in field.split(separator: ".") {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                components.append(.key(String(rest[..<bracket])))
                rest = rest[bracket...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    if let index = Int(rest[rest.index(after: rest.startIndex)..<close]) { components.append(.index(index)) }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                components.append(.key(String(rest)))
            }
        }
        return components
    }
}
