/// Metrics of a `ScoreHistogram`. They equal the metrics of `BinaryPredictions` on the same
/// data when every score is a bin edge k/B, and otherwise treat each bin as one tie.
extension ScoreHistogram {
    /// The reason every metric is undefined, if one applies to all.
    private var undefinedReason: MetricValue.Reason? {
        if invalidScoreCount > 0 { return .invalidProbability }
        if count == 0 { return .emptyInput }
        return nil
    }

    /// The non-empty bins as tie groups, highest bin first, each at its lower edge.
    func tieGroups() -> [TieGroup] {
        stride(from: binCount - 1, through: 0, by: -1).compactMap { k in
            guard positiveCounts[k] + negativeCounts[k] > 0 else { return nil }
            return TieGroup(score: lowerEdge(ofBin: k), positives: positiveCounts[k], negatives: negativeCounts[k])
        }
    }

    /// AUROC as the Mann–Whitney statistic (Hanley & McNeil 1982), with the examples of one
    /// bin tied, each tied positive–negative pair counting 1/2:
    ///
    ///     AUROC = (1 / (P·N)) · Σ_k n_k · (P_above(k) + p_k / 2)
    ///
    /// Exact when every score is a bin edge; otherwise within half the fraction of
    /// positive–negative pairs that share a bin. O(B). Undefined with no examples, an
    /// invalid score, or only one class.
    public func auroc() -> MetricValue {
        if let reason = undefinedReason { return .undefined(reason: reason) }
        return tieGroups().auroc()
    }

    /// Average precision (scikit-learn's step-wise definition; see
    /// `BinaryPredictions.averagePrecision()`) with each bin one step.
    public func averagePrecision() -> MetricValue {
        if let reason = undefinedReason { return .undefined(reason: reason) }
        return tieGroups().averagePrecision()
    }

    /// The ROC curve with one point per non-empty bin, thresholds at bin lower edges; `nil`
    /// when `auroc()` is undefined.
    public func rocCurve() -> ROCCurve? {
        guard undefinedReason == nil else { return nil }
        return ROCCurve(groups: tieGroups())
    }

    /// The reliability diagram in `binCount` coarse bins, which must divide the histogram's
    /// bin count (10 divides 1000), with ECE and MCE; see `Calibration`.
    ///
    /// Coarse bin b is the union of fine bins b·r ..< (b+1)·r, r = B / M, whose edges are
    /// the same `Double`s, so this equals `BinaryPredictions.calibration(binCount:)` on the
    /// same scores up to the rounding of sums.
    public func calibration(binCount coarse: Int = 10) -> Calibration {
        precondition(coarse >= 1 && binCount % coarse == 0,
                     "\(coarse) calibration bins do not divide the histogram's \(binCount) bins")
        var bins = Calibration.emptyBins(count: coarse)
        if let reason = undefinedReason {
            return Calibration(bins: bins, undefinedReason: reason)
        }
        let ratio = binCount / coarse
        for k in 0..<binCount {
            let b = k / ratio
            bins[b].count += positiveCounts[k] + negativeCounts[k]
            bins[b].positiveCount += positiveCounts[k]
            bins[b].scoreSum += scoreSums[k]
        }
        return Calibration(bins: bins, undefinedReason: nil)
    }

    /// The reliability-diagram bins of `calibration(binCount:)`: per bin the count, mean
    /// prediction and observed frequency.
    public func calibrationBins(binCount coarse: Int = 10) -> [CalibrationBin] {
        calibration(binCount: coarse).bins
    }

    /// Expected calibration error in `binCount` coarse bins; see `calibration(binCount:)`.
    public func expectedCalibrationError(binCount coarse: Int = 10) -> MetricValue {
        calibration(binCount: coarse).expectedCalibrationError
    }

