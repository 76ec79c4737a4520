/// Federated Averaging: the new global model is the old one moved along the weighted mean of
/// the sites' deltas.
///
/// McMahan, Moore, Ramage, Hampson, Agüera y Arcas, "Communication-Efficient Learning of Deep
/// Networks from Decentralized Data", AISTATS 2017, Algorithm 1 (FederatedAveraging): the
/// server sets w_{t+1} ← Σₖ (nₖ/n) wₖ_{t+1}. With Δₖ = wₖ_{t+1} − w_t this is
///
///     Δ̄ = Σₖ wₖΔₖ / Σₖ wₖ          (wₖ = nₖ records, or 1 with `.uniform`)
///     x ← x + η·Δ̄                  (η = 1 is exactly Algorithm 1)
///
/// The server learning rate η is the generalisation of Reddi et al. ("Adaptive Federated
/// Optimization", ICLR 2021, Algorithm 1 with ServerOpt = SGD); η ≠ 1 is sometimes called
/// FedAvg with server step size.
///
/// Streaming: it reads only the accumulator's running sum, so a round costs one model plus
/// the sum, whatever the number of sites. It keeps no state between rounds besides a count.
public struct FedAvg: FederatedStrategy, Hashable {
    /// The default server learning rate, 1: plain Algorithm 1.
    public static let defaultServerLearningRate = 1.0

    /// The server learning rate η in x ← x + η·Δ̄.
    public let serverLearningRate: Double
    /// wₖ = records (Algorithm 1) or 1.
    public let weighting: Weighting
    /// Rounds applied so far.
    public private(set) var rounds = 0

    /// FedAvg with server learning rate η and the given weighting.
    ///
    /// - Throws: `invalidConfiguration` unless η is finite and > 0.
    public init(
        serverLearningRate: Double = FedAvg.defaultServerLearningRate, weighting: Weighting = .byRecords
    ) throws(StrategyError) {
        try SettingCheck.positive(serverLearningRate, .serverLearningRate)
        self.serverLearningRate = serverLearningRate
        self.weighting = weighting
    }

    /// `"fedavg"`.
    public var name: String { StrategyKind.fedAvg.rawValue }

    /// `false`: FedAvg streams.
    public var needsAllUpdates: Bool { false }

    /// The round count; FedAvg has no other server state.
    public var state: StrategyState { StrategyState(strategy: name, rounds: rounds) }

    /// Restores the round count saved by `state`.
    public mutating func restore(_ state: StrategyState) throws(StrategyError) {
        rounds = try state.rounds(restoringInto: name)
    }

    /// x ← x + η·Δ̄ (McMahan et al. 2017, Algorithm 1).
    public mutating func apply(_ updates: DeltaAccumulator, to global: inout [Float]) throws(StrategyError) {
        try checkRound(updates, global: global)
        addMean(of: updates, scaledBy: serverLearningRate, to: &global)
        rounds += 1
    }
}
