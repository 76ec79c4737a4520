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
public struct FedAdagrad: FederatedStrategy, Hashable {
    /// η = 0.1 (Flower's default).
    public static let defaultServerLearningRate = 0.1
    /// β₁ = 0 (Flower's default: no momentum).
    public static let defaultBeta1 = 0.0
    /// τ = 1e-9 (Flower's default).
    public static let defaultTau = 1e-9

    private var optimizer: AdaptiveServerOptimizer
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

    /// The server learning rate η.
    public var serverLearningRate: Double { optimizer.serverLearningRate }
    /// β₁ in mₜ = β₁·mₜ₋₁ + (1 − β₁)·Δₜ.
    public var beta1: Double { optimizer.beta1 }
    /// The adaptivity τ in η·m/(√v + τ).
    public var tau: Double { optimizer.tau }
    /// Rounds applied so far.
    public var rounds: Int { optimizer.rounds }
    /// m, or `nil` before the first round.
    public var firstMoment: [Float]? { optimizer.firstMoment }
    /// v, or `nil` before the first round.
    public var secondMoment: [Float]? { optimizer.secondMoment }

    /// `"fedadagrad"`.
    public var name: String { StrategyKind.fedAdagrad.rawValue }

    /// `false`: FedAdagrad streams.
    public var needsAllUpdates: Bool { false }

    /// The round count and the moments m and v.
    public var state: StrategyState { optimizer.state(name: name) }

    /// Restores the round count and moments saved by `state`.
    public mutating func restore(_ state: StrategyState) throws(StrategyError) {
        try optimizer.restore(state, name: name)
    }

    /// One step of Reddi et al. 2021, Algorithm 2 (FedAdagrad): m, v and x as above.
    public mutating func apply(_ updates: DeltaAccumulator, to global: inout [Float]) throws(StrategyError) {
        try checkRound(updates, global: global)
        try optimizer.apply(updates, to: &global, name: name)
    }
}
