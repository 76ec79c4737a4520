import ArgumentParser
import CohortLearn
import Foundation

/// `cohort evaluate`: score a model file on held-out data that stays where it is.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model file on a labelled CSV: metrics table, ROC curve and calibration report.")

    @Option(help: "The model file (safetensors written by Cohort).") var model: String
    @Option(help: "The held-out CSV (same columns as the training data, label included).") var data: String
    @Option(help: "Where to write the HTML report (default: NAME.report.html next to the model).") var report: String?
    @Flag(help: "Print one JSON object instead of the table.") var json = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        compute.apply()
        let trained = try TrainedModel.read(from: URL(fileURLWithPath: model))
        let evaluation = try ModelEvaluation(model: trained, csv: URL(fileURLWithPath: data))
        let reportPath = report ?? (model.hasSuffix(".safetensors") ? String(model.dropLast(12)) : model) + ".report.html"
        let html = EvaluationReport.html(evaluation, title: "\(trained.network.definition.name) on \(URL(fileURLWithPath: data).lastPathComponent)")
        try Data(html.utf8).write(to: URL(fileURLWithPath: reportPath), options: .atomic)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(evaluation), as: UTF8.self))
        } else {
            print("\(trained.network.definition.name) on \(data) (\(evaluation.examples) rows)")
            print(evaluation.table())
            print("report: \(reportPath)")
        }
    }
}
