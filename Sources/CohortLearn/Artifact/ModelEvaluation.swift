import CohortData
import CohortTensor
import Foundation

/// A model scored on labelled data: all the metrics of its task, plus what the report
/// plots (the ROC curve and calibration bins for a binary label).
public struct ModelEvaluation: Sendable, Encodable {
    /// "binary" or "multiclass".
    public var kind: String
    public var examples: Int
    public var classes: [String]
    public var binary: BinaryMetricsReport?
    public var multiclass: MulticlassMetricsReport?
    /// ROC curve points (binary only; absent when one class is missing).
    public var roc: ROCCurve?

    /// Scores `model` on `data` (already encoded with the model's statistics).
    public init(model: TrainedModel, data: DesignMatrix) throws {
        let probabilities = model.probabilities(data.features)
        classes = model.task.classes
        examples = data.rowCount
        if classes.count == 2 {
            kind = "binary"
            let scores = (0..<data.rowCount).map { Double(probabilities[$0, 1]) }
            let predictions = BinaryPredictions(scores: scores, labels: data.labels)
            binary = BinaryMetricsReport(predictions)
            roc = predictions.rocCurve()
        } else {
            kind = "multiclass"
            multiclass = MulticlassMetricsReport(MulticlassPredictions(
                flatProbabilities: probabilities.scalars.map(Double.init), classCount: classes.count, labels: data.labels))
        }
    }

    /// Reads `csv`, validates it against the model's schema and scores it.
    public init(model: TrainedModel, csv: URL) throws {
        try self.init(model: model, data: model.encode(CSVTable(contentsOf: csv)))
    }

    /// The metrics as a plain-text table.
    public func table() -> String {
        binary?.table() ?? multiclass?.table() ?? ""
    }

    /// The headline metric: AUROC for a binary label (when defined), else accuracy.
    public var headline: (name: String, value: Double?) {
        if let binary { return ("AUROC", binary.auroc.doubleValue) }
        return ("accuracy", multiclass?.accuracy.doubleValue)
    }
}
