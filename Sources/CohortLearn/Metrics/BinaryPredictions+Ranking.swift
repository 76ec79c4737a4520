/// Ranking metrics: how well the scores order positives above negatives, at every
/// threshold at once. All are O(n log n) (one sort) and handle tied scores exactly.
extension BinaryPredictions {
    /// Area under the ROC curve as the Mann–Whitney U statistic (Hanley & McNeil, "The
    /// meaning and use of the area under a receiver operating characteristic (ROC) curve",
    /// Radiology 1982):
    ///
    ///     AUROC = U / (P·N),  U = R₊ − P(P + 1)/2
    ///
    /// where R₊ is the sum of the positives' ranks in ascending score order, tied scores
    /// taking their average rank. Equivalently, the probability that a random positive
    /// scores above a random negative, a tie counting 1/2; and the trapezoidal area under
    /// `rocCurve()`. Equals scikit-learn's `roc_auc_score`.
    ///
    /// Undefined with no examples, a NaN or infinite score, or only one class present.
    public func auroc() -> MetricValue {
        if let reason = commonUndefinedReason { return .undefined(reason: reason) }
        return tieGroups().auroc()
    }

    /// Area under the precision-recall curve as average precision, the way scikit-learn's
    /// `average_precision_score` defines it: step-wise, without interpolation,
    ///
    ///     AP = Σ_k (R_k − R_{k−1}) · P_k
    ///
    /// over the distinct scores k in descending order, with precision P_k and recall R_k of
    /// the rule `score >= k`. Tied scores form one step. (Not the trapezoidal area, which
    /// overestimates; see Davis & Goadrich, "The relationship between precision-recall and
    /// ROC curves", ICML 2006.)
    ///
    /// Undefined with no examples, a NaN or infinite score, or only one class present
    /// (with positives only, AP would be 1 for any ranking).
    public func averagePrecision() -> MetricValue {
        if let reason = commonUndefinedReason { return .undefined(reason: reason) }
        return tieGroups().averagePrecision()
    }

    /// The ROC curve with one point per distinct score, like scikit-learn's
    /// `roc_curve(..., drop_intermediate=False)`; see `ROCCurve`.
    ///
    /// `nil` when `auroc()` is undefined (no examples, a non-finite score, or one class
    /// only, where one of the rates is 0/0); `auroc()` gives the reason.
    public func rocCurve() -> ROCCurve? {
        guard commonUndefinedReason == nil else { return nil }
        return ROCCurve(groups: tieGroups())
    }
}
