/// FedAvg with server momentum: the server keeps a velocity, a decaying sum of past mean
/// deltas, and steps along it.
///
/// Hsu, Qi, Brown, "Measuring the Effects of Non-Identical Data Distribution for Federated
/// Visual Classification", arXiv:1909.06335, 2019, Section 4 (FedAvgM). With Δ̄ the round's
/// weighted mean delta (as in FedAvg),
///
///     v ← β·v + Δ̄                   (v = 0 before the first round)
///     x ← x + η·v
///
/// which is heavy-ball SGD on the server with pseudo-gradient −Δ̄ (the same convention as
/// `torch.optim.SGD` and Keras `SGD(momentum:)`). β = 0 is FedAvg. In a steady state
/// v → Δ̄/(1 − β), so the effective step is η/(1 − β) times FedAvg's, the quantity Hsu et al.
/// tune along; lower η when raising β.
///
/// Streaming: it reads only the accumulator's running sum; its state is v, one vector the size
/// of the model, saved in `StrategyState.velocity`.
public struct FedAvgM: FederatedStrategy, Hashable {
    /// The default server learning rate η = 1, as in FedAvg and the common
    /// `SGD(learning_rate: 1, momentum: 0.9)` server optimiser for FedAvgM.
    public static let defaultServerLearningRate = 1.0
    /// The default momentum β = 0.9, the customary heavy-ball value; Flower's default, 0, would
    /// make FedAvgM plain FedAvg.
    public static let defaultMomentum = 0.9

    /// The server learning rate η in x ← x + η·v.
    public let serverLearningRate: Double
    /// The momentum β in v ← β·v + Δ̄, in [0, 1).
    public let momentum: Double
    /// wₖ = records or 1 in Δ̄.
    public let weighting: Weighting
    /// Rounds applied so far.
    public private(set) var rounds = 0
    /// The velocity v; `nil` until the first round fixes the model's size.
    public private(set) var velocity: [Float]?

    /// FedAvgM with server learning rate η, momentum β and the given weighting.
    ///
    /// - Throws: `invalidConfiguration` unless η is finite and > 0 and β ∈ [0, 1).
    public init(
        serverLearningRate: Double = FedAvgM.defaultServerLearningRate,
        momentum: Double = FedAvgM.defaultMomentum,
        weighting: Weighting = .byRecords
    ) throws(StrategyError) {
        try SettingCheck.positive(serverLearningRate, .serverLearningRate)
        try SettingCheck.inHalfOpenRange(momentum, below: 1, .momentum)
        self.serverLearningRate = serverLearningRate
        self.momentum = momentum
        self.weighting = weighting
    }

    /// `"fedavgm"`.
    public var name: String { StrategyKind.fedAvgM.rawValue }

    /// `false`: FedAvgM streams.
    public var needsAllUpdates: Bool { false }

    /// The round count and the velocity v.
    public var state: StrategyState { StrategyState(strategy: name, rounds: rounds, velocity: velocity) }

    /// Restores the round count and velocity saved by `state`.
    ///
    /// - Throws: `stateMismatch` for another strategy's state, `nonFiniteValue` for a
    ///   non-finite velocity.
    public mutating func restore(_ state: StrategyState) throws(StrategyError) {
        let rounds = try state.rounds(restoringInto: name)
        try StrategyState.check(state.velocity, "velocity", of: name)
        self.rounds = rounds
        self.velocity = state.velocity
    }

    /// v ← β·v + Δ̄, x ← x + η·v (Hsu, Qi, Brown 2019).
    ///
    /// - Throws: as `FederatedStrategy.apply`, and `shapeMismatch` when a restored velocity
    ///   does not fit the model.
    public mutating func apply(_ updates: DeltaAccumulator, to global: inout [Float]) throws(StrategyError) {
        try checkRound(updates, global: global)
        try StrategyState.check(velocity, "velocity", of: name, count: global.count)
        var v = velocity ?? Array(repeating: 0, count: global.count)
        velocity = nil  // v is now the only reference: updated in place, not copied
        let beta = momentum
        let eta = serverLearningRate
        updates.withWeightedSum { sum, scale in
            v.withUnsafeMutableBufferPointer { v in
                global.withUnsafeMutableBufferPointer { x in
                    for i in 0..<x.count {
                        let velocity = beta * Double(v[i]) + sum[i] * scale
                        v[i] = Float(velocity)
                        x[i] = Float(Double(x[i]) + eta * velocity)
                    }
                }
            }
        }
        velocity = v
        rounds += 1
    }
}
