/// The value of an evaluation metric, or the reason it has none.
///
/// Many clinical metrics are ratios whose denominator can be zero on a real evaluation set:
/// sensitivity at a site with no positive cases, positive predictive value for a model that
/// never predicts positive, AUROC when only one class is present. Printing `NaN`, `0` or
/// `1` there would look like a measurement; `MetricValue` makes the gap visible instead.
///
/// ```swift
/// let auroc = BinaryPredictions(scores: [0.2, 0.9], labels: [1, 1]).auroc()
/// print(auroc)           // undefined (only one class present)
/// auroc.doubleValue      // nil
/// ```
///
/// A `.value` is always finite: every metric in this module returns `.undefined` rather
/// than a NaN or an infinity. JSON encoding is described in `MetricValue+Codable.swift`.
public enum MetricValue: Sendable, Hashable, CustomStringConvertible {
    /// A defined, finite number.
    case value(Double)
    /// No number exists for this input; `reason` says why.
    case undefined(reason: Reason)

    /// Why a metric has no value.
    ///
    /// The raw value is the human-readable explanation; it is also what JSON carries, so a
    /// report read back from disk keeps the reason.
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
        /// The input has no examples.
        case emptyInput = "no examples"
        /// Both classes are needed (AUROC, average precision, balanced accuracy), but the
        /// labels hold only one.
        case onlyOneClassPresent = "only one class present"
        /// The denominator is the number of positive examples (sensitivity), and it is zero.
        case noPositives = "no positive examples"
        /// The denominator is the number of negative examples (specificity), and it is zero.
        case noNegatives = "no negative examples"
        /// The denominator is the number of predicted positives (PPV), and it is zero.
        case noPredictedPositives = "no predicted positives"
        /// The denominator is the number of predicted negatives (NPV), and it is zero.
        case noPredictedNegatives = "no predicted negatives"
        /// F1 is 2·TP / (2·TP + FP + FN) and all three counts are zero.
        case noPositivesAndNoPredictedPositives = "no positive examples and no predicted positives"
        /// A per-class recall, or a mean over classes that needs it, has a class with no
        /// examples in the labels.
        case classAbsentFromLabels = "a class has no examples"
        /// A per-class precision has a class that no example is predicted as.
        case classNeverPredicted = "no example is predicted as this class"
        /// A per-class F1, or macro-F1, has a class with no examples and no predictions.
        case classAbsentFromLabelsAndPredictions = "a class has no examples and no predictions"
        /// A score is NaN or infinite, so it cannot be ranked or compared with a threshold.
        case nonFiniteScore = "a score is NaN or infinite"
        /// A probability metric (log-loss, Brier score, calibration) was given a score that
        /// is not a probability in [0, 1].
        case invalidProbability = "a score is not a probability in [0, 1]"
        /// A row of class probabilities does not sum to 1 (within 1e-4).
        case probabilitiesDoNotSumToOne = "a row of probabilities does not sum to 1"
        /// A calibration bin holds no examples.
        case emptyBin = "no examples in this bin"

        /// The explanation, e.g. `only one class present`.
        public var description: String { rawValue }
    }

    /// The number, or `nil` when the metric is undefined.
    public var doubleValue: Double? {
        switch self {
        case .value(let x): x
        case .undefined: nil
        }
    }

    /// Whether the metric has a value.
    public var isDefined: Bool { doubleValue != nil }

    /// The reason, or `nil` when the metric has a value.
    public var undefinedReason: Reason? {
        switch self {
        case .value: nil
        case .undefined(let reason): reason
        }
    }

    /// The full-precision number (`0.75`), or `undefined (` reason `)`.
    public var description: String {
        switch self {
        case .value(let x): "\(x)"
        case .undefined(let reason): "undefined (\(reason))"
        }
    }

    /// The number rounded to `decimals` places (`0.7500`), or `undefined (` reason `)`:
    /// what a table for people shows.
    public func formatted(decimals: Int = 4) -> String {
        switch self {
        case .value(let x): Self.fixed(x, decimals: decimals)
        case .undefined: description
        }
    }

    /// `numerator / denominator`, or `.undefined(reason:)` when the denominator is zero.
    static func ratio(_ numerator: Int, _ denominator: Int, else reason: Reason) -> MetricValue {
        denominator == 0 ? .undefined(reason: reason) : .value(Double(numerator) / Double(denominator))
    }

    /// The mean of `terms`, undefined with the first term's reason if any term is undefined,
    /// and with `emptyReason` if there are no terms.
    static func mean(_ terms: [MetricValue], emptyReason: Reason) -> MetricValue {
        if terms.isEmpty { return .undefined(reason: emptyReason) }
        var sum = 0.0
        for term in terms {
            switch term {
            case .value(let x): sum += x
            case .undefined: return term
            }
        }
        return .value(sum / Double(terms.count))
    }

    /// Fixed-point text without Foundation: `fixed(0.123456, decimals: 4) == "0.1235"`.
    static func fixed(_ x: Double, decimals: Int) -> String {
        precondition(decimals >= 0 && decimals <= 15, "decimals must be in 0...15, got \(decimals)")
        guard x.isFinite else { return "\(x)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(x) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9.0e15 else { return "\(x)" }
        let digits = Int64(scaled)
        let negative = x < 0 && digits != 0
        var integerPart = "\(digits / Int64(scale))"
        if negative { integerPart = "-" + integerPart }
        guard decimals > 0 else { return integerPart }
        var fraction = "\(digits % Int64(scale))"
        while fraction.count < decimals { fraction = "0" + fraction }
        return integerPart + "." + fraction
    }
}
