import CohortData
import CohortLearn
import Foundation
import Yams

extension Plan {
    /// Parses and validates a plan's YAML, resolving relative paths against
    /// `baseDirectory` (the current folder when nil). Files are not opened: see `load`.
    ///
    /// - Parameters:
    ///   - yaml: the plan's text.
    ///   - source: how errors name the plan, usually its path.
    ///   - baseDirectory: the plan file's folder.
    /// - Throws: `PlanError` naming the source, the line and the field, e.g.
    ///   `plan.yaml:9: field 'local.batch_size': must be at least 1, got 0`.
    public static func parse(yaml: String, source: String = "plan.yaml", baseDirectory: URL? = nil) throws(PlanError) -> Plan {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw PlanError(.invalidYAML, field: nil, "the plan is empty; it needs at least name, model, label, rounds and sites")
            }
            root = node
        } catch let error as PlanError {
            throw located(error, source: source, root: nil)
        } catch {
            throw located(yamlError(error), source: source, root: nil)
        }
        guard case .mapping = root else {
            throw PlanError(
                .invalidYAML, field: nil, "a plan is a mapping of fields (name: …, model: …), not a \(kind(of: root))",
                source: source, line: root.mark?.line)
        }
        let plan: Plan
        do {
            plan = try YAMLDecoder().decode(Plan.self, from: root).resolvingPaths(against: baseDirectory)
        } catch let error as PlanError {
            throw located(error, source: source, root: root)
        } catch let error as DecodingError {
            throw located(planError(error, root: root), source: source, root: root)
        } catch {
            throw PlanError(.invalidYAML, field: nil, "\(error)", source: source)
        }
        do {
            try plan.validate()
        } catch {
            throw located(error, source: source, root: root)
        }
        return plan
    }

    /// Reads, parses and validates the plan at `url`, resolving relative paths against its
    /// folder, then checks that what it names exists (`checkFiles(modelsDirectory:)`).
    ///
    /// - Throws: `PlanError` naming the plan file and the field (and the path at fault).
    public static func load(from url: URL, modelsDirectory: URL) throws(PlanError) -> Plan {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw PlanError(.unreadableFile, field: nil, "cannot read the plan: \(error.localizedDescription)", source: url.path)
        }
        let plan = try parse(yaml: text, source: url.path, baseDirectory: url.deletingLastPathComponent())
        do {
            try plan.checkFiles(modelsDirectory: modelsDirectory)
        } catch {
            let root = try? Yams.compose(yaml: text)
            throw located(error, source: url.path, root: root ?? nil)
        }
        return plan
    }

    /// Checks what the plan names outside itself: the model definition loads, the schema
    /// reads and names the plan's label, and every data file exists with a header that has
    /// the label column (and the partition column).
    ///
    /// - Throws: `PlanError` `.missingFile` or `.invalidValue` naming the field and path.
    public func checkFiles(modelsDirectory: URL) throws(PlanError) {
        _ = try loadModel(modelsDirectory: modelsDirectory)
        if let schema {
            let loaded: Schema
            do {
                loaded = try Schema(contentsOf: schema.url)
            } catch {
                throw PlanError(.missingFile, field: "schema", "cannot use \(schema.url.path): \(error)")
            }
            if loaded.label.name != label {
                throw PlanError(
                    .conflictingFields, field: "label",
                    "is '\(label)', but the schema \(schema.path) has label '\(loaded.label.name)'")
            }
        }
        for (field, file) in data.files {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file.url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw PlanError(.missingFile, field: field, "no such file: \(file.url.path)")
            }
            let columns = try Self.headerColumns(of: file, field: field)
            if !columns.contains(label) {
                throw PlanError(
                    .invalidValue, field: "label",
                    "column '\(label)' is not in \(file.path) (\(field)); its columns: \(columns.joined(separator: ", "))")
            }
            if case .partitioned(_, let partition) = data, case .byColumn(let column) = partition.method,
               !columns.contains(column) {
                throw PlanError(
                    .invalidValue, field: "partition.column",
                    "column '\(column)' is not in \(file.path); its columns: \(columns.joined(separator: ", "))")
            }
        }
    }

    /// The model definition the plan names, from `modelsDirectory` or its own path.
    ///
    /// - Throws: `PlanError` for the field `model`, with the definition's own message (which
    ///   lists the built-in models when the name is unknown).
    public func loadModel(modelsDirectory: URL) throws(PlanError) -> ModelDefinition {
        do {
            return try ModelDefinition.load(model.loadReference, modelsDirectory: modelsDirectory)
        } catch {
            throw PlanError(.missingFile, field: "model", "\(error)")
        }
    }

    // MARK: - Helpers

    /// The column names of a CSV file's header, read from its first line only.
    private static func headerColumns(of file: FilePath, field: String) throws(PlanError) -> [String] {
        do {
            let handle = try FileHandle(forReadingFrom: file.url)
            defer { try? handle.close() }
            let start = try handle.read(upToCount: 1 << 16) ?? Data()
            let firstLine = start.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? Data()
            return try CSVTable(parsing: [UInt8](firstLine), fileName: file.url.path).columnNames
        } catch {
            throw PlanError(.missingFile, field: field, "cannot read the header of \(file.url.path): \(error)")
        }
    }

    /// `error` with the plan's name and the line of its field.
    static func located(_ error: PlanError, source: String, root: Node?) -> PlanError {
        var error = error
        error.source = source
        if error.line == nil, let field = error.field, let root { error.line = line(of: field, in: root) }
        return error
    }

    /// The line of `field` (`sites[1].data`) in the plan, or of its nearest written parent.
    static func line(of field: String, in root: Node) -> Int? {
        var node = root
        var line: Int?
        for component in pathComponents(field) {
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

    /// A YAML syntax error as a plan error with its line.
    private static func yamlError(_ error: any Error) -> PlanError {
        guard let error = error as? YamlError else {
            return PlanError(.invalidYAML, field: nil, "not valid YAML: \(error)")
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PlanError(.invalidYAML, field: nil, "not valid YAML: \(problem)", line: mark.line)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return PlanError(
                .invalidYAML, field: nil, "the mapping that starts here gives \(keys) more than once", line: context.mark.line)
        default:
            return PlanError(.invalidYAML, field: nil, "not valid YAML: \(error)")
        }
    }

    /// A decoding error (a value of the wrong type, or one from `StrategyConfiguration`)
    /// as a plan error naming the field.
    private static func planError(_ error: DecodingError, root: Node) -> PlanError {
        func node(at field: String) -> Node? {
            var node = root
            for component in pathComponents(field) {
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
        func found(_ field: String) -> String {
            guard let node = node(at: field) else { return "nothing" }
            if case .scalar(let scalar) = node { return scalar.string.isEmpty ? "nothing" : "'\(scalar.string)'" }
            return "a \(kind(of: node))"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return PlanError(.missingField, field: planFieldPath(context.codingPath + [key]), "required, but missing")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let field = planFieldPath(context.codingPath)
            return PlanError(.wrongType, field: field, "expected \(describe(type)), got \(found(field))")
        case .dataCorrupted(let context):
            let field = planFieldPath(context.codingPath)
            var detail = context.debugDescription
            // StrategyConfiguration's messages repeat the path; the error names it already.
            if detail.hasPrefix(field + ": ") { detail.removeFirst(field.count + 2) }
            if detail.hasPrefix("unknown field \(field); ") {
                return PlanError(.unknownField, field: field, "unknown field; " + detail.dropFirst("unknown field \(field); ".count))
            }
            return PlanError(.invalidValue, field: field.isEmpty ? nil : field, detail)
        @unknown default:
            return PlanError(.invalidYAML, field: nil, "\(error)")
        }
    }

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

    private static func kind(of node: Node) -> String {
        switch node {
        case .mapping: "mapping"
        case .sequence: "list"
        case .scalar, .alias: "single value"
        }
    }
}
