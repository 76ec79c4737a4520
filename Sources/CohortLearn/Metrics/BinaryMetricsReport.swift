/// Every binary metric of one evaluation set, computed at once: what `cohort evaluate`
/// prints and what a run's `metrics.jsonl` records.
///
/// Threshold metrics use `score >= threshold`; calibration uses `calibrationBinCount`
/// equal-width bins. Each metric is a `MetricValue`, so an undefined one carries its reason
/// through to the table and the JSON.
///
/// **JSON.** The synthesised `Codable` form, with each metric an object as described in
/// `MetricValue+Codable.swift`:
///
/// ```json
/// {"exampleCount": 4, "positiveCount": 2, "negativeCount": 2, "threshold": 0.5,
///  "auroc": {"value": 0.75},
///  "positivePredictiveValue": {"value": null, "reason": "no predicted positives"}, ...}
/// ```
public struct BinaryMetricsReport: Sendable, Hashable, Codable {
    /// Examples evaluated.
    public var exampleCount: Int
    /// Positive examples.
    public var positiveCount: Int
    /// Negative examples.
    public var negativeCount: Int
    /// The decision threshold of the threshold metrics.
    public var threshold: Double
    /// TP, FP, TN and FN at `threshold`.
    public var confusionMatrix: BinaryConfusionMatrix
    /// (TP + TN) / n at `threshold`.
    public var accuracy: MetricValue
    /// (sensitivity + specificity) / 2 at `threshold`.
    public var balancedAccuracy: MetricValue
    /// TP / P at `threshold`.
    public var sensitivity: MetricValue
    /// TN / N at `threshold`.
    public var specificity: MetricValue
    /// TP / (TP + FP) at `threshold`.
    public var positivePredictiveValue: MetricValue
    /// TN / (TN + FN) at `threshold`.
    public var negativePredictiveValue: MetricValue
    /// 2·TP / (2·TP + FP + FN) at `threshold`.
    public var f1: MetricValue
    /// Mann–Whitney AUROC (Hanley & McNeil 1982).
    public var auroc: MetricValue
    /// Average precision, scikit-learn's step-wise AUPRC.
    public var averagePrecision: MetricValue
    /// Mean binary cross-entropy with probabilities clipped to [1e-15, 1 − 1e-15].
    public var logLoss: MetricValue
    /// Mean squared error of the probabilities (Brier 1950).
    public var brierScore: MetricValue
    /// Expected calibration error (Naeini et al. 2015; Guo et al. 2017).
    public var expectedCalibrationError: MetricValue
    /// Maximum calibration error over non-empty bins.
    public var maximumCalibrationError: MetricValue
    /// The reliability-diagram bins behind the two calibration errors.
    public var calibrationBins: [CalibrationBin]

    /// Computes every metric of `predictions`.
    public init(_ predictions: BinaryPredictions, threshold: Double = 0.5, calibrationBinCount: Int = 10) {
        exampleCount = predictions.count
        positiveCount = predictions.positiveCount
        negativeCount = predictions.negativeCount
        self.threshold = threshold
        confusionMatrix = predictions.confusionMatrix(threshold: threshold)
        accuracy = predictions.accuracy(threshold: threshold)
        balancedAccuracy = predictions.balancedAccuracy(threshold: threshold)
        sensitivity = predictions.sensitivity(threshold: threshold)
        specificity = predictions.specificity(threshold: threshold)
        positivePredictiveValue = predictions.positivePredictiveValue(threshold: threshold)
        negativePredictiveValue = predictions.negativePredictiveValue(threshold: threshold)
        f1 = predictions.f1(threshold: threshold)
        auroc = predictions.auroc()
        averagePrecision = predictions.averagePrecision()
        logLoss = predictions.logLoss()
        brierScore = predictions.brierScore()
        let calibration = predictions.calibration(binCount: calibrationBinCount)
        expectedCalibrationError = calibration.expectedCalibrationError
        maximumCalibrationError = calibration.maximumCalibrationError
        calibrationBins = calibration.bins
    }

    /// Computes every metric of `scores` (positive-class probabilities) against labels 0/1.
    public init<Score: BinaryFloatingPoint>(
        scores: [Score], labels: [Int], threshold: Double = 0.5, calibrationBinCount: Int = 10
    ) {
        self.init(BinaryPredictions(scores: scores, labels: labels), threshold: threshold,
                  calibrationBinCount: calibrationBinCount)
    }

    /// Computes every metric of `scores` (positive-class probabilities) against Boolean labels.
    public init<Score: BinaryFloatingPoint>(
        scores: [Score], labels: [Bool], threshold: Double = 0.5, calibrationBinCount: Int = 10
    ) {
        self.init(BinaryPredictions(scores: scores, labels: labels), threshold: threshold,
                  calibrationBinCount: calibrationBinCount)
    }

    /// The metrics in table order, with names for people.
    public var namedValues: [(name: String, value: MetricValue)] {
        let at = " @ " + MetricsTable.threshold(threshold)
        return [
            ("accuracy" + at, accuracy),
            ("balanced accuracy" + at, balancedAccuracy),
            ("sensitivity" + at, sensitivity),
            ("specificity" + at, specificity),
            ("PPV" + at, positivePredictiveValue),
            ("NPV" + at, negativePredictiveValue),
            ("F1" + at, f1),
            ("AUROC", auroc),
            ("AUPRC (average precision)", averagePrecision),
            ("log-loss", logLoss),
            ("Brier score", brierScore),
            ("ECE (\(calibrationBins.count) bins)", expectedCalibrationError),
            ("MCE (\(calibrationBins.count) bins)", maximumCalibrationError),
        ]
    }

    /// A plain-text table of the counts and every metric, values rounded to `decimals`
    /// places, undefined ones as `undefined (reason)`.
    public func table(decimals: Int = 4) -> String {
        var rows: [(name: String, value: String)] = [
            ("examples", "\(exampleCount)"),
            ("positives", "\(positiveCount)"),
            ("negatives", "\(negativeCount)"),
            ("TP / FP / TN / FN", "\(confusionMatrix.truePositives) / \(confusionMatrix.falsePositives) / "
                + "\(confusionMatrix.trueNegatives) / \(confusionMatrix.falseNegatives)"),
        ]
        rows += namedValues.map { ($0.name, $0.value.formatted(decimals: decimals)) }
        return MetricsTable.render(rows)
    }
}
