import Foundation
import Yams

extension SitePolicy {
    /// Parses and validates a policy's YAML, resolving relative paths against
    /// `baseDirectory` (the current folder when nil). Files are not opened.
    ///
    /// - Parameters:
    ///   - yaml: the policy's text.
    ///   - source: how errors name the policy, usually its path.
    ///   - baseDirectory: the policy file's folder.
    /// - Throws: `SitePolicyError` naming the source, the line and the field, e.g.
    ///   `site.yaml:9: field 'privacy.delta': must be in (0, 1), got 2.0`.
    public static func parse(
        yaml: String, source: String = "site.yaml", baseDirectory: URL? = nil
    ) throws(SitePolicyError) -> SitePolicy {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw SitePolicyError(
                    .invalidYAML, field: nil, "the policy is empty; it needs at least name, dataset, accept, privacy and audit_log",
                    source: source)
            }
            root = node
        } catch let error as SitePolicyError {
            throw error
        } catch {
            var located = yamlError(error)
            located.source = source
            throw located
        }
        guard case .mapping = root else {
            throw SitePolicyError(
                .invalidYAML, field: nil, "a site policy is a mapping of fields (name: …, dataset: …), not a \(kind(of: root))",
                source: source, line: root.mark?.line)
        }
        let policy: SitePolicy
        do {
            policy = try YAMLDecoder().decode(SitePolicy.self, from: root).resolvingPaths(against: baseDirectory)
            try policy.validate()
        } catch let error as SitePolicyError {
            throw located(error, source: source, root: root)
        } catch let error as PlanError {
            throw located(SitePolicyError(error), source: source, root: root)
        } catch let error as DecodingError {
            throw located(policyError(error, root: root), source: source, root: root)
        } catch {
            throw SitePolicyError(.invalidYAML, field: nil, "\(error)", source: source)
        }
        return policy
    }

    /// Reads, parses and validates the policy at `url`, resolving relative paths against its
    /// folder.
    ///
    /// - Throws: `SitePolicyError` naming the policy file and the field.
    public static func load(from url: URL) throws(SitePolicyError) -> SitePolicy {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw SitePolicyError(
                .unreadableFile, field: nil, "cannot read the site policy: \(error.localizedDescription)", source: url.path)
        }
        return try parse(yaml: text, source: url.path, baseDirectory: url.deletingLastPathComponent())
    }

    // MARK: - Errors with their place

    /// `error` with the policy's name and the line of its field.
    private static func located(_ error: SitePolicyError, source: String, root: Node) -> SitePolicyError {
        var error = error
        error.source = source
        if error.line == nil, let field = error.field { error.line = Plan.line(of: field, in: root) }
        return error
    }

    /// A YAML syntax error with its line.
    private static func yamlError(_ error: any Error) -> SitePolicyError {
        guard let error = error as? YamlError else {
            return SitePolicyError(.invalidYAML, field: nil, "not valid YAML: \(error)")
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return SitePolicyError(.invalidYAML, field: nil, "not valid YAML: \(problem)", line: mark.line)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return SitePolicyError(
                .invalidYAML, field: nil, "the mapping that starts here gives \(keys) more than once", line: context.mark.line)
        default:
            return SitePolicyError(.invalidYAML, field: nil, "not valid YAML: \(error)")
        }
    }

    /// A value of the wrong type as an error naming the field and what was written there.
    private static func policyError(_ error: DecodingError, root: Node) -> SitePolicyError {
        switch error {
        case .keyNotFound(let key, let context):
            return SitePolicyError(.missingField, field: planFieldPath(context.codingPath + [key]), "required, but missing")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let field = planFieldPath(context.codingPath)
            return SitePolicyError(.wrongType, field: field, "expected \(describe(type)), got \(found(at: field, in: root))")
        case .dataCorrupted(let context):
            let field = planFieldPath(context.codingPath)
            return SitePolicyError(.invalidValue, field: field.isEmpty ? nil : field, context.debugDescription)
        @unknown default:
            return SitePolicyError(.invalidYAML, field: nil, "\(error)")
        }
    }

    /// What the policy writes at `field` (`accept.models[1]`), for "expected …, got …".
    private static func found(at field: String, in root: Node) -> String {
        var node = root
        for part in field.split(separator: ".") {
            var rest = Substring(part)
            let key = rest.prefix { $0 != "[" }
            rest = rest.dropFirst(key.count)
            if !key.isEmpty {
                guard case .mapping(let mapping) = node, let value = mapping[String(key)] else { return "nothing" }
                node = value
            }
            while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                guard let index = Int(rest.dropFirst().prefix { $0 != "]" }), case .sequence(let sequence) = node,
                      index < sequence.count
                else { return "nothing" }
                node = sequence[index]
                rest = rest[rest.index(after: close)...]
            }
        }
        if case .scalar(let scalar) = node { return scalar.string.isEmpty ? "nothing" : "'\(scalar.string)'" }
        return "a \(kind(of: node))"
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
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

    private static func kind(of node: Node) -> String {
        switch node {
        case .mapping: "mapping"
        case .sequence: "list"
        case .scalar, .alias: "single value"
        }
    }
}
