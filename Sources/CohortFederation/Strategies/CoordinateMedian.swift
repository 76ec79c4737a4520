/// Coordinate-wise median: each parameter moves by the median of the sites' deltas for that
/// parameter, so fewer than half of the sites, however wrong, cannot drag it outside the range
/// of the honest sites' values.
///
/// Yin, Chen, Ramchandran, Bartlett, "Byzantine-Robust Distributed Learning: Towards Optimal
/// Statistical Rates", ICML 2018, Definition 1 (coordinate-wise median) and Algorithm 1 (the
/// median-based robust gradient descent; here applied to deltas, not gradients):
///
///     g[j] = med{Δ₁[j], …, Δₘ[j]}       for every parameter j
///     x ← x + η·g
///
/// For an even m the median is the mean of the two middle values (the convention of
/// `numpy.median`). Every site counts once: record counts do not weight a median (a site
/// could inflate its count). With one or two updates the median is their mean and offers no
/// protection; Yin et al.'s guarantee needs a Byzantine fraction α < 1/2.
///
/// Not streaming: the median needs every delta at once, so the accumulator keeps all of them
/// (`needsAllUpdates`), one model per site in memory.
public struct CoordinateMedian: FederatedStrategy, Hashable {
    /// The server learning rate η in x ← x + η·g.
    public let serverLearningRate: Double
    /// Rounds applied so far.
    public private(set) var rounds = 0

    /// Coordinate-wise median with server learning rate η (default 1).
    ///
    /// - Throws: `invalidConfiguration` unless η is finite and > 0.
    public init(serverLearningRate: Double = FedAvg.defaultServerLearningRate) throws(StrategyError) {
        try SettingCheck.positive(serverLearningRate, .serverLearningRate)
        self.serverLearningRate = serverLearningRate
    }

    /// `"median"`.
    public var name: String { StrategyKind.median.rawValue }

    /// `true`: the median needs every delta.
    public var needsAllUpdates: Bool { true }

    /// `.uniform`: every site counts once.
    public var weighting: Weighting { .uniform }

    /// The round count; the median keeps no other state.
    public var state: StrategyState { StrategyState(strategy: name, rounds: rounds) }

    /// Restores the round count saved by `state`.
    public mutating func restore(_ state: StrategyState) throws(StrategyError) {
        rounds = try state.rounds(restoringInto: name)
    }

    /// x ← x + η·med{Δᵢ} coordinate-wise (Yin et al. 2018, Definition 1).
    ///
    /// - Throws: as `FederatedStrategy.apply`; `updatesNotKept` for a streaming accumulator.
    public mutating func apply(_ updates: DeltaAccumulator, to global: inout [Float]) throws(StrategyError) {
        try checkRound(updates, global: global)
        updates.applyCoordinateStatistic(scaledBy: serverLearningRate, to: &global) { sorted in
            let m = sorted.count
            if m % 2 == 1 { return Double(sorted[m / 2]) }
            return (Double(sorted[m / 2 - 1]) + Double(sorted[m / 2])) / 2
        }
        rounds += 1
    }
}
