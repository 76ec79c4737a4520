/// The k×k confusion matrix of a multi-class classifier, and the per-class and averaged
/// rates built from it.
///
/// `counts[i][j]` is the number of examples of true class i predicted as class j (rows are
/// truth, columns predictions, as in scikit-learn's `confusion_matrix`). For class c, with
/// TP_c = counts[c][c], FN_c the rest of row c and FP_c the rest of column c:
///
/// | metric | formula | undefined when |
/// |---|---|---|
/// | accuracy | Σ_c TP_c / n | no examples |
/// | recall(c) | TP_c / (TP_c + FN_c) | class c has no examples |
/// | precision(c) | TP_c / (TP_c + FP_c) | nothing is predicted as c |
/// | F1(c) | 2·TP_c / (2·TP_c + FP_c + FN_c) | c has no examples and no predictions |
/// | balanced accuracy | (1/k) Σ_c recall(c) | any class has no examples |
/// | macro-F1 | (1/k) Σ_c F1(c) | any class has no examples and no predictions |
///
/// Balanced accuracy is the mean per-class recall (Brodersen et al., ICPR 2010; Kelleher,
/// Mac Namee & D'Arcy, 2015). Macro-F1 is the unweighted mean of per-class F1 (Sokolova &
/// Lapalme, "A systematic analysis of performance measures for classification tasks",
/// Information Processing & Management 2009).
///
/// **Differences from scikit-learn, on purpose.** A mean over classes is undefined when any
/// of its terms is, so a site's report never silently averages over fewer classes than the
/// model has. scikit-learn's `balanced_accuracy_score` instead warns and averages the
/// recall of the classes present; `f1_score(average="macro")` without `labels=` averages
/// over the classes seen in truth or predictions, and with `labels=` counts a class with
/// no examples and no predictions as F1 = 0. Where every class has examples, all agree.
/// A class with predictions but no examples has F1 = 0 here as there (TP = FN = 0, FP > 0).
public struct MulticlassConfusionMatrix: Sendable, Hashable, Codable {
    /// The number of classes k.
    public let classCount: Int
    /// `counts[trueClass][predictedClass]`, k rows of k counts.
    public private(set) var counts: [[Int]]

    /// An all-zero matrix for `classCount` classes.
    public init(classCount: Int) {
        precondition(classCount >= 0, "classCount must be non-negative, got \(classCount)")
        self.classCount = classCount
        counts = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
    }

    /// A matrix from k×k counts in row-major order (true class, predicted class), as
    /// another party computed them; nil unless there are k² counts, all ≥ 0.
    public init?(classCount: Int, rowMajorCounts: [Int]) {
        guard classCount >= 1, rowMajorCounts.count == classCount * classCount, rowMajorCounts.allSatisfy({ $0 >= 0 })
        else { return nil }
        self.classCount = classCount
        counts = (0..<classCount).map { Array(rowMajorCounts[($0 * classCount)..<(($0 + 1) * classCount)]) }
    }

    /// The matrix of `predicted` classes against `labels`, each in 0..<classCount.
    public init(labels: [Int], predicted: [Int], classCount: Int) {
        precondition(labels.count == predicted.count, "\(labels.count) labels but \(predicted.count) predictions")
        self.init(classCount: classCount)
        for (index, (truth, guess)) in zip(labels, predicted).enumerated() {
            precondition((0..<classCount).contains(truth),
                         "label at index \(index) is \(truth), outside 0..<\(classCount)")
            precondition((0..<classCount).contains(guess),
                         "prediction at index \(index) is \(guess), outside 0..<\(classCount)")
            counts[truth][guess] += 1
        }
    }

    /// All examples.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    /// Examples of true class `c`: the sum of row c.
    public func support(of c: Int) -> Int { counts[c].reduce(0, +) }
    /// Examples predicted as class `c`: the sum of column c.
    public func predictedCount(of c: Int) -> Int { counts.reduce(0) { $0 + $1[c] } }

    /// Σ_c TP_c / n; undefined with no examples.
    public var accuracy: MetricValue {
        .ratio((0..<classCount).reduce(0) { $0 + counts[$1][$1] }, total, else: .emptyInput)
    }

    /// Recall of class `c`: TP_c / (TP_c + FN_c); undefined when the class has no examples.
    public func recall(of c: Int) -> MetricValue {
        total == 0 ? .undefined(reason: .emptyInput) : .ratio(counts[c][c], support(of: c), else: .classAbsentFromLabels)
    }

    /// Precision of class `c`: TP_c / (TP_c + FP_c); undefined when nothing is predicted as c.
    public func precision(of c: Int) -> MetricValue {
        total == 0
            ? .undefined(reason: .emptyInput)
            : .ratio(counts[c][c], predictedCount(of: c), else: .classNeverPredicted)
    }

    /// F1 of class `c`: 2·TP_c / (2·TP_c + FP_c + FN_c), the harmonic mean of its precision
    /// and recall; undefined when the class has no examples and no predictions.
    public func f1(of c: Int) -> MetricValue {
        if total == 0 { return .undefined(reason: .emptyInput) }
        let tp = counts[c][c]
        let denominator = support(of: c) + predictedCount(of: c)  // = 2·TP + FN + FP
        return .ratio(2 * tp, denominator, else: .classAbsentFromLabelsAndPredictions)
    }

    /// Balanced accuracy, the mean per-class recall (1/k) Σ_c recall(c); undefined if any
    /// class has no examples (see the type's note on scikit-learn).
    public var balancedAccuracy: MetricValue {
        .mean((0..<classCount).map(recall(of:)), emptyReason: .emptyInput)
    }

    /// Macro-F1, the unweighted mean (1/k) Σ_c F1(c); undefined if any class has neither
    /// examples nor predictions (see the type's note on scikit-learn).
    public var macroF1: MetricValue {
        .mean((0..<classCount).map(f1(of:)), emptyReason: .emptyInput)
    }

    /// The element-wise sum: the counts of the two evaluation sets pooled.
    public static func + (lhs: MulticlassConfusionMatrix, rhs: MulticlassConfusionMatrix) -> MulticlassConfusionMatrix {
        precondition(lhs.classCount == rhs.classCount, "cannot add \(lhs.classCount)- and \(rhs.classCount)-class matrices")
        var sum = lhs
        for i in 0..<lhs.classCount {
            for j in 0..<lhs.classCount {
                sum.counts[i][j] += rhs.counts[i][j]
            }
        }
        return sum
    }
}
