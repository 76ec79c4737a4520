/// Every multi-class metric of one evaluation set, computed at once, with the confusion
/// matrix and the per-class precision, recall and F1.
///
/// The synthesised `Codable` form writes each metric as `{"value": x}` or
/// `{"value": null, "reason": "..."}` (see `MetricValue+Codable.swift`) and the confusion
/// matrix as `{"classCount": k, "counts": [[...], ...]}`.
public struct MulticlassMetricsReport: Sendable, Hashable, Codable {
    /// The per-class rates of one class.
    public struct ClassMetrics: Sendable, Hashable, Codable {
        /// The class index.
        public var classIndex: Int
        /// Examples of this class.
        public var support: Int
        /// TP_c / (TP_c + FP_c).
        public var precision: MetricValue
        /// TP_c / (TP_c + FN_c).
        public var recall: MetricValue
        /// 2·TP_c / (2·TP_c + FP_c + FN_c).
        public var f1: MetricValue
    }

    /// Examples evaluated.
    public var exampleCount: Int
    /// The number of classes k.
    public var classCount: Int
    /// The k×k confusion matrix, rows true class, columns predicted class.
    public var confusionMatrix: MulticlassConfusionMatrix
    /// The fraction predicted correctly.
    public var accuracy: MetricValue
    /// Mean per-class recall.
    public var balancedAccuracy: MetricValue
    /// Unweighted mean of per-class F1.
    public var macroF1: MetricValue
    /// −(1/n) Σ ln p_{i, y_i}, probabilities clipped to [1e-15, 1 − 1e-15].
    public var logLoss: MetricValue
    /// Precision, recall and F1 of each class.
    public var perClass: [ClassMetrics]

    /// Computes every metric of `predictions`.
    public init(_ predictions: MulticlassPredictions) {
        exampleCount = predictions.count
        classCount = predictions.classCount
        let matrix = predictions.confusionMatrix()
        confusionMatrix = matrix
        accuracy = predictions.accuracy()
        balancedAccuracy = predictions.balancedAccuracy()
        macroF1 = predictions.macroF1()
        logLoss = predictions.logLoss()
        // Per-class rates need the same validity as the averages: reuse their reason.
        let common: MetricValue? = accuracy.isDefined ? nil : accuracy
        perClass = (0..<predictions.classCount).map { c in
            ClassMetrics(
                classIndex: c, support: matrix.support(of: c),
                precision: common ?? matrix.precision(of: c),
                recall: common ?? matrix.recall(of: c),
                f1: common ?? matrix.f1(of: c))
        }
    }

    /// The averaged metrics in table order, with names for people.
    public var namedValues: [(name: String, value: MetricValue)] {
        [
            ("accuracy", accuracy),
            ("balanced accuracy", balancedAccuracy),
            ("macro-F1", macroF1),
            ("log-loss", logLoss),
        ]
    }

    /// A plain-text table: the counts, the averaged metrics, then precision, recall and F1
    /// of each class, values rounded to `decimals` places.
    public func table(decimals: Int = 4) -> String {
        var rows: [(name: String, value: String)] = [
            ("examples", "\(exampleCount)"),
            ("classes", "\(classCount)"),
        ]
        rows += namedValues.map { ($0.name, $0.value.formatted(decimals: decimals)) }
        for metrics in perClass {
            let c = metrics.classIndex
            rows.append(("class \(c) support", "\(metrics.support)"))
            rows.append(("class \(c) precision", metrics.precision.formatted(decimals: decimals)))
            rows.append(("class \(c) recall", metrics.recall.formatted(decimals: decimals)))
            rows.append(("class \(c) F1", metrics.f1.formatted(decimals: decimals)))
        }
        return MetricsTable.render(rows)
    }
}
