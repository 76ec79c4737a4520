extension Plan {
    /// Federated evaluation of the global model on each site's held-out rows
    /// (`evaluation:`).
    ///
    /// ```yaml
    /// evaluation:
    ///   every: 1                  # rounds between evaluations (and always after the last)
    ///   holdout: 0.2              # fraction of each site's rows held out, never trained on
    ///   min_records: 10           # k: per-site metrics only for sites with ≥ k held-out rows
    ///   metrics: [auroc, accuracy, log_loss]
    /// ```
    public struct Evaluation: Sendable, Hashable, Codable {
        /// The metrics a plan may ask for; pooled from per-site counts and score histograms.
        public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
            case auroc, auprc, accuracy
            case balancedAccuracy = "balanced_accuracy"
            case logLoss = "log_loss"
            case brier, ece, sensitivity, specificity, ppv, npv
            case macroF1 = "macro_f1"

            /// The name people read in progress lines and reports (`AUROC`, `log-loss`).
            public var label: String {
                switch self {
                case .auroc: "AUROC"
                case .auprc: "AUPRC"
                case .accuracy: "accuracy"
                case .balancedAccuracy: "balanced accuracy"
                case .logLoss: "log-loss"
                case .brier: "Brier"
                case .ece: "ECE"
                case .sensitivity: "sensitivity"
                case .specificity: "specificity"
                case .ppv: "PPV"
                case .npv: "NPV"
                case .macroF1: "macro-F1"
                }
            }
        }

        /// Default 1.
        public var every: Int
        /// Default 0.2.
        public var holdout: Double
        /// k for small-cell suppression; default 10.
        public var minimumRecords: Int
        /// Default `[auroc, accuracy, log_loss]`.
        public var metrics: [Metric]

        public init(every: Int = 1, holdout: Double = 0.2, minimumRecords: Int = 10,
                    metrics: [Metric] = [.auroc, .accuracy, .logLoss]) {
            self.every = every
            self.holdout = holdout
            self.minimumRecords = minimumRecords
            self.metrics = metrics
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case every, holdout
            case minimumRecords = "min_records"
            case metrics
        }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: CodingKeys.allCases.map(\.rawValue))
            let defaults = Evaluation()
            var metrics = defaults.metrics
            if let names: [String] = try fields.optional("metrics") {
                metrics = []
                for (index, name) in names.enumerated() {
                    guard let metric = Metric(rawValue: name) else {
                        let known = Metric.allCases.map(\.rawValue).joined(separator: ", ")
                        throw PlanError(
                            .invalidValue, field: fields.field("metrics") + "[\(index)]",
                            "unknown metric '\(name)'; known metrics: \(known)")
                    }
                    metrics.append(metric)
                }
            }
            self.init(
                every: try fields.optional("every") ?? defaults.every,
                holdout: try fields.optional("holdout") ?? defaults.holdout,
                minimumRecords: try fields.optional("min_records") ?? defaults.minimumRecords,
                metrics: metrics)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(every, forKey: .every)
            try container.encode(holdout, forKey: .holdout)
            try container.encode(minimumRecords, forKey: .minimumRecords)
            try container.encode(metrics.map(\.rawValue), forKey: .metrics)
        }
    }
}
