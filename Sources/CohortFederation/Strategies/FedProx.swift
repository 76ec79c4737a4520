/// FedProx: FedAvg on the server; sites add a proximal term to their local objective so that
/// heterogeneous sites do not drift far from the global model.
///
/// Li, Sahu, Zaheer, Sanjabi, Talwalkar, Smith, "Federated Optimization in Heterogeneous
/// Networks", MLSys 2020, Algorithm 2. Each selected site k approximately minimises
///
///     hₖ(w; wᵗ) = Fₖ(w) + (μ/2)‖w − wᵗ‖²            (Eq. 2)
///
/// i.e. local gradient steps use ∇Fₖ(w) + μ(w − wᵗ). That term lives in local training, not
/// here: the round engine reads `proximalMu` and sends μ to the sites with the task. The
/// server step is FedAvg's (Algorithm 2, last step: w^{t+1} ← mean of the local models),
///
///     x ← x + η·Δ̄,   Δ̄ = Σₖ wₖΔₖ / Σₖ wₖ
///
/// (the paper averages uniformly over sites sampled with probability pₖ ∝ nₖ; with all sites
/// or uniform sampling, weighting by records is the usual practical equivalent).
/// μ = 0 makes local training plain FedAvg.
public struct FedProx: FederatedStrategy, Hashable {
    /// The default μ = 0.01, from the grid {0.001, 0.01, 0.1, 1} that Li et al. search
    /// (Section 5); a small μ that keeps local steps close to SGD yet limits drift.
    public static let defaultProximalMu = 0.01

    /// The proximal coefficient μ sent to the sites: their local loss gains (μ/2)‖w − x‖².
    public let proximalMu: Double
    /// The server step, identical to FedAvg's.
    private var averaging: FedAvg

    /// The server learning rate η in x ← x + η·Δ̄.
    public var serverLearningRate: Double { averaging.serverLearningRate }
    /// wₖ = records or 1.
    public var weighting: Weighting { averaging.weighting }
    /// Rounds applied so far.
    public var rounds: Int { averaging.rounds }

    /// FedProx with proximal coefficient μ for the sites, and FedAvg's server step.
    ///
    /// - Throws: `invalidConfiguration` unless μ is finite and ≥ 0 and η finite and > 0.
    public init(
        proximalMu: Double = FedProx.defaultProximalMu,
        serverLearningRate: Double = FedAvg.defaultServerLearningRate,
        weighting: Weighting = .byRecords
    ) throws(StrategyError) {
        try SettingCheck.nonNegative(proximalMu, .proximalMu)
        self.proximalMu = proximalMu
        self.averaging = try FedAvg(serverLearningRate: serverLearningRate, weighting: weighting)
    }

    /// `"fedprox"`.
    public var name: String { StrategyKind.fedProx.rawValue }

    /// `false`: the server step streams, as FedAvg's.
    public var needsAllUpdates: Bool { false }

    /// The round count; the server step keeps no other state.
    public var state: StrategyState { StrategyState(strategy: name, rounds: rounds) }

    /// Restores the round count saved by `state`.
    public mutating func restore(_ state: StrategyState) throws(StrategyError) {
        let rounds = try state.rounds(restoringInto: name)
        try averaging.restore(StrategyState(strategy: averaging.name, rounds: rounds))
    }

    /// x ← x + η·Δ̄ (Li et al. 2020, Algorithm 2; the proximal term acted during local training).
    public mutating func apply(_ updates: DeltaAccumulator, to global: inout [Float]) throws(StrategyError) {
        try checkRound(updates, global: global)
        try averaging.apply(updates, to: &global)
    }
}
