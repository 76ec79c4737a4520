import CohortLearn

extension Plan {
    /// What each site does with the global model in a round (`local:`).
    ///
    /// ```yaml
    /// local:
    ///   epochs: 1               # passes over the site's training rows, or:
    ///   # steps: 20             # optimiser steps (exactly one of epochs / steps)
    ///   batch_size: 32
    ///   optimizer: sgd          # sgd | nesterov | adam | adamw
    ///   learning_rate: 0.05     # default 0.05 (sgd, nesterov), 0.001 (adam, adamw)
    ///   momentum: 0             # sgd and nesterov only; default 0 (sgd), 0.9 (nesterov)
    ///   weight_decay: 0         # default 0, 0.01 for adamw
    ///   schedule: constant      # constant | cosine
    /// ```
    ///
    /// The optimiser's state starts from zero every round. With `schedule: cosine` the
    /// learning rate of round r (0-based) of R is cosine annealing to 0 over the run's rounds
    /// (Loshchilov and Hutter, "SGDR", ICLR 2017, eq. 5): η_r = ½·η·(1 + cos(π·r/R)).
    /// FedProx's μ is a strategy setting (`strategy: {name: fedprox, proximal_mu: 0.01}`),
    /// which the engine sends to the sites with the task.
    public struct LocalTraining: Sendable, Hashable, Codable {
        /// How much local work a round asks for.
        public enum Work: Sendable, Hashable {
            /// Passes over the site's training rows.
            case epochs(Int)
            /// Optimiser steps (minibatches).
            case steps(Int)
        }

        /// The plan's names for the optimisers.
        public enum Optimizer: String, Sendable, Hashable, Codable, CaseIterable {
            /// SGD, with optional heavy-ball momentum.
            case sgd
            /// SGD with Nesterov momentum (Sutskever et al., ICML 2013).
            case nesterov
            /// Adam (Kingma and Ba, ICLR 2015).
            case adam
            /// AdamW (Loshchilov and Hutter, ICLR 2019).
            case adamw
        }

        /// The plan's names for the learning-rate schedules.
        public enum Schedule: String, Sendable, Hashable, Codable, CaseIterable {
            case constant, cosine
        }

        /// Default one epoch.
        public var work: Work
        /// Examples per minibatch; default 32.
        public var batchSize: Int
        /// Default `sgd`.
        public var optimizer: Optimizer
        public var learningRate: Double
        /// Momentum μ ∈ [0, 1) for `sgd` and `nesterov` (0 for the others).
        public var momentum: Double
        public var weightDecay: Double
        /// Default `constant`.
        public var schedule: Schedule

        /// Local-training settings; nil settings take the optimiser's defaults.
        public init(
            work: Work = .epochs(1), batchSize: Int = 32, optimizer: Optimizer = .sgd, learningRate: Double? = nil,
            momentum: Double? = nil, weightDecay: Double? = nil, schedule: Schedule = .constant
        ) {
            self.work = work
            self.batchSize = batchSize
            self.optimizer = optimizer
            self.learningRate = learningRate ?? Self.defaultLearningRate(optimizer)
            self.momentum = momentum ?? Self.defaultMomentum(optimizer)
            self.weightDecay = weightDecay ?? Self.defaultWeightDecay(optimizer)
            self.schedule = schedule
        }

        /// 0.05 for SGD (the `cohort train` default), 0.001 for Adam and AdamW (Kingma and Ba's).
        public static func defaultLearningRate(_ optimizer: Optimizer) -> Double {
            switch optimizer {
            case .sgd, .nesterov: 0.05
            case .adam, .adamw: 0.001
            }
        }

        /// 0 for plain SGD (FedAvg's local solver), 0.9 for Nesterov; Adam has none.
        public static func defaultMomentum(_ optimizer: Optimizer) -> Double { optimizer == .nesterov ? 0.9 : 0 }

        /// 0.01 for AdamW (its paper's and PyTorch's default), else 0.
        public static func defaultWeightDecay(_ optimizer: Optimizer) -> Double { optimizer == .adamw ? 0.01 : 0 }

        /// The optimiser as CohortLearn configures it.
        public var optimizerConfiguration: OptimizerConfiguration {
            switch optimizer {
            case .sgd: .sgd(momentum: Float(momentum), nesterov: false, weightDecay: Float(weightDecay))
            case .nesterov: .sgd(momentum: Float(momentum), nesterov: true, weightDecay: Float(weightDecay))
            case .adam: .adam(weightDecay: Float(weightDecay))
            case .adamw: .adamW(weightDecay: Float(weightDecay))
            }
        }

        /// The schedule as CohortLearn configures it (cosine to 0).
        public var learningRateSchedule: LearningRateSchedule {
            switch schedule {
            case .constant: .constant
            case .cosine: .cosine(minimum: 0)
            }
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case epochs, steps
            case batchSize = "batch_size"
            case optimizer
            case learningRate = "learning_rate"
            case momentum
            case weightDecay = "weight_decay"
            case proximalMu = "proximal_mu"
            case schedule
        }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: CodingKeys.allCases.map(\.rawValue))
            try fields.rejectIfPresent(
                "proximal_mu",
                "FedProx's μ is a strategy setting: write strategy: {name: fedprox, proximal_mu: 0.01}")
            let epochs: Int? = try fields.optional("epochs")
            let steps: Int? = try fields.optional("steps")
            let work: Work
            switch (epochs, steps) {
            case (let epochs?, nil): work = .epochs(epochs)
            case (nil, let steps?): work = .steps(steps)
            case (nil, nil): work = .epochs(1)
            case (_?, _?):
                throw PlanError(.conflictingFields, field: fields.field("steps"), "give either 'epochs' or 'steps', not both")
            }
            let optimizer = try fields.word("optimizer", as: Optimizer.self) ?? .sgd
            if optimizer == .adam || optimizer == .adamw {
                try fields.rejectIfPresent("momentum", "applies only to optimizer sgd or nesterov, not \(optimizer.rawValue)")
            }
            self.init(
                work: work, batchSize: try fields.optional("batch_size") ?? 32, optimizer: optimizer,
                learningRate: try fields.optional("learning_rate"), momentum: try fields.optional("momentum"),
                weightDecay: try fields.optional("weight_decay"),
                schedule: try fields.word("schedule", as: Schedule.self) ?? .constant)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch work {
            case .epochs(let epochs): try container.encode(epochs, forKey: .epochs)
            case .steps(let steps): try container.encode(steps, forKey: .steps)
            }
            try container.encode(batchSize, forKey: .batchSize)
            try container.encode(optimizer.rawValue, forKey: .optimizer)
            try container.encode(learningRate, forKey: .learningRate)
            if optimizer == .sgd || optimizer == .nesterov { try container.encode(momentum, forKey: .momentum) }
            try container.encode(weightDecay, forKey: .weightDecay)
            try container.encode(schedule.rawValue, forKey: .schedule)
        }
    }
}
