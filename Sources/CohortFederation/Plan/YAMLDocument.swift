import Foundation
import Yams

/// The steps that plans and site policies share from YAML text to a value: read the file,
/// compose the YAML (a non-empty mapping), decode it, then resolve and validate it, turning
/// every failure into a `Failure` that names the source, the line and the field, e.g.
/// `plan.yaml:9: field 'local.batch_size': must be at least 1, got 0`.
struct YAMLDocument<Failure: YAMLDocumentError> {
    /// How errors name the document, usually its path.
    let source: String

    /// The text of the file at `url`; errors name its path and call it `what` ("the plan").
    static func text(of url: URL, describedAs what: String) throws(Failure) -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw Failure(.unreadableFile, field: nil, "cannot read \(what): \(error.localizedDescription)", source: url.path, line: nil)
        }
    }

    /// `yaml` decoded as `Value`, then passed through `finish` (which resolves paths and
    /// validates); errors from any step name the field and its line.
    ///
    /// - Parameters:
    ///   - ifEmpty: the detail when `yaml` holds no document.
    ///   - ifNotMapping: the detail when the top is not a mapping, given what it is ("list").
    func decode<Value: Decodable>(
        _ type: Value.Type, from yaml: String, ifEmpty: String, ifNotMapping: (_ kind: String) -> String,
        finishing finish: (Value) throws -> Value
    ) throws(Failure) -> Value {
        let root = try self.root(of: yaml, ifEmpty: ifEmpty, ifNotMapping: ifNotMapping)
        do {
            return try finish(YAMLDecoder().decode(type, from: root))
        } catch {
            if let error = Failure.documentError(error) {
                throw error.located(source: source, root: root)
            } else if let error = error as? DecodingError {
                throw Self.fieldError(error, root: root).located(source: source, root: root)
            }
            throw Failure(.invalidYAML, field: nil, "\(error)", source: source, line: nil)
        }
    }

    // MARK: - Helpers

    /// The top of `yaml`, which must be a mapping.
    private func root(of yaml: String, ifEmpty: String, ifNotMapping: (_ kind: String) -> String) throws(Failure) -> Node {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw Self.syntaxError(error).located(source: source, root: nil)
        }
        guard let root else {
            throw Failure(.invalidYAML, field: nil, ifEmpty, source: source, line: nil)
        }
        guard case .mapping = root else {
            throw Failure(.invalidYAML, field: nil, ifNotMapping(root.kind), source: source, line: root.mark?.line)
        }
        return root
    }

    /// An error without its source, which `located(source:root:)` adds.
    private static func failure(_ code: Failure.Code, field: String?, _ detail: String, line: Int? = nil) -> Failure {
        Failure(code, field: field, detail, source: nil, line: line)
    }

    /// A YAML syntax error with its line.
    private static func syntaxError(_ error: any Error) -> Failure {
        guard let error = error as? YamlError else {
            return failure(.invalidYAML, field: nil, "not valid YAML: \(error)")
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return failure(.invalidYAML, field: nil, "not valid YAML: \(problem)", line: mark.line)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return failure(
                .invalidYAML, field: nil, "the mapping that starts here gives \(keys) more than once", line: context.mark.line)
        default:
            return failure(.invalidYAML, field: nil, "not valid YAML: \(error)")
        }
    }

    /// A decoding error (a value of the wrong type, or one from `StrategyConfiguration`)
    /// as an error naming the field and what is written there.
    private static func fieldError(_ error: DecodingError, root: Node) -> Failure {
        switch error {
        case .keyNotFound(let key, let context):
            return failure(.missingField, field: planFieldPath(context.codingPath + [key]), "required, but missing")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let field = planFieldPath(context.codingPath)
            let found = root.node(atField: field).map(describe) ?? "nothing"
            return failure(.wrongType, field: field, "expected \(describe(type)), got \(found)")
        case .dataCorrupted(let context):
            let field = planFieldPath(context.codingPath)
            var detail = context.debugDescription
            // StrategyConfiguration's messages repeat the path; the error names it already.
            if detail.hasPrefix(field + ": ") { detail.removeFirst(field.count + 2) }
            if detail.hasPrefix("unknown field \(field); ") {
                return failure(
                    .unknownField, field: field, "unknown field; " + detail.dropFirst("unknown field \(field); ".count))
            }
            return failure(.invalidValue, field: field.isEmpty ? nil : field, detail)
        @unknown default:
            return failure(.invalidYAML, field: nil, "\(error)")
        }
    }

    /// What a value of `type` is, in words: "a whole number", "a list", ….
    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type, is UInt32.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        case is String.Type: "text"
        case is Bool.Type: "true or false"
        default:
            if "\(type)".contains("Array") || "\(type)".contains("Sequence") {
                "a list"
            } else if "\(type)".contains("Scalar") {
                "a single value"
            } else {
                "a mapping (field: value)"
            }
        }
    }

    /// What is written at a field, for "expected …, got …": `'text'`, nothing, or a list.
    private static func describe(_ node: Node) -> String {
        if case .scalar(let scalar) = node { return scalar.string.isEmpty ? "nothing" : "'\(scalar.string)'" }
        return "a \(node.kind)"
    }
}
