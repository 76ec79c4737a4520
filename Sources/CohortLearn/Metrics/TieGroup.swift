/// The examples that share one score (or, for a `ScoreHistogram`, one bin), as counts of
/// positives and negatives. Ranking metrics walk these groups from the highest score down,
/// which is what makes ties exact: a group is one step of the ROC or precision-recall curve.
struct TieGroup: Sendable, Hashable {
    /// The shared score (for a histogram bin, its lower edge).
    var score: Double
    /// Positive examples in the group.
    var positives: Int
    /// Negative examples in the group.
    var negatives: Int
}

extension Array where Element == TieGroup {
    /// Total positives and negatives over all groups.
    var classTotals: (positives: Int, negatives: Int) {
        reduce(into: (0, 0)) { totals, group in
            totals.0 += group.positives
            totals.1 += group.negatives
        }
    }

    /// AUROC from groups in descending score order.
    ///
    /// The Mann–Whitney form (Hanley & McNeil 1982, eq. 1–2): over all positive–negative
    /// pairs, the fraction in which the positive scores higher, a tie counting 1/2:
    ///
    ///     AUROC = (1 / (P·N)) · Σ_groups n_g · (P_above + p_g / 2)
    ///
    /// where a group g holds p_g positives and n_g negatives, and P_above positives score
    /// higher than the group. This equals the average-rank formula U / (P·N) with
    /// U = R₊ − P(P + 1)/2, and the trapezoidal area under the ROC curve with one vertex per
    /// group. Undefined unless both classes are present.
    func auroc() -> MetricValue {
        let (p, n) = classTotals
        if p + n == 0 { return .undefined(reason: .emptyInput) }
        guard p > 0, n > 0 else { return .undefined(reason: .onlyOneClassPresent) }
        // Sums of integer-valued halves are exact in Double up to 2^52 pairs.
        var pairs = 0.0
        var positivesAbove = 0
        for group in self {
            pairs += Double(group.negatives) * (Double(positivesAbove) + Double(group.positives) / 2)
            positivesAbove += group.positives
        }
        return .value(pairs / (Double(p) * Double(n)))
    }

    /// Average precision from groups in descending score order, as scikit-learn's
    /// `average_precision_score` defines it: the step-wise sum, without interpolation,
    ///
    ///     AP = Σ_k (R_k − R_{k−1}) · P_k
    ///
    /// over the distinct thresholds k (one per group), where R_k = TP_k / P and
    /// P_k = TP_k / (TP_k + FP_k) count the examples scoring at or above the threshold.
    /// Only groups holding positives move recall, so AP = Σ_g (p_g / P) · P_g.
    ///
    /// Undefined unless both classes are present: with no positives recall is 0/0, and with
    /// no negatives AP is 1 for every ranking (scikit-learn returns 1.0), which says
    /// nothing about the model.
    func averagePrecision() -> MetricValue {
        let (p, n) = classTotals
        if p + n == 0 { return .undefined(reason: .emptyInput) }
        guard p > 0, n > 0 else { return .undefined(reason: .onlyOneClassPresent) }
        var sum = 0.0
        var truePositives = 0
        var falsePositives = 0
        for group in self {
            truePositives += group.positives
            falsePositives += group.negatives
            if group.positives > 0 {
                let precision = Double(truePositives) / Double(truePositives + falsePositives)
                sum += Double(group.positives) * precision
            }
        }
        return .value(sum / Double(p))
    }
}
