import Foundation
import Yams

/// A model's architecture, as written in `Models/NAME.yaml` and named by plans.
///
/// The definition does not fix the input width (that comes from the data's encoded
/// features) and may leave the last layer's width to the task with `dense: output`: one
/// logit for a binary label, one per class otherwise. For example:
///
/// ```yaml
/// name: mlp-small
/// description: Two hidden layers of 64 ReLU units.
/// layers:
///   - dense: 64
///   - relu
///   - dense: 64
///   - relu
///   - dense: output
/// l2: 0.0001
/// ```
public struct ModelDefinition: Sendable, Equatable, Codable {
    /// The model's name, as plans refer to it.
    public var name: String
    /// A line for people.
    public var description: String?
    /// The layers from input to output.
    public var layers: [LayerDefinition]
    /// L2 penalty λ on weights (not biases): the loss gains (λ/2)·‖W‖². Default 0.
    public var l2: Double

    public init(name: String, description: String? = nil, layers: [LayerDefinition], l2: Double = 0) {
        self.name = name
        self.description = description
        self.layers = layers
        self.l2 = l2
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, description, layers, l2
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue), context: "model definition")
        name = try container.decode(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        layers = try container.decode([LayerDefinition].self, forKey: .layers)
        l2 = try container.decodeIfPresent(Double.self, forKey: .l2) ?? 0
    }

    /// Checks what decoding cannot: at least one dense layer, the last layer dense, sane values.
    public func validate() throws(ModelDefinitionError) {
        guard !name.isEmpty else { throw ModelDefinitionError("field 'name' is empty") }
        guard case .dense? = layers.last else {
            throw ModelDefinitionError("field 'layers': the last layer must be dense (it produces the logits)")
        }
        for (index, layer) in layers.enumerated() {
            switch layer {
            case .dense(.fixed(let units)) where units < 1:
                throw ModelDefinitionError("field 'layers[\(index)]': dense needs at least 1 unit, got \(units)")
            case .dense(.output) where index != layers.count - 1:
                throw ModelDefinitionError("field 'layers[\(index)]': 'dense: output' may only be the last layer")
            case .dropout(let rate) where !(rate >= 0 && rate < 1):
                throw ModelDefinitionError("field 'layers[\(index)]': dropout rate must be in [0, 1), got \(rate)")
            default:
                break
            }
        }
        guard l2 >= 0 && l2.isFinite else { throw ModelDefinitionError("field 'l2' must be ≥ 0, got \(l2)") }
    }

    /// Parses and validates a YAML definition; errors name `source` and the field.
    public static func parse(yaml: String, source: String) throws -> ModelDefinition {
        do {
            let definition = try YAMLDecoder().decode(ModelDefinition.self, from: yaml)
            try definition.validate()
            return definition
        } catch let error as ModelDefinitionError {
            throw ModelDefinitionError("\(source): \(error.message)")
        } catch let error as DecodingError {
            throw ModelDefinitionError("\(source): \(describe(error))")
        } catch {
            throw ModelDefinitionError("\(source): \(error)")
        }
    }

    /// Loads `Models/NAME.yaml` when `reference` is a bare name, else the file at the path.
    public static func load(_ reference: String, modelsDirectory: URL) throws -> ModelDefinition {
        let url: URL
        if reference.contains("/") || reference.hasSuffix(".yaml") || reference.hasSuffix(".yml") {
            url = URL(fileURLWithPath: reference)
        } else {
            url = modelsDirectory.appendingPathComponent("\(reference).yaml")
        }
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            let known = (try? FileManager.default.contentsOfDirectory(atPath: modelsDirectory.path))?
                .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted() ?? []
            throw ModelDefinitionError(
                "cannot read model definition \(url.path)"
                    + (known.isEmpty ? "" : "; built-in models: \(known.joined(separator: ", "))"))
        }
        return try parse(yaml: text, source: url.path)
    }

    /// The definition as YAML, in the form `parse` reads.
    public func yaml() -> String {
        var lines = ["name: \(name)"]
        if let description { lines.append("description: \(quoteIfNeeded(description))") }
        lines.append("layers:")
        for layer in layers { lines.append("  - \(layer.yaml)") }
        if l2 != 0 { lines.append("l2: \(l2)") }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A model definition that cannot be used; the message names the file and field.
public struct ModelDefinitionError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

private func quoteIfNeeded(_ text: String) -> String {
    let plain = text.allSatisfy { $0.isLetter || $0.isNumber || " .,-()→×".contains($0) }
    return plain ? text : "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// Turns a decoding error into "field 'a.b[2]': what went wrong".
func describe(_ error: DecodingError) -> String {
    func path(_ keys: [CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text.isEmpty ? "(top level)" : text
    }
    switch error {
    case .keyNotFound(let key, let context):
        let parent = path(context.codingPath)
        return "missing field '\(parent == "(top level)" ? key.stringValue : parent + "." + key.stringValue)'"
    case .typeMismatch(let type, let context):
        return "field '\(path(context.codingPath))': expected \(type); \(context.debugDescription)"
    case .valueNotFound(let type, let context):
        return "field '\(path(context.codingPath))': expected \(type), found nothing"
    case .dataCorrupted(let context):
        return "field '\(path(context.codingPath))': \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}

/// Throws when the keyed container at `decoder` holds keys outside `known`: an unknown
/// field is a mistake (a typo), never silently ignored.
func rejectUnknownKeys(in decoder: Decoder, known: [String], context: String) throws {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    let container = try decoder.container(keyedBy: AnyKey.self)
    for key in container.allKeys where !known.contains(key.stringValue) {
        throw DecodingError.dataCorrupted(.init(
            codingPath: decoder.codingPath + [key],
            debugDescription: "unknown field in \(context); known fields: \(known.joined(separator: ", "))"))
    }
}
