import ArgumentParser
import CohortData
import CohortLearn
import Foundation

/// `cohort inspect`: what a model file holds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model file's architecture, feature schema, preprocessing and provenance.")

    @Argument(help: "The model file.") var model: String

    func run() throws {
        let trained = try TrainedModel.read(from: URL(fileURLWithPath: model))
        let network = trained.network
        print("model      \(network.definition.name)\(network.definition.description.map { " — \($0)" } ?? "")")
        print("layers     \(network.summary)")
        print("task       \(trained.task.loss.rawValue), classes \(trained.task.classes.joined(separator: ", ")) (label '\(trained.schema.label.name)')")
        print("tensors")
        for (name, tensor) in zip(network.parameters.names, network.parameters.tensors) {
            print("  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(tensor.shape)  ‖·‖₂ = \(String(format: "%.4f", tensor.l2Norm))")
        }
        print("features   \(trained.task.inputWidth) encoded from \(trained.schema.activeFeatures.count) columns")
        // The schema's public ranges (needed for noised preprocessing statistics), by column.
        var ranges = [String: ClosedRange<Double>]()
        for column in trained.schema.features { if let range = column.range { ranges[column.name] = range } }
        for statistics in trained.preprocessing.features {
            switch statistics {
            case .numeric(let s):
                let range = ranges[s.name].map { "  range [\(format($0.lowerBound)), \(format($0.upperBound))]" } ?? ""
                print("  \(s.name.padding(toLength: 36, withPad: " ", startingAt: 0)) numeric  mean \(format(s.mean))  sd \(format(s.standardDeviation))\(s.imputedValue.map { "  impute \(format($0))" } ?? "")\(range)")
            case .categorical(let s):
                print("  \(s.name.padding(toLength: 36, withPad: " ", startingAt: 0)) categorical  \(s.levels.joined(separator: " | "))")
            }
        }
        let p = trained.provenance
        print("provenance \(p.createdBy), \(p.createdAt)")
        if let data = p.trainingData { print("  data     \(data)\(p.trainingRows.map { ", \($0) training rows" } ?? "")") }
        if let epochs = p.epochs { print("  epochs   \(epochs)") }
        print("  privacy  \(p.privacy ?? "none (not differentially private)")")
        for (key, value) in p.notes.sorted(by: { $0.key < $1.key }) { print("  \(key.padding(toLength: 8, withPad: " ", startingAt: 0)) \(value)") }
    }

    private func format(_ value: Double) -> String { String(format: "%.4g", value) }
}
