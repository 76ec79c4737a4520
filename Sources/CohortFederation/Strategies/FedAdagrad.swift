/// FedAdagrad: Adagrad on the server, with the round's mean delta as the (negative)
/// pseudo-gradient.
///
/// Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated
/// Optimization", ICLR 2021, Algorithm 2 (FedAdagrad). With Δₜ the round's weighted mean delta:
///
///     mₜ = β₁·mₜ₋₁ + (1 − β₁)·Δₜ                    (m₋₁ = 0)
///     vₜ = vₜ₋₁ + Δₜ²                               (v₋₁ = τ²)
///     xₜ₊₁ = xₜ + η·mₜ / (√vₜ + τ)
///
/// element-wise. v only grows, so each coordinate's step shrinks like 1/√(Σ Δ²): coordinates
/// that keep moving slow down, rarely-moved ones keep large steps.
///
/// Defaults are Flower's `FedAdagrad` (η = 0.1, τ = 1e-9, and β₁ = 0: no momentum, classic
/// Adagrad; Algorithm 2 allows β₁ > 0). η and τ are problem-dependent and the paper tunes both;
/// with τ ≪ |Δ| the first step is close to ±η per coordinate whatever the delta's size.
///
/// Streaming: it reads only the accumulator's running sum; its state is m and v, two vectors
/// the size of the model, saved in `StrategyState`.
public struct FedAdagrad: AdaptiveFederatedStrategy, AdaptiveServerOptimizerBacked, Hashable {
    /// η = 0.1 (Flower's default).
    public static let defaultServerLearningRate = 0.1
    /// β₁ = 0 (Flower's default: no momentum).
    public static let defaultBeta1 = 0.0
    /// τ = 1e-9 (Flower's default).
    public static let defaultTau = 1e-9

    var optimizer: AdaptiveServerOptimizer
    /// wₖ = records or 1 in the mean delta.
    public let weighting: Weighting

    /// FedAdagrad with the given server learning rate η, momentum β₁, adaptivity τ and weighting.
    ///
    /// - Throws: `invalidConfiguration` unless η and τ are finite and > 0 and β₁ ∈ [0, 1).
    public init(
        serverLearningRate: Double = FedAdagrad.defaultServerLearningRate,
        beta1: Double = FedAdagrad.defaultBeta1,
        tau: Double = FedAdagrad.defaultTau,
        weighting: Weighting = .byRecords
    ) throws(StrategyError) {
        optimizer = try AdaptiveServerOptimizer(
            serverLearningRate: serverLearningRate, beta1: beta1, tau: tau, rule: .adagrad)
        self.weighting = weighting
    }

    /// `"fedadagrad"`.
    public var name: String { StrategyKind.fedAdagrad.rawValue }
}