    /// The Brier score (Brier 1950; see `BinaryPredictions.brierScore()`) with the examples
    /// of each bin at the bin's mean score m_k = (score sum) / n_k:
    ///
    ///     BS ≈ (1/n) Σ_k [ p_k · (1 − m_k)² + q_k · m_k² ]
    ///
    /// with p_k positives and q_k negatives in bin k. Exact when the scores within each bin
    /// are equal (every score a bin edge, say); otherwise within 1/B + 1/B² of the Brier
    /// score of the scores themselves (per bin the error is Σ(s − m)² − 2·Σ_positives(s − m),
    /// and |s − m| < 1/B). Undefined with no examples or an invalid score.
    public func brierScore() -> MetricValue {
        if let reason = undefinedReason { return .undefined(reason: reason) }
        var sum = 0.0
        for k in 0..<binCount {
            let n = positiveCounts[k] + negativeCounts[k]
            guard n > 0 else { continue }
            let mean = scoreSums[k] / Double(n)
            sum += Double(positiveCounts[k]) * (1 - mean) * (1 - mean) + Double(negativeCounts[k]) * mean * mean
        }
        return .value(sum / Double(count))
    }

    /// The confusion matrix of the rule `score >= threshold`, for a threshold on a bin
    /// edge.
    ///
    /// The threshold is first moved to the nearest bin edge j/B; the bins k ≥ j count as
    /// predicted positive. For a threshold on an edge this is exact, with one exception:
    /// a threshold of 1 predicts nothing positive, although scores of exactly 1 (in the last
    /// bin) would be. Otherwise the error is at most the examples of one bin. Invalid
    /// scores are not counted; the rates of the matrix are then still computed from the
    /// valid examples, so check `invalidScoreCount` (or any other metric) first.
    public func confusionMatrix(threshold: Double = 0.5) -> BinaryConfusionMatrix {
        let edge = snappedEdge(threshold)
        var matrix = BinaryConfusionMatrix(truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0)
        for k in 0..<binCount {
            if k >= edge {
                matrix.truePositives += positiveCounts[k]
                matrix.falsePositives += negativeCounts[k]
            } else {
                matrix.falseNegatives += positiveCounts[k]
                matrix.trueNegatives += negativeCounts[k]
            }
        }
        return matrix
    }

    /// A rate of the confusion matrix at `threshold`, or the reason every metric is undefined.
    private func rate(threshold: Double, _ metric: (BinaryConfusionMatrix) -> MetricValue) -> MetricValue {
        if let reason = undefinedReason { return .undefined(reason: reason) }
        return metric(confusionMatrix(threshold: threshold))
    }

    /// Accuracy at `threshold` (moved to the nearest bin edge).
    public func accuracy(threshold: Double = 0.5) -> MetricValue { rate(threshold: threshold) { $0.accuracy } }
    /// Balanced accuracy at `threshold` (moved to the nearest bin edge).
    public func balancedAccuracy(threshold: Double = 0.5) -> MetricValue {
        rate(threshold: threshold) { $0.balancedAccuracy }
    }
    /// Sensitivity TP / P at `threshold` (moved to the nearest bin edge).
    public func sensitivity(threshold: Double = 0.5) -> MetricValue { rate(threshold: threshold) { $0.sensitivity } }
    /// Specificity TN / N at `threshold` (moved to the nearest bin edge).
    public func specificity(threshold: Double = 0.5) -> MetricValue { rate(threshold: threshold) { $0.specificity } }
    /// PPV TP / (TP + FP) at `threshold` (moved to the nearest bin edge).
    public func positivePredictiveValue(threshold: Double = 0.5) -> MetricValue {
        rate(threshold: threshold) { $0.positivePredictiveValue }
    }
    /// NPV TN / (TN + FN) at `threshold` (moved to the nearest bin edge).
    public func negativePredictiveValue(threshold: Double = 0.5) -> MetricValue {
        rate(threshold: threshold) { $0.negativePredictiveValue }
    }

    /// The index j of the bin edge j/B nearest `threshold`, in 0...B (B: nothing positive).
    private func snappedEdge(_ threshold: Double) -> Int {
        guard !threshold.isNaN else { return binCount }
        let scaled = (threshold * Double(binCount)).rounded()
        if scaled <= 0 { return 0 }
        if scaled >= Double(binCount) { return binCount }
        return Int(scaled)
    }
}
