/// How well predicted probabilities match observed frequencies: a reliability diagram with
/// equal-width bins, and the expected and maximum calibration errors computed from it.
///
/// With M equal-width bins on [0, 1], bin b holding n_b of the n examples, observed
/// frequency o_b (fraction positive) and mean prediction e_b:
///
///     ECE = Σ_b (n_b / n) · |o_b − e_b|        MCE = max_b |o_b − e_b|
///
/// (Naeini, Cooper & Hauskrecht, "Obtaining well calibrated probabilities using Bayesian
/// binning", AAAI 2015, section 3; Guo, Pleiss, Sun & Weinberger, "On calibration of modern
/// neural networks", ICML 2017, eq. 3 and 5.) Empty bins contribute nothing to either.
/// The default is M = 10.
///
/// This is the calibration of the positive-class probability, the binary reliability
/// diagram of scikit-learn's `calibration_curve(strategy="uniform")`, not Guo et al.'s
/// top-label confidence (which for two classes bins max(p, 1 − p)).
///
/// Bin edges: bin b is [b/M, (b+1)/M), the last bin also holding 1. Guo et al. close bins
/// on the right instead, ((m−1)/M, m/M], as recent scikit-learn `calibration_curve` does;
/// the two differ only for a probability exactly on an inner edge. Left-closed bins are used so that the fine bins of
/// a `ScoreHistogram` merge into exactly these bins and agree with thresholds `score >= t`.
/// An edge b/M is the `Double` nearest the fraction, and a probability equal to it lands in
/// bin b whatever the rounding of `p·M`.
public struct Calibration: Sendable, Hashable, Codable {
    /// The bins in order of probability, `binCount` of them, empty ones included.
    public var bins: [CalibrationBin]
    /// ECE = Σ_b (n_b / n) · |o_b − e_b|; undefined with no examples or an invalid score.
    public var expectedCalibrationError: MetricValue
    /// MCE = max over non-empty bins of |o_b − e_b|; undefined when ECE is.
    public var maximumCalibrationError: MetricValue

    /// The calibration summary of `bins`; with no examples in any bin, both errors are
    /// `.undefined(reason: .emptyInput)`.
    public init(bins: [CalibrationBin]) {
        self.init(bins: bins, undefinedReason: nil)
    }

    /// The summary of `bins`, or of no data when `undefinedReason` is set.
    init(bins: [CalibrationBin], undefinedReason: MetricValue.Reason?) {
        self.bins = bins
        let total = bins.reduce(0) { $0 + $1.count }
        if let reason = undefinedReason ?? (total == 0 ? .emptyInput : nil) {
            expectedCalibrationError = .undefined(reason: reason)
            maximumCalibrationError = .undefined(reason: reason)
            return
        }
        var weighted = 0.0
        var maximum = 0.0
        for bin in bins {
            guard let gap = bin.gap else { continue }
            weighted += Double(bin.count) * gap
            maximum = max(maximum, gap)
        }
        expectedCalibrationError = .value(weighted / Double(total))
        maximumCalibrationError = .value(maximum)
    }

    /// The summary of probabilities `scores` against `labels` in `binCount` equal-width bins.
    ///
    /// If any score is not a probability in [0, 1] (NaN included), every bin is left empty
    /// and both errors are `.undefined(reason: .invalidProbability)`.
    init(scores: [Double], labels: [Bool], binCount: Int) {
        var bins = Self.emptyBins(count: binCount)
        guard scores.allSatisfy(Self.isProbability) else {
            self.init(bins: bins, undefinedReason: scores.isEmpty ? .emptyInput : .invalidProbability)
            return
        }
        for (score, label) in zip(scores, labels) {
            let b = Self.binIndex(of: score, binCount: binCount)
            bins[b].count += 1
            bins[b].positiveCount += label ? 1 : 0
            bins[b].scoreSum += score
        }
        self.init(bins: bins, undefinedReason: nil)
    }

    /// `binCount` empty bins with edges b/M.
    static func emptyBins(count binCount: Int) -> [CalibrationBin] {
        precondition(binCount >= 1, "calibration needs at least one bin, got \(binCount)")
        let m = Double(binCount)
        return (0..<binCount).map { b in
            CalibrationBin(lowerEdge: Double(b) / m, upperEdge: Double(b + 1) / m)
        }
    }

    /// Whether `p` is a probability: finite and in [0, 1].
    static func isProbability(_ p: Double) -> Bool { p >= 0 && p <= 1 }

    /// The bin b with b/M ≤ p < (b+1)/M (the last bin also takes p = 1), for p in [0, 1],
    /// with edges b/M rounded to `Double` exactly as `emptyBins` rounds them.
    static func binIndex(of p: Double, binCount: Int) -> Int {
        let m = Double(binCount)
        var b = min(max(Int((p * m).rounded(.down)), 0), binCount - 1)
        // p·M can round across an edge; compare with the edges themselves.
        if b > 0, p < Double(b) / m {
            b -= 1
        } else if b < binCount - 1, p >= Double(b + 1) / m {
            b += 1
        }
        return b
    }
}
