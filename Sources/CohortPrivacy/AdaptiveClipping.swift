import Foundation

/// Adaptive clipping: the clip norm C follows a target quantile γ of the update norms,
/// estimated privately round by round (Andrew, Thakkar, McMahan, Ramaswamy,
/// "Differentially Private Learning with Adaptive Clipping", NeurIPS 2021,
/// arXiv:1905.03871, Algorithm 1).
///
/// Each round, every participant reports bᵢ = 1[‖Δᵢ‖₂ ≤ C] (its update was not clipped);
/// the sum is noised and normalised by the expected number of participants m:
///
///     b̃ = (Σᵢ bᵢ + N(0, σ_b²)) / m,
///
/// and C takes a geometric step against the quantile loss's gradient (b̃ − γ)
/// (Algorithm 1, geometric update; Section 2 of the paper derives it):
///
///     C ← C · exp(−η_C (b̃ − γ)).
///
/// When more than a γ fraction is unclipped C shrinks, when fewer it grows; the fixed point
/// is the γ-quantile of the norms. The paper recommends γ = 0.5, η_C = 0.2 and
/// σ_b = m/20.
///
/// The noised count is a second Gaussian release. For add/remove-one neighbours the
/// centred count Σ(bᵢ − ½) has sensitivity ½, so the pair (update sum with noise
/// multiplier z_Δ, count with σ_b) is one Gaussian mechanism with noise multiplier
/// z = (z_Δ⁻² + (2σ_b)⁻²)^(−1/2) (Andrew et al., Section 3); to spend a total z, noise
/// the updates with `deltaNoiseMultiplier(total:countNoiseStandardDeviation:)`.
public struct AdaptiveClipping: Sendable, Hashable, Codable {
    /// The current clip norm C > 0.
    public private(set) var clipNorm: Double
    /// γ ∈ [0, 1]: the fraction of updates that should be left unclipped.
    public let targetQuantile: Double
    /// η_C > 0: the step size of the geometric update.
    public let learningRate: Double
    /// σ_b ≥ 0: the standard deviation of the noise on the unclipped count.
    public let countNoiseStandardDeviation: Double

    /// Adaptive clipping starting at `initialClipNorm`.
    ///
    /// - Throws: `PrivacyError.Code.invalidParameter` naming the parameter at fault.
    public init(
        initialClipNorm: Double, targetQuantile: Double = 0.5, learningRate: Double = 0.2,
        countNoiseStandardDeviation: Double
    ) throws(PrivacyError) {
        guard initialClipNorm > 0, initialClipNorm.isFinite else {
            throw PrivacyError(.invalidParameter, "initial clip norm must be finite and > 0, got \(initialClipNorm)")
        }
        guard targetQuantile >= 0, targetQuantile <= 1 else {
            throw PrivacyError(.invalidParameter, "target quantile γ must be in [0, 1], got \(targetQuantile)")
        }
        guard learningRate > 0, learningRate.isFinite else {
            throw PrivacyError(.invalidParameter, "clip learning rate η_C must be finite and > 0, got \(learningRate)")
        }
        guard countNoiseStandardDeviation >= 0, countNoiseStandardDeviation.isFinite else {
            throw PrivacyError(
                .invalidParameter,
                "count noise standard deviation σ_b must be finite and ≥ 0, got \(countNoiseStandardDeviation)")
        }
        self.clipNorm = initialClipNorm
        self.targetQuantile = targetQuantile
        self.learningRate = learningRate
        self.countNoiseStandardDeviation = countNoiseStandardDeviation
    }

    /// bᵢ: whether an update of L2 norm `norm` is left unclipped by the current C.
    public func isUnclipped(norm: Double) -> Bool {
        norm <= clipNorm
    }

