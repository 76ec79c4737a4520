/// FedYogi: Yogi on the server, with the round's mean delta as the (negative) pseudo-gradient.
///
/// Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated
/// Optimization", ICLR 2021, Algorithm 2 (FedYogi), after Yogi (Zaheer, Reddi, Sachan, Kale,
/// Kumar, "Adaptive Methods for Nonconvex Optimization", NeurIPS 2018). With Δₜ the round's weighted mean delta:
///
///     mₜ = β₁·mₜ₋₁ + (1 − β₁)·Δₜ                    (m₋₁ = 0)
///     vₜ = vₜ₋₁ − (1 − β₂)·Δₜ²·sign(vₜ₋₁ − Δₜ²)      (v₋₁ = τ²)
///     xₜ₊₁ = xₜ + η·mₜ / (√vₜ + τ)
///
/// element-wise (sign(0) = 0). Unlike Adam's, v moves by at most (1 − β₂)·Δₜ² per round
/// towards Δₜ², additively, so a burst of large deltas cannot shrink the step as abruptly.
///
/// Defaults are Flower's `FedYogi` (η = 0.01, β₁ = 0.9, β₂ = 0.99, τ = 1e-3); β₁ and β₂ are the
/// values the paper fixes in its experiments; η and τ are problem-dependent and the paper
/// tunes both.
///
/// Streaming: it reads only the accumulator's running sum; its state is m and v, two vectors
/// the size of the model, saved in `StrategyState`.
public struct FedYogi: AdaptiveFederatedStrategy, AdaptiveServerOptimizerBacked, Hashable {
    /// η = 0.01 (Flower's default).
    public static let defaultServerLearningRate = 0.01
    /// β₁ = 0.9.
    public static let defaultBeta1 = 0.9
    /// β₂ = 0.99.
    public static let defaultBeta2 = 0.99
    /// τ = 1e-3 (Flower's default).
    public static let defaultTau = 1e-3

    var optimizer: AdaptiveServerOptimizer
    /// wₖ = records or 1 in the mean delta.
    public let weighting: Weighting
    /// β₂ in vₜ = vₜ₋₁ − (1 − β₂)·Δₜ²·sign(vₜ₋₁ − Δₜ²).
    public let beta2: Double

    /// FedYogi with the given server learning rate η, decay rates β₁, β₂, adaptivity τ and
    /// weighting.
    ///
    /// - Throws: `invalidConfiguration` unless η and τ are finite and > 0 and β₁, β₂ ∈ [0, 1).
    public init(
        serverLearningRate: Double = FedYogi.defaultServerLearningRate,
        beta1: Double = FedYogi.defaultBeta1,
        beta2: Double = FedYogi.defaultBeta2,
        tau: Double = FedYogi.defaultTau,
        weighting: Weighting = .byRecords
    ) throws(StrategyError) {
        optimizer = try AdaptiveServerOptimizer(
            serverLearningRate: serverLearningRate, beta1: beta1, tau: tau, rule: .yogi(beta2: beta2))
        self.beta2 = beta2
        self.weighting = weighting
    }

    /// `"fedyogi"`.
    public var name: String { StrategyKind.fedYogi.rawValue }
}
