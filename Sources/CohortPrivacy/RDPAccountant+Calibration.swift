import Foundation

extension RDPAccountant {
    /// The search range for the noise multiplier. Below σ = 0.01 a subsampled Gaussian
    /// step has no useful guarantee; above 10⁴ the RDP is negligible and ε is the
    /// conversion's floor over the orders (about 0.0035 at δ = 1e-5 with the default
    /// orders, attained at α = 1024), which more noise cannot lower.
    public static let noiseMultiplierRange: ClosedRange<Double> = 0.01...10_000

    /// The relative tolerance of the calibrated σ: the search stops when its bracket
    /// [σ_low, σ_high] has σ_high/σ_low ≤ 1 + 1e-6. Since ε is smooth in σ with
    /// |d log ε / d log σ| of order 1–3, the returned σ's ε is within about 1e-5 relative
    /// of the target (always ≤ it).
    public static let calibrationTolerance = 1e-6

    /// The smallest noise multiplier σ for which `steps` steps of the Poisson-subsampled
    /// Gaussian with sampling rate `samplingRate` stay within `budget` (ε ≤ budget ε at the
    /// budget's δ), as the mechanism to use.
    ///
    /// ε is decreasing in σ (more noise never reveals more: every order's RDP decreases),
    /// so this brackets the answer by doubling or halving σ from 1 and then bisects in
    /// log σ, keeping the invariant ε(σ_low) > target ≥ ε(σ_high) and returning σ_high: the
    /// result always meets the budget, and is within `calibrationTolerance` (relative) of
    /// the exact smallest σ.
    ///
    /// - Throws: `PrivacyError.Code.invalidParameter` for q outside (0, 1] or steps < 1;
    ///   `PrivacyError.Code.calibrationFailed` if no σ in `noiseMultiplierRange` works
    ///   (the target is below what any noise can give at these orders) or σ = 0.01 already
    ///   does (no useful smallest σ).
    public func calibrate(
        samplingRate: Double, steps: Int, budget: PrivacyBudget
    ) throws(PrivacyError) -> SubsampledGaussian {
        try calibrate(samplingRate: samplingRate, steps: steps, budget: budget, alsoSpending: { _ throws(PrivacyError) in zero })
    }

    /// As `calibrate(samplingRate:steps:budget:)`, for a run that also spends `extra(σ)`:
    /// the smallest σ whose `steps` steps, composed with `extra(σ)` (RDP adds per order;
    /// Mironov, "Rényi Differential Privacy", CSF 2017, Proposition 1), stay within `budget`.
    /// `extra` must not decrease as σ grows smaller (e.g. a release whose noise is σ or fixed),
    /// so ε stays decreasing in σ and the bisection holds.
    public func calibrate(
        samplingRate: Double, steps: Int, budget: PrivacyBudget,
        alsoSpending extra: (Double) throws(PrivacyError) -> RDPCurve
    ) throws(PrivacyError) -> SubsampledGaussian {
        guard samplingRate > 0, samplingRate <= 1 else {
            throw PrivacyError(.invalidParameter, "sampling rate q must be in (0, 1] to calibrate, got \(samplingRate)")
        }
        guard steps >= 1 else {
            throw PrivacyError(.invalidParameter, "number of steps must be ≥ 1 to calibrate, got \(steps)")
        }
        func mechanism(_ sigma: Double) throws(PrivacyError) -> SubsampledGaussian {
            try SubsampledGaussian(samplingRate: samplingRate, noiseMultiplier: sigma)
        }
        func fits(_ sigma: Double) throws(PrivacyError) -> Bool {
            try rdp(of: mechanism(sigma), steps: steps).composed(with: extra(sigma)).epsilon(delta: budget.delta).epsilon
                <= budget.epsilon
        }
        let range = Self.noiseMultiplierRange
        var low: Double
        var high: Double
        if try fits(1) {
            high = 1
            low = 0.5
            while try fits(low) {
                high = low
                low /= 2
                if low < range.lowerBound {
                    throw PrivacyError(
                        .calibrationFailed,
                        "\(steps) steps at q = \(samplingRate) stay within \(budget) even at σ = \(high); "
                            + "no smallest useful noise multiplier above \(range.lowerBound)")
                }
            }
        } else {
            low = 1
            high = 2
            while try !fits(high) {
                low = high
                high *= 2
                if high > range.upperBound {
                    throw PrivacyError(
                        .calibrationFailed,
                        "no noise multiplier up to \(range.upperBound) keeps \(steps) steps at q = \(samplingRate) "
                            + "within \(budget)")
                }
            }
        }
        // Invariant: !fits(low), fits(high).
        while high / low > 1 + Self.calibrationTolerance {
            let middle = (low * high).squareRoot()  // bisection in log σ
            if try fits(middle) { high = middle } else { low = middle }
        }
        return try mechanism(high)
    }
}
