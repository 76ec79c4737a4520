import CohortData
import CohortPrivacy

/// Everything the orchestrator must keep after a round so that a restarted run continues
/// exactly where it stopped: the global model, the shared preprocessing, the strategy's
/// server state, the run's privacy ledger and each site's last reported ε, and the rounds'
/// records.
///
/// `RoundEngine.run(sites:resumingFrom:checkpoint:progress:)` hands one to its `checkpoint`
/// closure after every completed round and continues from one at `round + 1`; everything
/// else a round needs (site sampling, task seeds) follows from the configuration and the
/// round number, so a run interrupted after round k and resumed ends with the same model,
/// bit for bit, as one that was not interrupted.
///
/// Coded with snake_case keys:
///
/// ```json
/// {"run_id": "run-0007", "round": 3, "global": [...], "preprocessing": {...},
///  "strategy": {...}, "run_ledger": {...}, "site_epsilons": {"hospital-a": 1.2}, "history": [...]}
/// ```
public struct RunCheckpoint: Codable, Sendable, Equatable {
    /// The run it belongs to (`FederationConfiguration.runID`).
    public var runID: String
    /// The last completed round (0 before the first).
    public var round: Int
    /// The global model after `round`, flattened in the network's parameter order.
    public var global: [Float]
    /// The statistics every site applies, pooled before round 1 (not asked for again).
    public var preprocessing: PreprocessingStatistics
    /// The strategy's server state after `round` (`FederatedStrategy.state`).
    public var strategy: StrategyState
    /// The run's ledger for the site unit: one charge per completed round (empty otherwise).
    public var runLedger: PrivacyLedger
    /// Record unit: each site's ε as it last reported it.
    public var siteEpsilons: [String: Double]
    /// The records of rounds 1 through `round`.
    public var history: [RoundRecord]
    /// Record unit, σ calibrated by the engine after the preprocessing (a real federation's
    /// `target_epsilon`, `FederationConfiguration.recordTargetEpsilon`); nil otherwise.
    public var noiseMultiplier: Double?

    /// A checkpoint with the given parts.
    public init(
        runID: String, round: Int, global: [Float], preprocessing: PreprocessingStatistics, strategy: StrategyState,
        runLedger: PrivacyLedger, siteEpsilons: [String: Double], history: [RoundRecord]
    ) {
        self.runID = runID
        self.round = round
        self.global = global
        self.preprocessing = preprocessing
        self.strategy = strategy
        self.runLedger = runLedger
        self.siteEpsilons = siteEpsilons
        self.history = history
    }

    private enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case round
        case global
        case preprocessing
        case strategy
        case runLedger = "run_ledger"
        case siteEpsilons = "site_epsilons"
        case history
        case noiseMultiplier = "noise_multiplier"
    }

    /// Checks that the checkpoint can resume a run of `configuration` whose model has
    /// `parameterCount` parameters: the same run id, 0 ≤ round ≤ rounds, a global model of
    /// that size with finite values, one record per completed round, and a run ledger for
    /// the site unit.
    ///
    /// - Throws: `FederationError` naming the run and what does not fit.
    public func validate(against configuration: FederationConfiguration, parameterCount: Int) throws(FederationError) {
        let prefix = "checkpoint of run \(runID) after round \(round)"
        guard runID == configuration.runID else {
            throw FederationError("\(prefix) cannot resume run \(configuration.runID): the run ids differ")
        }
        guard round >= 0, round <= configuration.rounds else {
            throw FederationError("\(prefix): the run has \(configuration.rounds) rounds, so the round must be in 0...\(configuration.rounds)")
        }
        guard global.count == parameterCount else {
            throw FederationError("\(prefix): the global model has \(global.count) parameters, the run's model \(parameterCount)")
        }
        if let bad = global.firstIndex(where: { !$0.isFinite }) {
            throw FederationError("\(prefix): global[\(bad)] = \(global[bad]) is not finite")
        }
        guard history.map(\.round) == Array(stride(from: 1, through: round, by: 1)) else {
            throw FederationError("\(prefix): its history holds rounds \(history.map(\.round)), expected 1 through \(round)")
        }
        guard runLedger.unit == .site else {
            throw FederationError("\(prefix): the run ledger is for the \(runLedger.unit.rawValue) unit, expected the site unit")
        }
    }
}
