import Foundation

/// Probability metrics: how good the scores are as probabilities, not only as a ranking.
/// They need every score in [0, 1]; otherwise they are `.undefined(reason: .invalidProbability)`.
extension BinaryPredictions {
    /// The clipping bound of the log-losses: the probability of the observed class is
    /// clipped to [ε, 1 − ε] with ε = 1e-15, scikit-learn's long-standing default.
    public static let logLossEpsilon = 1e-15

    /// The reason the probability metrics are undefined, if any.
    private var probabilityUndefinedReason: MetricValue.Reason? {
        if count == 0 { return .emptyInput }
        if !scores.allSatisfy(Calibration.isProbability) { return .invalidProbability }
        return nil
    }

    /// Mean binary cross-entropy (log-loss), in nats:
    ///
    ///     L = −(1/n) Σ_i [ y_i · ln p_i + (1 − y_i) · ln(1 − p_i) ]
    ///
    /// (Good, "Rational decisions", JRSS B 1952, the logarithmic scoring rule). The
    /// probability given to the observed class, p_i or 1 − p_i, is clipped to
    /// [1e-15, 1 − 1e-15], so a confident mistake costs −ln 1e-15 ≈ 34.54 rather than ∞.
    /// That is scikit-learn's `log_loss` with its long-standing `eps=1e-15` applied to the
    /// two columns [1 − p, p] (since 1.3 it defaults to the float type's machine epsilon,
    /// which changes the result only for predictions within 1e-15 of 0 or 1), and it makes
    /// this equal to the multi-class log-loss of the rows [1 − p, p]. Defined with one
    /// class present (scikit-learn then needs `labels=`).
    public func logLoss() -> MetricValue {
        if let reason = probabilityUndefinedReason { return .undefined(reason: reason) }
        let epsilon = Self.logLossEpsilon
        var sum = 0.0
        for (score, label) in zip(scores, labels) {
            let observed = label ? score : 1 - score
            sum -= log(min(max(observed, epsilon), 1 - epsilon))
        }
        return .value(sum / Double(count))
    }

    /// The Brier score, the mean squared error of the probabilities (Brier, "Verification of
    /// forecasts expressed in terms of probability", Monthly Weather Review 1950, in its
    /// binary form, as scikit-learn's `brier_score_loss`):
    ///
    ///     BS = (1/n) Σ_i (p_i − y_i)²
    ///
    /// 0 is perfect; always predicting the prevalence π scores π(1 − π).
    public func brierScore() -> MetricValue {
        if let reason = probabilityUndefinedReason { return .undefined(reason: reason) }
        var sum = 0.0
        for (score, label) in zip(scores, labels) {
            let error = score - (label ? 1 : 0)
            sum += error * error
        }
        return .value(sum / Double(count))
    }

    /// The reliability diagram in `binCount` equal-width bins, with the expected and
    /// maximum calibration errors; see `Calibration` for the formulas and bin edges.
    public func calibration(binCount: Int = 10) -> Calibration {
        if nonFiniteScoreCount > 0 {
            return Calibration(bins: Calibration.emptyBins(count: binCount), undefinedReason: .invalidProbability)
        }
        return Calibration(scores: scores, labels: labels, binCount: binCount)
    }

    /// Expected calibration error with `binCount` equal-width bins (Naeini et al. 2015,
    /// Guo et al. 2017): ECE = Σ_b (n_b / n) · |o_b − e_b|; see `Calibration`.
    public func expectedCalibrationError(binCount: Int = 10) -> MetricValue {
        calibration(binCount: binCount).expectedCalibrationError
    }
}
