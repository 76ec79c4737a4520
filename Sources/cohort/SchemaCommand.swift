import ArgumentParser
import CohortData
import Foundation

/// `cohort schema`: infer a CSV's schema, write it out to be edited, and check one.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Infer a CSV's schema (to edit and pass back with --schema), or check a CSV against one.",
        discussion: """
            Inference: a column whose non-empty cells are all numbers is numeric, otherwise
            categorical (one-hot over its levels); missing cells are imputed from the
            training split. Edit the JSON to make a column categorical, ignore it, or reject
            rows where it is missing, then pass it to `cohort train --schema FILE`.
            """)

    @Option(help: "The CSV file.") var data: String
    @Option(help: "The label column (for inference).") var label: String?
    @Option(help: "Write the inferred schema here (default: print it).") var out: String?
    @Option(help: "Check the CSV against this schema instead of inferring one.") var check: String?

    func validate() throws {
        if check == nil && label == nil { throw ValidationError("give --label COLUMN to infer a schema, or --check SCHEMA") }
    }

    func run() throws {
        let table = try CSVTable(contentsOf: URL(fileURLWithPath: data))
        if let check {
            let schema = try Schema(contentsOf: URL(fileURLWithPath: check))
            let validated = try schema.validate(table)
            print("\(data): \(validated.labels.count) rows match \(check) (\(schema.activeFeatures.count) features, classes \(schema.label.classes.joined(separator: ", ")))")
            return
        }
        let schema = try Schema.infer(from: table, label: label ?? "")
        if let out {
            try schema.write(to: URL(fileURLWithPath: out))
            print("wrote \(out): \(schema.features.count) features, label '\(schema.label.name)' with classes \(schema.label.classes.joined(separator: ", "))")
        } else {
            print(String(decoding: try schema.jsonData(), as: UTF8.self))
        }
    }
}
