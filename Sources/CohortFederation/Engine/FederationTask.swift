import CohortData
import CohortLearn
import CohortPrivacy

/// What the orchestrator asks a site to do in one round, and what comes back.
///
/// These values cross the transport seam: the in-memory transport passes them as they
/// are, the gRPC transport (next issue) encodes them. They carry no patient data.
public struct TrainingTask: Sendable {
    public var runID: String
    public var round: Int
    public var definition: ModelDefinition
    public var loss: Loss
    public var inputWidth: Int
    public var outputWidth: Int
    /// The global model, flattened in the layout of `Network(definition:…).parameters`.
    public var global: [Float]
    /// The preprocessing every site applies (computed from pooled aggregates before round 1).
    public var preprocessing: PreprocessingStatistics
    public var local: LocalWork
    public var privacy: TaskPrivacy
    /// Seed for the site's shuffling and initialisation-free randomness this round.
    public var seed: UInt64

    public init(
        runID: String, round: Int, definition: ModelDefinition, loss: Loss, inputWidth: Int, outputWidth: Int,
        global: [Float], preprocessing: PreprocessingStatistics, local: LocalWork, privacy: TaskPrivacy, seed: UInt64
    ) {
        self.runID = runID
        self.round = round
        self.definition = definition
        self.loss = loss
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        self.global = global
        self.preprocessing = preprocessing
        self.local = local
        self.privacy = privacy
        self.seed = seed
    }
}

/// A site's local work per round.
public struct LocalWork: Sendable, Equatable {
    /// Passes over the site's training rows (used when `steps` is nil).
    public var epochs: Int
    /// Optimiser steps, instead of epochs.
    public var steps: Int?
    public var batchSize: Int
    public var optimizer: OptimizerConfiguration
    public var learningRate: Float
    /// FedProx's μ (0: none).
    public var proximalMu: Float

    public init(epochs: Int = 1, steps: Int? = nil, batchSize: Int = 32, optimizer: OptimizerConfiguration = .sgd(),
                learningRate: Float = 0.05, proximalMu: Float = 0) {
        self.epochs = epochs
        self.steps = steps
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.proximalMu = proximalMu
    }
}

/// The privacy settings a site applies before its update leaves.
public struct TaskPrivacy: Sendable, Equatable {
    public enum Unit: String, Sendable, Equatable, Codable {
        /// No differential privacy (deltas are still clipped when `deltaClipNorm` is set).
        case none
        /// Each patient record: DP-SGD inside local training.
        case record
        /// Each site: the delta is clipped to C and noised with std σC (DP-FedAvg).
        case site
    }

    public var unit: Unit
    /// DP-SGD's per-example clip bound (record unit).
    public var exampleClipNorm: Float
    /// The L2 bound every delta is clipped to before it leaves (site unit: C).
    public var deltaClipNorm: Float?
    /// σ: noise std in units of the clip bound (record unit: of C per example; site unit: of C per delta).
    public var noiseMultiplier: Double
    /// Seeded noise (simulations and tests only), else secure noise.
    public var noiseSeed: UInt64?
    /// δ at which ε is reported.
    public var delta: Double
    /// Record unit: the most ε a site may spend on this run; a task that would pass it is refused.
    public var siteBudgetEpsilon: Double?
    /// Site unit with adaptive clipping: σ_b, the standard deviation of the noise each site
    /// adds to its centred clipping bit bᵢ − ½ (`SiteUpdate.unclippedSignal`); nil when the
    /// clip bound is fixed and no bit is released.
    public var unclippedCountNoise: Double?

    public init(unit: Unit = .none, exampleClipNorm: Float = 1, deltaClipNorm: Float? = nil,
                noiseMultiplier: Double = 0, noiseSeed: UInt64? = nil, delta: Double = 1e-5,
                siteBudgetEpsilon: Double? = nil, unclippedCountNoise: Double? = nil) {
        self.unit = unit
        self.exampleClipNorm = exampleClipNorm
        self.deltaClipNorm = deltaClipNorm
        self.noiseMultiplier = noiseMultiplier
        self.noiseSeed = noiseSeed
        self.delta = delta
        self.siteBudgetEpsilon = siteBudgetEpsilon
        self.unclippedCountNoise = unclippedCountNoise
    }

    /// The noise multiplier a round is accounted at: σ itself, or with adaptive clipping the
    /// z of the pair (delta noised with z_Δ = σ, bit noised with σ_b) as one Gaussian
    /// mechanism, z = (z_Δ⁻² + (2σ_b)⁻²)^(−1/2) (Andrew et al. 2021, Section 3).
    public var accountedNoiseMultiplier: Double {
        guard let sigmaB = unclippedCountNoise else { return noiseMultiplier }
        return AdaptiveClipping.totalNoiseMultiplier(delta: noiseMultiplier, countNoiseStandardDeviation: sigmaB)
    }
}

/// A site's answer to a training task.
public struct SiteUpdate: Sendable {
    /// Local model − global model, flattened; clipped and noised as the task asked.
    public var delta: [Float]
    /// Training records used (for weighting; sites may round or withhold it).
    public var records: Int
    public var steps: Int
    public var trainingLoss: Double
    /// Record unit: the site's own ε after this round (its ledger), at the run's δ.
    public var siteEpsilon: Double?
    /// Adaptive clipping: bᵢ − ½ + N(0, σ_b²), where bᵢ = 1 when the delta's norm was within
    /// the round's clip bound (Andrew et al. 2021, Algorithm 1, with the centred count of
    /// Section 3); noised at the site, so the orchestrator never sees a site's bit.
    public var unclippedSignal: Double?
    /// The site's audit head as of the last line it wrote before the update left (after the
    /// lines that admitted the task and charged its ε), which the orchestrator keeps as an
    /// anchor of the site's log (`RoundRecord.auditAnchors`); nil from a site without one.
    public var auditHead: AuditHead?

    public init(delta: [Float], records: Int, steps: Int, trainingLoss: Double, siteEpsilon: Double? = nil,
                unclippedSignal: Double? = nil, auditHead: AuditHead? = nil) {
        self.delta = delta
        self.records = records
        self.steps = steps
        self.trainingLoss = trainingLoss
        self.siteEpsilon = siteEpsilon
        self.unclippedSignal = unclippedSignal
        self.auditHead = auditHead
    }
}

/// What a site returns for federated evaluation: counts and per-class score histograms,
/// from which pooled metrics are computed without any per-patient score leaving the site.
public struct SiteEvaluation: Sendable {
    public var records: Int
    /// Sum of per-example losses on the holdout (pooled loss = Σ / Σ records).
    public var lossSum: Double
    /// Correct predictions (argmax / threshold 0.5).
    public var correct: Int
    /// Binary tasks: score histogram of P(class 1) with labels.
    public var histogram: ScoreHistogram?
    /// Multi-class tasks: the k×k confusion counts.
    public var confusion: MulticlassConfusionMatrix?
    /// The site's audit head as of the last line it wrote before the evaluation left (see
    /// `SiteUpdate.auditHead`).
    public var auditHead: AuditHead?

    public init(records: Int, lossSum: Double, correct: Int, histogram: ScoreHistogram?, confusion: MulticlassConfusionMatrix?,
                auditHead: AuditHead? = nil) {
        self.records = records
        self.lossSum = lossSum
        self.correct = correct
        self.histogram = histogram
        self.confusion = confusion
        self.auditHead = auditHead
    }
}
