/// A server-side aggregation rule: how the orchestrator turns one round's site deltas into the
/// next global model, in the sense of Flower's `Strategy.aggregate_fit` and of the
/// "ServerOpt" of Reddi et al. ("Adaptive Federated Optimization", ICLR 2021, Algorithm 1).
///
/// Each round the engine sends the global model x to the sampled sites; site i returns
/// Δᵢ = (its locally trained model − x) and its record count nᵢ; the engine validates the
/// delta and adds it to a `DeltaAccumulator` as it arrives; at the end of the round it calls
/// `apply(_:to:)`, which computes
///
///     x ← f(x, Δ₁ … Δₘ)
///
/// and updates the strategy's own server state (momentum, moments). Streaming strategies
/// read only the accumulator's running sum; those with `needsAllUpdates` read every delta.
///
/// A strategy is a value: the engine owns it, mutates it once per round, and can checkpoint
/// it through `state` and `restore(_:)`.
public protocol FederatedStrategy: Sendable {
    /// The plan's name for the strategy, e.g. `"fedadam"`; also tags its saved `state`.
    var name: String { get }

    /// `true` when the strategy needs every delta at once (coordinate-wise median and trimmed
    /// mean, Yin et al., ICML 2018): the accumulator must then keep all deltas, one model per
    /// site. `false` for the streaming strategies, which need only Σ wᵢΔᵢ.
    var needsAllUpdates: Bool { get }

    /// How deltas are weighted in the mean; the accumulator must be built with the same.
    var weighting: Weighting { get }

    /// The FedProx proximal coefficient μ that sites add to their local loss,
    /// (μ/2)‖w − x‖² (Li et al., MLSys 2020, Eq. 2); 0 for every other strategy.
    var proximalMu: Double { get }

    /// The server state to checkpoint: round count, and any momentum or moment vectors.
    var state: StrategyState { get }

    /// Restores state saved by `state`, e.g. after an orchestrator restart.
    ///
    /// - Throws: `stateMismatch` when the state names another strategy or its vectors are
    ///   inconsistent, `nonFiniteValue` when they hold NaN or ±∞.
    mutating func restore(_ state: StrategyState) throws(StrategyError)

    /// Combines the round's deltas and applies them: x ← f(x, accumulated deltas), updating
    /// the server state.
    ///
    /// On error neither `global` nor the strategy's state changes.
    ///
    /// - Throws: `noUpdates` for an empty round, `shapeMismatch` when the accumulator and
    ///   `global` differ in length, `weightingMismatch`, `updatesNotKept` for a robust strategy
    ///   given a streaming accumulator, `tooFewUpdates` when a robust aggregate is undefined.
    mutating func apply(_ updates: DeltaAccumulator, to global: inout [Float]) throws(StrategyError)
}

extension FederatedStrategy {
    /// 0: only FedProx asks sites for a proximal term.
    public var proximalMu: Double { 0 }

    /// An empty accumulator that fits this strategy: its weighting, and keeping every delta
    /// only when `needsAllUpdates`.
    public func makeAccumulator(parameterCount: Int) -> DeltaAccumulator {
        DeltaAccumulator(parameterCount: parameterCount, keepAll: needsAllUpdates, weighting: weighting)
    }

    /// The checks every `apply` makes before touching anything.
    func checkRound(_ updates: DeltaAccumulator, global: [Float]) throws(StrategyError) {
        guard updates.count > 0 else {
            throw StrategyError(.noUpdates, "\(name): no updates to aggregate this round")
        }
        guard updates.parameterCount == global.count else {
            throw StrategyError(
                .shapeMismatch,
                "\(name): updates have \(updates.parameterCount) parameters, the global model \(global.count)")
        }
        if needsAllUpdates {
            guard updates.all != nil else {
                throw StrategyError(
                    .updatesNotKept,
                    "\(name) needs every update, but the accumulator kept only their sum (build it with keepAll: true)")
            }
        } else if updates.weighting != weighting {
            throw StrategyError(
                .weightingMismatch,
                "\(name) weights updates by \(weighting.rawValue), the accumulator by \(updates.weighting.rawValue)")
        }
    }
}

/// x ← x + η·Δ̄, the FedAvg server step (McMahan et al., AISTATS 2017, Algorithm 1, written
/// as a step along the mean delta as in Reddi et al., ICLR 2021, Algorithm 1 with SGD), in
/// `Double` and rounded once. Callers have run `checkRound`.
func addMean(of updates: DeltaAccumulator, scaledBy rate: Double, to global: inout [Float]) {
    updates.withWeightedSum { sum, scale in
        let factor = rate * scale
        global.withUnsafeMutableBufferPointer { x in
            for i in 0..<x.count {
                x[i] = Float(Double(x[i]) + factor * sum[i])
            }
        }
    }
}
