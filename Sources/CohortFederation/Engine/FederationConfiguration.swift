import CohortData
import CohortLearn

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
    public var seed: UInt64
    /// A site that has not answered this many seconds into a round is dropped from it.
    public var deadlineSeconds: Double?

    public init(
        runID: String, definition: ModelDefinition, schema: Schema, rounds: Int, sampling: SiteSampling = .init(),
        local: LocalWork = .init(), privacy: TaskPrivacy = .init(), runBudgetEpsilon: Double? = nil,
        evaluateEvery: Int = 1, minimumEvaluationRecords: Int = 10, seed: UInt64 = 0, deadlineSeconds: Double? = nil
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
