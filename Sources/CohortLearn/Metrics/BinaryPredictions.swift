/// A binary classifier's scores on an evaluation set, with the true labels: the input to
/// every binary metric.
///
/// A score is the model's probability of the positive class (or, for the ranking and
/// threshold metrics, any real number that is larger for more likely positives). Scores
/// are stored as `Double`; `Float` scores convert exactly, so ties are kept.
///
/// ```swift
/// let predictions = BinaryPredictions(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1])
/// predictions.auroc()              // 0.75
/// predictions.averagePrecision()   // 0.8333…
/// predictions.sensitivity(threshold: 0.5)  // 0.5
/// ```
///
/// The metrics are grouped by what they need: threshold metrics here, ranking metrics
/// (AUROC, average precision, ROC curve) in `BinaryPredictions+Ranking.swift`, probability
/// metrics (log-loss, Brier score, calibration) in `BinaryPredictions+Probability.swift`.
/// Every metric is a `MetricValue`: empty input, a missing class or a zero denominator give
/// `.undefined` with the reason, never a crash or a NaN. So does any NaN or infinite score.
///
/// Mismatched lengths and labels other than 0 and 1 are programming errors (labels reach
/// here already validated by `CohortData`) and stop with a precondition failure.
public struct BinaryPredictions: Sendable, Hashable {
    /// The scores, one per example.
    public let scores: [Double]
    /// The true labels, `true` for the positive class.
    public let labels: [Bool]
    /// Positive examples.
    public let positiveCount: Int
    /// How many scores are NaN or infinite.
    public let nonFiniteScoreCount: Int

    /// Predictions from scores and Boolean labels (`true` = positive).
    public init<Score: BinaryFloatingPoint>(scores: [Score], labels: [Bool]) {
        precondition(scores.count == labels.count, "\(scores.count) scores but \(labels.count) labels")
        self.scores = scores.map { Double($0) }
        self.labels = labels
        positiveCount = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        nonFiniteScoreCount = self.scores.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
    }

    /// Predictions from scores and integer labels, each 0 (negative) or 1 (positive).
    public init<Score: BinaryFloatingPoint>(scores: [Score], labels: [Int]) {
        let booleans = labels.enumerated().map { index, label -> Bool in
            precondition(label == 0 || label == 1, "label at index \(index) is \(label); binary labels are 0 or 1")
            return label == 1
        }
        self.init(scores: scores, labels: booleans)
    }

    /// Number of examples.
    public var count: Int { scores.count }
    /// Negative examples.
    public var negativeCount: Int { count - positiveCount }

    /// The reason every metric of these predictions is undefined, if there is one that
    /// applies to all: no examples, or a NaN or infinite score.
    var commonUndefinedReason: MetricValue.Reason? {
        if count == 0 { return .emptyInput }
        if nonFiniteScoreCount > 0 { return .nonFiniteScore }
        return nil
    }

    // MARK: Threshold metrics

    /// TP, FP, TN and FN when `score >= threshold` predicts positive.
    ///
    /// A NaN score counts as predicted negative here; the metric functions below report
    /// `.undefined(reason: .nonFiniteScore)` instead.
    public func confusionMatrix(threshold: Double = 0.5) -> BinaryConfusionMatrix {
        BinaryConfusionMatrix(scores: scores, labels: labels, threshold: threshold)
    }

    /// A rate from the confusion matrix at `threshold`, or the reason every metric is undefined.
    private func rate(
        threshold: Double, _ metric: (BinaryConfusionMatrix) -> MetricValue
    ) -> MetricValue {
        if let reason = commonUndefinedReason { return .undefined(reason: reason) }
        return metric(confusionMatrix(threshold: threshold))
    }

    /// Accuracy (TP + TN) / n at `threshold`.
    public func accuracy(threshold: Double = 0.5) -> MetricValue {
        rate(threshold: threshold) { $0.accuracy }
    }

    /// Balanced accuracy (sensitivity + specificity) / 2 at `threshold` (Brodersen et al.
    /// 2010); undefined unless both classes are present.
    public func balancedAccuracy(threshold: Double = 0.5) -> MetricValue {
        rate(threshold: threshold) { $0.balancedAccuracy }
    }

    /// Sensitivity (recall, true-positive rate) TP / (TP + FN) at `threshold`; undefined
    /// with no positive examples.
    public func sensitivity(threshold: Double = 0.5) -> MetricValue {
        rate(threshold: threshold) { $0.sensitivity }
    }

    /// Specificity (true-negative rate) TN / (TN + FP) at `threshold`; undefined with no
    /// negative examples.
    public func specificity(threshold: Double = 0.5) -> MetricValue {
        rate(threshold: threshold) { $0.specificity }
    }

    /// Positive predictive value (precision) TP / (TP + FP) at `threshold`; undefined when
    /// no example is predicted positive.
    public func positivePredictiveValue(threshold: Double = 0.5) -> MetricValue {
        rate(threshold: threshold) { $0.positivePredictiveValue }
    }

    /// Negative predictive value TN / (TN + FN) at `threshold`; undefined when no example
    /// is predicted negative.
    public func negativePredictiveValue(threshold: Double = 0.5) -> MetricValue {
        rate(threshold: threshold) { $0.negativePredictiveValue }
    }

    /// F1 = 2·TP / (2·TP + FP + FN) at `threshold`; undefined with no positives and no
    /// predicted positives.
    public func f1(threshold: Double = 0.5) -> MetricValue {
        rate(threshold: threshold) { $0.f1 }
    }

    // MARK: Ranking

    /// The examples grouped by equal score, highest score first; O(n log n).
    /// Requires every score to be finite.
    func tieGroups() -> [TieGroup] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var groups: [TieGroup] = []
        for index in order {
            let score = scores[index]
            let positive = labels[index]
            if let last = groups.indices.last, groups[last].score == score {
                if positive { groups[last].positives += 1 } else { groups[last].negatives += 1 }
            } else {
                groups.append(TieGroup(score: score, positives: positive ? 1 : 0, negatives: positive ? 0 : 1))
            }
        }
        return groups
    }
}
