/// FedAdam: Adam on the server, with the round's mean delta as the (negative) pseudo-gradient.
///
/// Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated
/// Optimization", ICLR 2021, Algorithm 2 (FedAdam). With Δₜ the round's weighted mean delta:
///
///     mₜ = β₁·mₜ₋₁ + (1 − β₁)·Δₜ                    (m₋₁ = 0)
///     vₜ = β₂·vₜ₋₁ + (1 − β₂)·Δₜ²                   (v₋₁ = τ²)
///     xₜ₊₁ = xₜ + η·mₜ / (√vₜ + τ)
///
/// element-wise, without Adam's bias correction (as in the paper). τ bounds the adaptivity: a
/// coordinate whose deltas are ≪ τ moves by about η·m/τ, one whose deltas are ≫ τ by about
/// η·m/√v, close to ±η in the first rounds whatever the delta's size.
///
/// Defaults are Flower's `FedAdam` (η = 0.1, β₁ = 0.9, β₂ = 0.99, τ = 1e-9); β₁ and β₂ are the
/// values the paper fixes in its experiments. η and τ are problem-dependent: the paper tunes
/// both, and a larger τ (e.g. 1e-3) damps the sign-like first steps, which matters when deltas
/// carry DP noise.
///
/// Streaming: it reads only the accumulator's running sum; its state is m and v, two vectors
/// the size of the model, saved in `StrategyState`.
public struct FedAdam: AdaptiveFederatedStrategy, AdaptiveServerOptimizerBacked, Hashable {
    /// η = 0.1 (Flower's default).
    public static let defaultServerLearningRate = 0.1
    /// β₁ = 0.9.
    public static let defaultBeta1 = 0.9
    /// β₂ = 0.99.
    public static let defaultBeta2 = 0.99
    /// τ = 1e-9 (Flower's default).
    public static let defaultTau = 1e-9

    var optimizer: AdaptiveServerOptimizer
    /// wₖ = records or 1 in the mean delta.
    public let weighting: Weighting
    /// β₂ in vₜ = β₂·vₜ₋₁ + (1 − β₂)·Δₜ².
    public let beta2: Double

    /// FedAdam with the given server learning rate η, decay rates β₁, β₂, adaptivity τ and
    /// weighting.
    ///
    /// - Throws: `invalidConfiguration` unless η and τ are finite and > 0 and β₁, β₂ ∈ [0, 1).
    public init(
        serverLearningRate: Double = FedAdam.defaultServerLearningRate,
        beta1: Double = FedAdam.defaultBeta1,
        beta2: Double = FedAdam.defaultBeta2,
        tau: Double = FedAdam.defaultTau,
        weighting: Weighting = .byRecords
    ) throws(StrategyError) {
        optimizer = try AdaptiveServerOptimizer(
            serverLearningRate: serverLearningRate, beta1: beta1, tau: tau, rule: .adam(beta2: beta2))
        self.beta2 = beta2
        self.weighting = weighting
    }

    /// `"fedadam"`.
    public var name: String { StrategyKind.fedAdam.rawValue }
}
