import CohortTensor

/// Examples and their class labels, as training and evaluation take them.
public struct LabeledData: Sendable {
    /// One row per example (encoded features).
    public var features: Tensor<Float>
    /// Each row's class index.
    public var labels: [Int]

    public init(features: Tensor<Float>, labels: [Int]) {
        precondition(features.rank == 2 && features.shape[0] == labels.count,
                     "features \(features.shape) and \(labels.count) labels do not match")
        self.features = features
        self.labels = labels
    }

    /// The number of examples.
    public var count: Int { labels.count }
}

/// DP-SGD settings: per-example clipping bound and noise multiplier.
///
/// Each step adds N(0, σ²C²) to the sum of clipped per-example gradients and divides by
/// the expected batch size qN (Abadi et al., "Deep Learning with Differential Privacy",
/// CCS 2016, Algorithm 1, with Poisson sampling as their accountant assumes).
public struct DPSGDOptions: Sendable, Equatable, Codable {
    /// C, the L2 bound on each example's gradient.
    public var clipNorm: Float
    /// σ, the noise standard deviation in units of C.
    public var noiseMultiplier: Double

    public init(clipNorm: Float, noiseMultiplier: Double) {
        precondition(clipNorm > 0 && noiseMultiplier >= 0, "DP-SGD needs C > 0 and σ ≥ 0")
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
    }
}

/// The anchor and weight of FedProx's proximal term.
public struct ProximalTerm: Sendable, Equatable {
    public var anchor: NamedTensors
    public var mu: Float
    public init(anchor: NamedTensors, mu: Float) {
        self.anchor = anchor
        self.mu = mu
    }
}

/// How many BLAS threads training uses.
public enum BLASThreadPolicy: Sendable, Equatable {
    /// Leave the process setting alone.
    case unchanged
    /// Use exactly this many.
    case fixed(Int)
    /// Time a few steps with one thread and with all, and keep the faster: small
    /// matrices (a batch of 64 through a 64-wide layer) run faster on one thread.
    case automatic
}

/// Everything a local training run needs besides the model and the data.
public struct TrainingOptions: Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var optimizer: OptimizerConfiguration
    public var schedule: LearningRateSchedule
    /// Stop after this many epochs without a better validation loss, and keep the best
    /// parameters; nil trains all epochs. Ignored under DP-SGD, where choosing by the
    /// validation split would spend privacy that ε does not cover.
    public var earlyStoppingPatience: Int?
    /// Seed for initialisation-independent randomness: shuffling, sampling, dropout.
    public var seed: UInt64
    /// DP-SGD, or nil for plain training.
    public var privacy: DPSGDOptions?
    public var blasThreads: BLASThreadPolicy
    /// FedProx's proximal term (Li et al., "Federated Optimization in Heterogeneous
    /// Networks", MLSys 2020, Eq. 2): the local loss gains (μ/2)‖w − anchor‖², so the
    /// gradient gains μ(w − anchor); nil for none.
    public var proximal: ProximalTerm?
    /// Stop after this many optimiser steps in all (federated local work counted in
    /// steps rather than epochs); nil for no limit.
    public var maximumSteps: Int?

    public init(
        epochs: Int = 30, batchSize: Int = 64, learningRate: Float = 0.05,
        optimizer: OptimizerConfiguration = .sgd(momentum: 0.9), schedule: LearningRateSchedule = .constant,
        earlyStoppingPatience: Int? = nil, seed: UInt64 = 0, privacy: DPSGDOptions? = nil,
        blasThreads: BLASThreadPolicy = .automatic, proximal: ProximalTerm? = nil, maximumSteps: Int? = nil
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.schedule = schedule
        self.earlyStoppingPatience = earlyStoppingPatience
        self.seed = seed
        self.privacy = privacy
        self.blasThreads = blasThreads
        self.proximal = proximal
        self.maximumSteps = maximumSteps
    }

    /// Checks the values; the message names the option.
    public func validate() throws(TrainingError) {
        guard epochs >= 1 else { throw TrainingError("epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw TrainingError("batch size must be at least 1, got \(batchSize)") }
        guard learningRate > 0 && learningRate.isFinite else {
            throw TrainingError("learning rate must be positive, got \(learningRate)")
        }
        if let patience = earlyStoppingPatience, patience < 1 {
            throw TrainingError("early-stopping patience must be at least 1, got \(patience)")
        }
        if let privacy {
            guard privacy.clipNorm > 0 && privacy.clipNorm.isFinite else {
                throw TrainingError("DP clip norm must be positive, got \(privacy.clipNorm)")
            }
            guard privacy.noiseMultiplier >= 0 && privacy.noiseMultiplier.isFinite else {
                throw TrainingError("DP noise multiplier must be ≥ 0, got \(privacy.noiseMultiplier)")
            }
        }
        if case .fixed(let n) = blasThreads, n < 1 { throw TrainingError("BLAS threads must be at least 1, got \(n)") }
        if let proximal, !(proximal.mu >= 0 && proximal.mu.isFinite) {
            throw TrainingError("proximal μ must be ≥ 0, got \(proximal.mu)")
        }
        if let maximumSteps, maximumSteps < 1 { throw TrainingError("maximum steps must be at least 1, got \(maximumSteps)") }
    }
}

/// Training that cannot run as asked.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What one epoch did.
public struct EpochRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    public var steps: Int
    public var examples: Int
    /// Mean training loss over the examples seen this epoch (before the L2 penalty).
    public var trainingLoss: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var learningRate: Float
    public var seconds: Double
    /// Fraction of examples whose gradient was clipped (DP-SGD only).
    public var clippedFraction: Double?

    /// Training examples processed per second of this epoch's training steps.
    public var samplesPerSecond: Double { seconds > 0 ? Double(examples) / seconds : 0 }
}

/// The outcome of `Trainer.train`.
public struct TrainingResult: Sendable {
    public var history: [EpochRecord]
    /// The epoch whose parameters were kept (the best validation loss, or the last).
    public var bestEpoch: Int
    public var stoppedEarly: Bool
    /// Optimiser steps taken in all.
    public var steps: Int
    /// q of Poisson sampling under DP-SGD (for the accountant), else nil.
    public var samplingRate: Double?
    /// Whether DP noise came from a cryptographically secure generator.
    public var noiseWasSecure: Bool?
    /// The BLAS thread count training ran with.
    public var blasThreads: Int
}
