/// The four counts of a binary classifier at one threshold, and the rates built from them.
///
/// An example is *predicted positive* when its score is at or above the threshold
/// (`score >= threshold`, the convention of scikit-learn's `roc_curve`). With P = TP + FN
/// actual positives, N = TN + FP actual negatives:
///
/// | metric | formula | undefined when |
/// |---|---|---|
/// | accuracy | (TP + TN) / (P + N) | no examples |
/// | sensitivity (recall, TPR) | TP / P | P = 0 |
/// | specificity (TNR) | TN / N | N = 0 |
/// | PPV (precision) | TP / (TP + FP) | nothing predicted positive |
/// | NPV | TN / (TN + FN) | nothing predicted negative |
/// | balanced accuracy | (sensitivity + specificity) / 2 | P = 0 or N = 0 |
/// | F1 | 2·TP / (2·TP + FP + FN) | TP + FP + FN = 0 |
///
/// Balanced accuracy follows Brodersen, Ong, Stephan & Buhmann, "The balanced accuracy and
/// its posterior distribution", ICPR 2010. Where scikit-learn warns and substitutes 0 (or,
/// for balanced accuracy with one class, averages only the class present), these metrics
/// are `.undefined` with the reason.
///
/// Confusion matrices from different sites add up (`+`), so a federation can pool counts and
/// compute the rates once.
public struct BinaryConfusionMatrix: Sendable, Hashable, Codable {
    /// Positive examples predicted positive.
    public var truePositives: Int
    /// Negative examples predicted positive.
    public var falsePositives: Int
    /// Negative examples predicted negative.
    public var trueNegatives: Int
    /// Positive examples predicted negative.
    public var falseNegatives: Int

    /// A matrix with the given counts, each at least zero.
    public init(truePositives: Int, falsePositives: Int, trueNegatives: Int, falseNegatives: Int) {
        precondition(
            truePositives >= 0 && falsePositives >= 0 && trueNegatives >= 0 && falseNegatives >= 0,
            "confusion-matrix counts must be non-negative")
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
        self.falseNegatives = falseNegatives
    }

    /// The counts for `scores` against `labels` when `score >= threshold` predicts positive.
    ///
    /// A NaN score compares false and so counts as predicted negative; the metric functions
    /// of `BinaryPredictions` report `.undefined(reason: .nonFiniteScore)` before that matters.
    public init(scores: [Double], labels: [Bool], threshold: Double) {
        precondition(scores.count == labels.count, "\(scores.count) scores but \(labels.count) labels")
        var tp = 0, fp = 0, tn = 0, fn = 0
        for (score, label) in zip(scores, labels) {
            switch (score >= threshold, label) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, false): tn += 1
            case (false, true): fn += 1
            }
        }
        self.init(truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn)
    }

    /// All examples: TP + FP + TN + FN.
    public var total: Int { truePositives + falsePositives + trueNegatives + falseNegatives }
    /// Actual positives P = TP + FN.
    public var positives: Int { truePositives + falseNegatives }
    /// Actual negatives N = TN + FP.
    public var negatives: Int { trueNegatives + falsePositives }
    /// Examples predicted positive: TP + FP.
    public var predictedPositives: Int { truePositives + falsePositives }
    /// Examples predicted negative: TN + FN.
    public var predictedNegatives: Int { trueNegatives + falseNegatives }

    /// (TP + TN) / (P + N); undefined with no examples.
    public var accuracy: MetricValue {
        .ratio(truePositives + trueNegatives, total, else: .emptyInput)
    }

    /// Sensitivity, recall or true-positive rate: TP / P; undefined with no positives.
    public var sensitivity: MetricValue {
        total == 0 ? .undefined(reason: .emptyInput) : .ratio(truePositives, positives, else: .noPositives)
    }

    /// Specificity or true-negative rate: TN / N; undefined with no negatives.
    public var specificity: MetricValue {
        total == 0 ? .undefined(reason: .emptyInput) : .ratio(trueNegatives, negatives, else: .noNegatives)
    }

    /// Positive predictive value (precision): TP / (TP + FP); undefined when nothing is
    /// predicted positive.
    public var positivePredictiveValue: MetricValue {
        total == 0
            ? .undefined(reason: .emptyInput)
            : .ratio(truePositives, predictedPositives, else: .noPredictedPositives)
    }

    /// Negative predictive value: TN / (TN + FN); undefined when nothing is predicted negative.
    public var negativePredictiveValue: MetricValue {
        total == 0
            ? .undefined(reason: .emptyInput)
            : .ratio(trueNegatives, predictedNegatives, else: .noPredictedNegatives)
    }

    /// Balanced accuracy (sensitivity + specificity) / 2 (Brodersen et al. 2010); undefined
    /// unless both classes are present.
    public var balancedAccuracy: MetricValue {
        if total == 0 { return .undefined(reason: .emptyInput) }
        guard positives > 0, negatives > 0 else { return .undefined(reason: .onlyOneClassPresent) }
        let tpr = Double(truePositives) / Double(positives)
        let tnr = Double(trueNegatives) / Double(negatives)
        return .value((tpr + tnr) / 2)
    }

    /// F1, the harmonic mean of PPV and sensitivity: 2·TP / (2·TP + FP + FN); undefined when
    /// there are no positives and nothing is predicted positive.
    public var f1: MetricValue {
        if total == 0 { return .undefined(reason: .emptyInput) }
        return .ratio(
            2 * truePositives, 2 * truePositives + falsePositives + falseNegatives,
            else: .noPositivesAndNoPredictedPositives)
    }

    /// The element-wise sum: the counts of the two evaluation sets pooled.
    public static func + (lhs: BinaryConfusionMatrix, rhs: BinaryConfusionMatrix) -> BinaryConfusionMatrix {
        BinaryConfusionMatrix(
            truePositives: lhs.truePositives + rhs.truePositives,
            falsePositives: lhs.falsePositives + rhs.falsePositives,
            trueNegatives: lhs.trueNegatives + rhs.trueNegatives,
            falseNegatives: lhs.falseNegatives + rhs.falseNegatives)
    }
}
