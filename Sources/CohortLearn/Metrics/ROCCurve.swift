/// The receiver operating characteristic curve: the false- and true-positive rates of the
/// rule `score >= threshold` at every distinct score.
///
/// Like scikit-learn's `roc_curve(..., drop_intermediate=False)`: the first point is (0, 0)
/// with a threshold above every score (scikit-learn writes `inf`; here `threshold` is
/// `nil`), followed by one point per distinct score in descending order, the last being
/// (1, 1). Consecutive points joined by straight lines enclose the AUROC (Fawcett, "An
/// introduction to ROC analysis", Pattern Recognition Letters 2006).
public struct ROCCurve: Sendable, Hashable, Codable {
    /// One vertex of the curve.
    public struct Point: Sendable, Hashable, Codable {
        /// FP / N at this threshold.
        public var falsePositiveRate: Double
        /// TP / P at this threshold.
        public var truePositiveRate: Double
        /// The lowest score predicted positive; `nil` for the starting point (0, 0), which
        /// predicts nothing positive.
        public var threshold: Double?

        /// A point with the given rates and threshold.
        public init(falsePositiveRate: Double, truePositiveRate: Double, threshold: Double?) {
            self.falsePositiveRate = falsePositiveRate
            self.truePositiveRate = truePositiveRate
            self.threshold = threshold
        }
    }

    /// The vertices, from (0, 0) to (1, 1), thresholds descending.
    public var points: [Point]

    /// A curve through `points`.
    public init(points: [Point]) {
        self.points = points
    }

    /// The false-positive rates, in order.
    public var falsePositiveRates: [Double] { points.map(\.falsePositiveRate) }
    /// The true-positive rates, in order.
    public var truePositiveRates: [Double] { points.map(\.truePositiveRate) }
    /// The thresholds of every point after the first, descending: the distinct scores.
    public var thresholds: [Double] { points.compactMap(\.threshold) }

    /// The trapezoidal area under the curve, which equals the Mann–Whitney AUROC.
    public var area: Double {
        var sum = 0.0
        for (a, b) in zip(points, points.dropFirst()) {
            sum += (b.falsePositiveRate - a.falsePositiveRate) * (a.truePositiveRate + b.truePositiveRate) / 2
        }
        return sum
    }

    /// The curve through tie groups in descending score order; `nil` unless both classes
    /// are present.
    init?(groups: [TieGroup]) {
        let (p, n) = groups.classTotals
        guard p > 0, n > 0 else { return nil }
        var points = [Point(falsePositiveRate: 0, truePositiveRate: 0, threshold: nil)]
        points.reserveCapacity(groups.count + 1)
        var truePositives = 0
        var falsePositives = 0
        for group in groups {
            truePositives += group.positives
            falsePositives += group.negatives
            points.append(Point(
                falsePositiveRate: Double(falsePositives) / Double(n),
                truePositiveRate: Double(truePositives) / Double(p),
                threshold: group.score))
        }
        self.init(points: points)
    }
}