    /// b̃ = (unclippedCount + σ_b·ξ) / m, with ξ a standard normal draw supplied by the
    /// caller (from a secure generator in real runs) and m = `expectedCount` > 0, the
    /// expected number of participants (not the realised one, which would leak).
    public func noisedUnclippedFraction(
        unclippedCount: Int, expectedCount: Double, standardNormal: Double
    ) -> Double {
        precondition(expectedCount > 0, "expected participant count must be > 0, got \(expectedCount)")
        precondition(unclippedCount >= 0, "unclipped count must be ≥ 0, got \(unclippedCount)")
        return (Double(unclippedCount) + countNoiseStandardDeviation * standardNormal) / expectedCount
    }

    /// Ends a round: computes b̃ from the round's unclipped count and moves C by the
    /// geometric update C ← C·exp(−η_C(b̃ − γ)) (Andrew et al. 2021, Algorithm 1).
    ///
    /// - Returns: b̃, the noised unclipped fraction (safe to log: it is the released value).
    @discardableResult
    public mutating func update(unclippedCount: Int, expectedCount: Double, standardNormal: Double) -> Double {
        let fraction = noisedUnclippedFraction(
            unclippedCount: unclippedCount, expectedCount: expectedCount, standardNormal: standardNormal)
        update(noisedUnclippedFraction: fraction)
        return fraction
    }

    /// Moves C by the geometric update C ← C·exp(−η_C(b̃ − γ)) for a b̃ noised elsewhere
    /// (Andrew et al. 2021, Algorithm 1), e.g. summed from values each site noised itself.
    public mutating func update(noisedUnclippedFraction fraction: Double) {
        precondition(fraction.isFinite, "the noised unclipped fraction must be finite, got \(fraction)")
        clipNorm *= exp(-learningRate * (fraction - targetQuantile))
    }

    /// The noise multiplier z of the pair (update sum noised with z_Δ, centred count noised
    /// with σ_b) taken as one Gaussian mechanism: z = (z_Δ⁻² + (2σ_b)⁻²)^(−1/2) (Andrew et
    /// al. 2021, Section 3; the inverse of `deltaNoiseMultiplier(total:countNoiseStandardDeviation:)`).
    /// σ_b = 0 means no count is released, and z = z_Δ.
    public static func totalNoiseMultiplier(delta zDelta: Double, countNoiseStandardDeviation sigmaB: Double) -> Double {
        guard sigmaB > 0 else { return zDelta }
        return 1 / (1 / (zDelta * zDelta) + 1 / (4 * sigmaB * sigmaB)).squareRoot()
    }

    /// The noise multiplier z_Δ for the update sum such that, together with the count's
    /// noise σ_b, one round spends a Gaussian mechanism of noise multiplier `total` = z:
    ///
    ///     z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2)   (Andrew et al. 2021, Section 3).
    ///
    /// - Throws: `PrivacyError.Code.invalidParameter` unless z > 0 and 2σ_b > z (the
    ///   count alone would otherwise spend the whole budget).
    public static func deltaNoiseMultiplier(
        total z: Double, countNoiseStandardDeviation sigmaB: Double
    ) throws(PrivacyError) -> Double {
        guard z > 0, z.isFinite else {
            throw PrivacyError(.invalidParameter, "total noise multiplier must be finite and > 0, got \(z)")
        }
        guard 2 * sigmaB > z else {
            throw PrivacyError(
                .invalidParameter,
                "count noise σ_b = \(sigmaB) is too small for total noise multiplier \(z): need 2σ_b > z")
        }
        return 1 / (1 / (z * z) - 1 / (4 * sigmaB * sigmaB)).squareRoot()
    }

    private enum CodingKeys: String, CodingKey {
        case clipNorm
        case targetQuantile
        case learningRate
        case countNoiseStandardDeviation
    }

    /// Decodes the state (current C and the three settings) and validates it like `init`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                initialClipNorm: container.decode(Double.self, forKey: .clipNorm),
                targetQuantile: container.decode(Double.self, forKey: .targetQuantile),
                learningRate: container.decode(Double.self, forKey: .learningRate),
                countNoiseStandardDeviation: container.decode(Double.self, forKey: .countNoiseStandardDeviation))
        } catch let error as PrivacyError {
            throw DecodingError.dataCorruptedError(forKey: .clipNorm, in: container, debugDescription: error.message)
        }
    }
}
