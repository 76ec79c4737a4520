/// Coordinate-wise trimmed mean: for each parameter, drop the k largest and k smallest of the
/// sites' values and average the rest, so up to k sites per side, however extreme, have no
/// influence.
///
/// Yin, Chen, Ramchandran, Bartlett, "Byzantine-Robust Distributed Learning: Towards Optimal
/// Statistical Rates", ICML 2018, Definition 2 (coordinate-wise β-trimmed mean) and
/// Algorithm 1 (here applied to deltas, not gradients). With m updates and k = ⌊β·m⌋:
///
///     U[j] = the m − 2k middle values of {Δ₁[j], …, Δₘ[j]}
///     g[j] = (1 / (m − 2k)) · Σ_{u ∈ U[j]} u           for every parameter j
///     x ← x + η·g
///
/// β should be at least the fraction of sites that may be faulty or adversarial (the paper's
/// guarantee takes β ≥ α). k = ⌊β·m⌋ is the convention of `scipy.stats.trim_mean`; since
/// β < 1/2, at least one value always remains. A round whose k would be 0 for β > 0 trims
/// nothing, which would silently give an unprotected mean: it fails with `tooFewUpdates`.
/// β = 0 asks for a plain uniform mean and is allowed. Every site counts once: record counts
/// do not weight a robust aggregate.
///
/// Not streaming: the trimmed mean needs every delta at once, so the accumulator keeps all of
/// them (`needsAllUpdates`), one model per site in memory.
public struct TrimmedMean: FederatedStrategy, Hashable {
    /// The fraction β ∈ [0, 1/2) trimmed from each end, per coordinate.
    public let trimFraction: Double
    /// The server learning rate η in x ← x + η·g.
    public let serverLearningRate: Double
    /// Rounds applied so far.
    public private(set) var rounds = 0

    /// Coordinate-wise β-trimmed mean with server learning rate η (default 1).
    ///
    /// - Throws: `invalidConfiguration` unless β ∈ [0, 0.5) and η is finite and > 0.
    public init(trimFraction: Double, serverLearningRate: Double = FedAvg.defaultServerLearningRate)
        throws(StrategyError)
    {
        try SettingCheck.inHalfOpenRange(trimFraction, below: 0.5, .trimFraction)
        try SettingCheck.positive(serverLearningRate, .serverLearningRate)
        self.trimFraction = trimFraction
        self.serverLearningRate = serverLearningRate
    }

    /// `"trimmed_mean"`.
    public var name: String { StrategyKind.trimmedMean.rawValue }

    /// `true`: the trimmed mean needs every delta.
    public var needsAllUpdates: Bool { true }

    /// `.uniform`: every site counts once.
    public var weighting: Weighting { .uniform }

    /// The round count; the trimmed mean keeps no other state.
    public var state: StrategyState { StrategyState(strategy: name, rounds: rounds) }

    /// k = ⌊β·m⌋, the number of values trimmed from each end among `updates` values.
    public func trimmedPerSide(updates: Int) -> Int {
        Int((trimFraction * Double(updates)).rounded(.down))
    }

    /// Restores the round count saved by `state`.
    public mutating func restore(_ state: StrategyState) throws(StrategyError) {
        rounds = try state.rounds(restoringInto: name)
    }

    /// x ← x + η·g with g the coordinate-wise β-trimmed mean (Yin et al. 2018, Definition 2).
    ///
    /// - Throws: as `FederatedStrategy.apply`; `updatesNotKept` for a streaming accumulator;
    ///   `tooFewUpdates` when β > 0 but ⌊β·m⌋ = 0.
    public mutating func apply(_ updates: DeltaAccumulator, to global: inout [Float]) throws(StrategyError) {
        try checkRound(updates, global: global)
        let m = updates.count
        let k = trimmedPerSide(updates: m)
        if trimFraction > 0, k == 0 {
            var needed = Int(min((1 / trimFraction).rounded(.up), Double(Int32.max)))
            if needed > 1, trimmedPerSide(updates: needed - 1) > 0 { needed -= 1 }
            throw StrategyError(
                .tooFewUpdates,
                "trimmed_mean with trim_fraction \(trimFraction) trims ⌊\(trimFraction) × \(m)⌋ = 0 of \(m) updates "
                    + "from each end; it needs at least \(needed) updates this round, or a larger trim_fraction")
        }
        updates.applyCoordinateStatistic(scaledBy: serverLearningRate, to: &global) { sorted in
            var sum = 0.0
            for i in k..<(sorted.count - k) { sum += Double(sorted[i]) }
            return sum / Double(sorted.count - 2 * k)
        }
        rounds += 1
    }
}
