import Foundation
import CohortData
import CohortLearn
import CohortPrivacy

/// Everything the round engine needs to run, independent of how it was written down
/// (a YAML plan maps onto it).
public struct FederationConfiguration: Sendable {
    public var runID: String
    public var definition: ModelDefinition
    public var schema: Schema
    public var rounds: Int
    public var sampling: SiteSampling
    public var local: LocalWork
    public var privacy: TaskPrivacy
    /// Site unit: the most ε the run may spend (orchestrator ledger); the run stops before passing it.
    public var runBudgetEpsilon: Double?
    /// Evaluate the global model on every site's holdout every k rounds (and after the last).
    public var evaluateEvery: Int
    /// Per-site metrics are reported only for sites with at least this many holdout records.
    public var minimumEvaluationRecords: Int
    /// The pooled holdout metrics each evaluated round records (`RoundRecord.metrics`, or
    /// `undefinedMetrics` with the reason); a plan's `evaluation.metrics`.
    public var metrics: [Plan.Evaluation.Metric]
    public var seed: UInt64
    /// A site that has not answered this many seconds into a round is dropped from it.
    public var deadlineSeconds: Double?
    /// How the local learning rate changes over the rounds.
    public var roundSchedule: RoundSchedule = .constant
    /// Site unit: the clip bound's starting state when it adapts round by round (Andrew et al.
    /// 2021); `privacy.deltaClipNorm` is then each round's current bound,
    /// `privacy.noiseMultiplier` the deltas' z_Δ and `privacy.unclippedCountNoise` σ_b.
    public var adaptiveClipping: AdaptiveClipping?
    /// Record unit in a real federation with a plan's `target_epsilon`: the orchestrator does
    /// not know the sites' row counts, so `privacy.noiseMultiplier` is 0 until the engine has
    /// the sites' preprocessing aggregates, and then the smallest σ with which every site's
    /// planned run spends at most this ε (`RoundEngine.calibrateRecordNoise`).
    public var recordTargetEpsilon: Double?
    /// σ_pre when the sites release their preprocessing aggregates with noise (a plan's
    /// `privacy.noise_preprocessing`, record unit only); nil: the aggregates are exact and
    /// released outside ε.
    public var preprocessingNoiseMultiplier: Double?

    /// What each site is asked to do with its preprocessing aggregates: nil for the exact
    /// aggregates, or the noised release with its charge.
    public var preprocessingNoise: PreprocessingNoise? {
        guard privacy.unit == .record, let sigma = preprocessingNoiseMultiplier else { return nil }
        return PreprocessingNoise(runID: runID, noiseMultiplier: sigma, noiseSeed: privacy.noiseSeed, delta: privacy.delta,
                                  siteBudgetEpsilon: privacy.siteBudgetEpsilon)
    }

    public init(
        runID: String, definition: ModelDefinition, schema: Schema, rounds: Int, sampling: SiteSampling = .init(),
        local: LocalWork = .init(), privacy: TaskPrivacy = .init(), runBudgetEpsilon: Double? = nil,
        evaluateEvery: Int = 1, minimumEvaluationRecords: Int = 10, metrics: [Plan.Evaluation.Metric] = Plan.Evaluation().metrics,
        seed: UInt64 = 0, deadlineSeconds: Double? = nil
    ) {
        self.runID = runID
        self.definition = definition
        self.schema = schema
        self.rounds = rounds
        self.sampling = sampling
        self.local = local
        self.privacy = privacy
        self.runBudgetEpsilon = runBudgetEpsilon
        self.evaluateEvery = evaluateEvery
        self.minimumEvaluationRecords = minimumEvaluationRecords
        self.metrics = metrics
        self.seed = seed
        self.deadlineSeconds = deadlineSeconds
    }
}

/// How many sites take part in each round.
public struct SiteSampling: Sendable, Equatable {
    public enum Size: Sendable, Equatable {
        case all
        case count(Int)
        case fraction(Double)
    }

    public var size: Size
    /// The fewest answering sites for a round to count.
    public var minimum: Int

    public init(size: Size = .all, minimum: Int = 1) {
        self.size = size
        self.minimum = minimum
    }

    /// How many of `total` sites to sample (at least `minimum`, at most `total`).
    public func count(of total: Int) -> Int {
        let wanted: Int
        switch size {
        case .all: wanted = total
        case .count(let n): wanted = n
        case .fraction(let f): wanted = Int((f * Double(total)).rounded(.up))
        }
        return Swift.min(total, Swift.max(wanted, minimum, 1))
    }
}

/// A run that cannot go on; the message says which round, site or budget.
public struct FederationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The local learning rate over a run's rounds.
public enum RoundSchedule: Sendable, Equatable {
    /// Every round uses the plan's η.
    case constant
    /// Cosine annealing to 0 over the run (Loshchilov and Hutter, "SGDR: Stochastic Gradient
    /// Descent with Warm Restarts", ICLR 2017, eq. 5, with η_min = 0, one cycle of R rounds,
    /// T_cur = r): round r (0-based) of R trains with η_r = ½·η·(1 + cos(π·r/R)).
    case cosine

    /// The factor η_r / η for round `round` (1-based) of `rounds`.
    public func factor(round: Int, of rounds: Int) -> Float {
        switch self {
        case .constant:
            return 1
        case .cosine:
            let r = Double(max(round - 1, 0)), total = Double(max(rounds, 1))
            return Float(0.5 * (1 + cos(Double.pi * r / total)))
        }
    }
}
