import Foundation

/// A multi-class classifier's class probabilities on an evaluation set, with the true
/// labels: the input to every multi-class metric.
///
/// Probabilities are a row-major n×k matrix (row i: the k class probabilities of example
/// i), given as rows or flat. Labels are class indices in 0..<k. The predicted class of an
/// example is the index of its largest probability, the first on ties (NumPy's `argmax`).
///
/// ```swift
/// let predictions = MulticlassPredictions(
///     probabilities: [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], labels: [0, 1])
/// predictions.accuracy()   // 0.5
/// predictions.logLoss()    // (−ln 0.7 − ln 0.3) / 2
/// ```
///
/// Every metric is a `MetricValue`: empty input gives `.undefined(reason: .emptyInput)`
/// and a NaN or infinite probability `.undefined(reason: .nonFiniteScore)`. Rows of the
/// wrong length and labels outside 0..<k are programming errors (precondition failures).
public struct MulticlassPredictions: Sendable, Hashable {
    /// The number of classes k.
    public let classCount: Int
    /// The n×k probabilities, row-major.
    public let probabilities: [Double]
    /// The true class of each example, in 0..<k.
    public let labels: [Int]

    /// Predictions from a flat row-major n×k array of probabilities.
    public init<Score: BinaryFloatingPoint>(flatProbabilities: [Score], classCount: Int, labels: [Int]) {
        precondition(classCount >= 1, "classCount must be at least 1, got \(classCount)")
        precondition(flatProbabilities.count == labels.count * classCount,
                     "\(flatProbabilities.count) probabilities are not \(labels.count) rows of \(classCount)")
        for (index, label) in labels.enumerated() {
            precondition((0..<classCount).contains(label),
                         "label at index \(index) is \(label), outside 0..<\(classCount)")
        }
        self.classCount = classCount
        probabilities = flatProbabilities.map { Double($0) }
        self.labels = labels
    }

    /// Predictions from rows of k probabilities. k is `classCount` if given, else the
    /// length of the first row (1 when there are no rows, where every metric is undefined
    /// anyway); every row must have k entries.
    public init<Score: BinaryFloatingPoint>(probabilities rows: [[Score]], labels: [Int], classCount: Int? = nil) {
        precondition(rows.count == labels.count, "\(rows.count) rows but \(labels.count) labels")
        let k = classCount ?? rows.first?.count ?? 1
        for (index, row) in rows.enumerated() {
            precondition(row.count == k, "row \(index) has \(row.count) probabilities, expected \(k)")
        }
        self.init(flatProbabilities: rows.flatMap { $0 }, classCount: k, labels: labels)
    }

    /// Number of examples n.
    public var count: Int { labels.count }

    /// The k probabilities of example `i`.
    public func row(_ i: Int) -> ArraySlice<Double> {
        probabilities[(i * classCount)..<((i + 1) * classCount)]
    }

    /// The reason every metric is undefined, if one applies to all.
    private var commonUndefinedReason: MetricValue.Reason? {
        if count == 0 { return .emptyInput }
        if !probabilities.allSatisfy(\.isFinite) { return .nonFiniteScore }
        return nil
    }

    /// The predicted class of each example: the index of the largest probability, the
    /// first one on ties. (With a NaN in a row the result is unspecified; the metrics
    /// report `.nonFiniteScore` instead.)
    public func predictedClasses() -> [Int] {
        (0..<count).map { i in
            var best = 0
            let values = row(i)
            for (j, p) in zip(0..., values) where p > values[values.startIndex + best] {
                best = j
            }
            return best
        }
    }

    /// The k×k confusion matrix of predicted classes against labels.
    public func confusionMatrix() -> MulticlassConfusionMatrix {
        MulticlassConfusionMatrix(labels: labels, predicted: predictedClasses(), classCount: classCount)
    }

    /// A metric of the confusion matrix, or the reason every metric is undefined.
    private func fromMatrix(_ metric: (MulticlassConfusionMatrix) -> MetricValue) -> MetricValue {
        if let reason = commonUndefinedReason { return .undefined(reason: reason) }
        return metric(confusionMatrix())
    }

    /// Accuracy: the fraction of examples whose predicted class is the label.
    public func accuracy() -> MetricValue { fromMatrix(\.accuracy) }

    /// Balanced accuracy, the mean per-class recall; undefined if any class has no
    /// examples. See `MulticlassConfusionMatrix`.
    public func balancedAccuracy() -> MetricValue { fromMatrix(\.balancedAccuracy) }

    /// Macro-F1, the unweighted mean of per-class F1; undefined if any class has neither
    /// examples nor predictions. See `MulticlassConfusionMatrix`.
    public func macroF1() -> MetricValue { fromMatrix(\.macroF1) }

    /// Multi-class log-loss (cross-entropy), in nats:
    ///
    ///     L = −(1/n) Σ_i ln p_{i, y_i}
    ///
    /// with the probability of the true class clipped to [1e-15, 1 − 1e-15], scikit-learn's
    /// `log_loss` with `eps=1e-15` (its default until 1.3). Rows are not renormalised: each probability must lie in
    /// [0, 1] (else `.invalidProbability`) and each row must sum to 1 within 1e-4 (else
    /// `.probabilitiesDoNotSumToOne`), which is what scikit-learn 1.5 checks too.
    public func logLoss() -> MetricValue {
        if let reason = commonUndefinedReason { return .undefined(reason: reason) }
        guard probabilities.allSatisfy(Calibration.isProbability) else {
            return .undefined(reason: .invalidProbability)
        }
        let epsilon = BinaryPredictions.logLossEpsilon
        var sum = 0.0
        for (i, label) in labels.enumerated() {
            let values = row(i)
            guard abs(values.reduce(0, +) - 1) <= 1e-4 else {
                return .undefined(reason: .probabilitiesDoNotSumToOne)
            }
            let p = min(max(values[values.startIndex + label], epsilon), 1 - epsilon)
            sum -= log(p)
        }
        return .value(sum / Double(count))
    }
}
