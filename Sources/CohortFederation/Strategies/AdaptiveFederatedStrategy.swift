/// A strategy that runs an adaptive optimiser on the server, with the round's mean delta as the
/// (negative) pseudo-gradient: `FedAdagrad`, `FedAdam` and `FedYogi`.
///
/// Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated
/// Optimization", ICLR 2021, Algorithm 2. With Δₜ the round's weighted mean delta, element-wise:
///
///     mₜ = β₁·mₜ₋₁ + (1 − β₁)·Δₜ                    (m₋₁ = 0)
///     vₜ = rule(vₜ₋₁, Δₜ²)                          (v₋₁ = τ²)
///     xₜ₊₁ = xₜ + η·mₜ / (√vₜ + τ)
///
/// The three variants differ only in the rule for v, given on each type. They stream: each
/// reads only the accumulator's running sum, and its state is m and v, two vectors the size of
/// the model, saved in `StrategyState`.
public protocol AdaptiveFederatedStrategy: FederatedStrategy {
    /// The server learning rate η.
    var serverLearningRate: Double { get }
    /// β₁ in mₜ = β₁·mₜ₋₁ + (1 − β₁)·Δₜ.
    var beta1: Double { get }
    /// The adaptivity τ in η·m/(√v + τ).
    var tau: Double { get }
    /// Rounds applied so far.
    var rounds: Int { get }
    /// m, or `nil` before the first round.
    var firstMoment: [Float]? { get }
    /// v, or `nil` before the first round.
    var secondMoment: [Float]? { get }
}

/// An adaptive strategy backed by an `AdaptiveServerOptimizer`, which holds η, β₁, τ, the rule
/// for v and the server state. Conforming types add only their name, defaults and `weighting`;
/// everything else comes from the extension below.
protocol AdaptiveServerOptimizerBacked: AdaptiveFederatedStrategy {
    var optimizer: AdaptiveServerOptimizer { get set }
}

extension AdaptiveServerOptimizerBacked {
    public var serverLearningRate: Double { optimizer.serverLearningRate }
    public var beta1: Double { optimizer.beta1 }
    public var tau: Double { optimizer.tau }
    public var rounds: Int { optimizer.rounds }
    public var firstMoment: [Float]? { optimizer.firstMoment }
    public var secondMoment: [Float]? { optimizer.secondMoment }

    /// `false`: the adaptive strategies stream.
    public var needsAllUpdates: Bool { false }

    /// The round count and the moments m and v, tagged with `name`.
    public var state: StrategyState { optimizer.state(name: name) }

    /// Restores the round count and moments saved by `state`.
    public mutating func restore(_ state: StrategyState) throws(StrategyError) {
        try optimizer.restore(state, name: name)
    }

    /// One step of Reddi et al. 2021, Algorithm 2, with this type's rule for v.
    public mutating func apply(_ updates: DeltaAccumulator, to global: inout [Float]) throws(StrategyError) {
        try checkRound(updates, global: global)
        try optimizer.apply(updates, to: &global, name: name)
    }
}
