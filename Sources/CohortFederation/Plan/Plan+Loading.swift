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
        try YAMLDocument<PlanError>(source: source).decode(
            Plan.self, from: yaml,
            ifEmpty: "the plan is empty; it needs at least name, model, label, rounds and sites",
            ifNotMapping: { "a plan is a mapping of fields (name: …, model: …), not a \($0)" }
        ) { plan in
            let plan = plan.resolvingPaths(against: baseDirectory)
            try plan.validate()
            return plan
        }
    }

    /// Reads, parses and validates the plan at `url`, resolving relative paths against its
    /// folder, then checks that what it names exists (`checkFiles(modelsDirectory:)`).
    ///
    /// - Throws: `PlanError` naming the plan file and the field (and the path at fault).
    public static func load(from url: URL, modelsDirectory: URL) throws(PlanError) -> Plan {
        let text = try YAMLDocument<PlanError>.text(of: url, describedAs: "the plan")
        let plan = try parse(yaml: text, source: url.path, baseDirectory: url.deletingLastPathComponent())
        do {
            try plan.checkFiles(modelsDirectory: modelsDirectory)
        } catch {
            let root = try? Yams.compose(yaml: text)
            throw error.located(source: url.path, root: root ?? nil)
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
}
