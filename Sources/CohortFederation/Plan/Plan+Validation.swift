import Foundation

extension Plan {
    /// Checks every value that decoding cannot: ranges, names, uniqueness, and the rules
    /// between fields. Files are checked by `checkFiles(modelsDirectory:)`.
    ///
    /// - Throws: `PlanError` naming the first field at fault, e.g.
    ///   `field 'local.batch_size': must be at least 1, got 0`.
    public func validate() throws(PlanError) {
        try Self.checkIdentifier(name, field: "name")
        try Self.nonEmpty(label, field: "label")
        try Self.nonEmpty(model.description, field: "model")
        if let schema { try Self.nonEmpty(schema.path, field: "schema") }
        try Self.atLeast(1, rounds, field: "rounds")
        try validateData()
        try validateSampling()
        try validateLocal()
        try validateStrategy()
        try validatePrivacy()
        try validateEvaluation()
    }

    private func validateData() throws(PlanError) {
        switch data {
        case .sites(let sites):
            guard !sites.isEmpty else { throw PlanError(.invalidValue, field: "sites", "needs at least one site") }
            var firstIndex: [String: Int] = [:]
            for (index, site) in sites.enumerated() {
                try Self.checkIdentifier(site.name, field: "sites[\(index)].name")
                if let first = firstIndex[site.name] {
                    throw PlanError(
                        .invalidValue, field: "sites[\(index)].name",
                        "site name '\(site.name)' is already used by sites[\(first)]; site names must be unique")
                }
                firstIndex[site.name] = index
                if let data = site.data { try Self.nonEmpty(data.path, field: "sites[\(index)].data") }
            }
        case .partitioned(let file, let partition):
            try Self.nonEmpty(file.path, field: "data")
            switch partition.method {
            case .iid(let sites):
                try Self.atLeast(1, sites, field: "partition.sites")
            case .dirichlet(let sites, let alpha):
                try Self.atLeast(1, sites, field: "partition.sites")
                try Self.positive(alpha, field: "partition.alpha")
            case .byColumn(let column):
                try Self.nonEmpty(column, field: "partition.column")
                if column == label {
                    throw PlanError(
                        .conflictingFields, field: "partition.column",
                        "the label '\(label)' cannot also say which site a row belongs to")
                }
            }
            try Self.atLeast(1, partition.minimumRows, field: "partition.min_rows")
        }
    }

    private func validateSampling() throws(PlanError) {
        let sites = data.siteCount
        let sitesText = sites.map { "the plan has \($0) site\($0 == 1 ? "" : "s")" } ?? ""
        switch sampling.perRound {
        case .all:
            break
        case .count(let count):
            try Self.atLeast(1, count, field: "sampling.per_round")
            if let sites, count > sites {
                throw PlanError(
                    .invalidValue, field: "sampling.per_round", "asks for \(count) sites per round, but \(sitesText)")
            }
            if sampling.minimum > count {
                throw PlanError(
                    .conflictingFields, field: "sampling.minimum",
                    "is \(sampling.minimum), more than the \(count) sites asked per round (sampling.per_round)")
            }
        case .fraction(let fraction):
            guard fraction > 0 && fraction <= 1 else {
                throw PlanError(
                    .invalidValue, field: "sampling.per_round",
                    "a fraction of the sites must be in (0, 1], got \(fraction); for a count write a whole number")
            }
        }
        try Self.atLeast(1, sampling.minimum, field: "sampling.minimum")
        if let sites, sampling.minimum > sites {
            throw PlanError(.invalidValue, field: "sampling.minimum", "is \(sampling.minimum), but \(sitesText)")
        }
        try Self.positive(sampling.deadlineSeconds, field: "sampling.deadline_seconds")
    }

    private func validateLocal() throws(PlanError) {
        switch local.work {
        case .epochs(let epochs): try Self.atLeast(1, epochs, field: "local.epochs")
        case .steps(let steps): try Self.atLeast(1, steps, field: "local.steps")
        }
        try Self.atLeast(1, local.batchSize, field: "local.batch_size")
        try Self.positive(local.learningRate, field: "local.learning_rate")
        guard local.momentum >= 0 && local.momentum < 1 else {
            throw PlanError(.invalidValue, field: "local.momentum", "must be in [0, 1), got \(local.momentum)")
        }
        if local.optimizer == .nesterov && local.momentum == 0 {
            throw PlanError(.invalidValue, field: "local.momentum", "nesterov needs momentum above 0 (default 0.9), got 0")
        }
        try Self.nonNegative(local.weightDecay, field: "local.weight_decay")
    }

    private func validateStrategy() throws(PlanError) {
        do {
            try strategy.validate()
        } catch {
            // StrategyError messages begin with the setting's path: "strategy.beta2 must be …".
            let message = error.message
            if let field = StrategyConfiguration.Field.allCases.map({ "strategy.\($0.rawValue)" })
                .first(where: { message.hasPrefix($0 + " ") }) {
                throw PlanError(.invalidValue, field: field, String(message.dropFirst(field.count + 1)))
            }
            throw PlanError(.invalidValue, field: "strategy", message)
        }
    }

    private func validatePrivacy() throws(PlanError) {
        guard privacy.unit != .none else { return }
        try Self.positive(privacy.clip, field: "privacy.clip")
        switch privacy.calibration {
        case .noiseMultiplier(let sigma)?:
            try Self.positive(sigma, field: "privacy.noise_multiplier")
        case .targetEpsilon(let epsilon)?:
            try Self.positive(epsilon, field: "privacy.target_epsilon")
            if let budget = privacy.budgetEpsilon, epsilon > budget {
                throw PlanError(
                    .conflictingFields, field: "privacy.target_epsilon",
                    "is \(epsilon), more than privacy.budget_epsilon \(budget): the run would stop before it ends")
            }
        case nil:
            throw PlanError(.missingField, field: "privacy.noise_multiplier", "required with a privacy unit")
        }
        guard privacy.delta > 0 && privacy.delta < 1 else {
            throw PlanError(.invalidValue, field: "privacy.delta", "must be in (0, 1), got \(privacy.delta)")
        }
        if let budget = privacy.budgetEpsilon { try Self.positive(budget, field: "privacy.budget_epsilon") }
        if let bound = privacy.deltaClip { try Self.positive(bound, field: "privacy.delta_clip") }
        if let sigma = privacy.preprocessingNoiseMultiplier { try Self.positive(sigma, field: "privacy.preprocessing_noise_multiplier") }
        if let adaptive = privacy.adaptiveClipping {
            guard adaptive.targetQuantile >= 0 && adaptive.targetQuantile <= 1 else {
                throw PlanError(
                    .invalidValue, field: "privacy.adaptive_clipping.target_quantile",
                    "must be in [0, 1], got \(adaptive.targetQuantile)")
            }
            try Self.positive(adaptive.learningRate, field: "privacy.adaptive_clipping.learning_rate")
            if let countNoise = adaptive.countNoise { try Self.positive(countNoise, field: "privacy.adaptive_clipping.count_noise") }
        }
        if privacy.noise == .seeded && !simulation {
            throw PlanError(
                .conflictingFields, field: "privacy.noise",
                "seeded noise is reproducible and so gives no privacy; it is allowed only with simulation: true")
        }
    }

    private func validateEvaluation() throws(PlanError) {
        try Self.atLeast(1, evaluation.every, field: "evaluation.every")
        guard evaluation.holdout > 0 && evaluation.holdout < 1 else {
            throw PlanError(.invalidValue, field: "evaluation.holdout", "must be in (0, 1), got \(evaluation.holdout)")
        }
        try Self.atLeast(1, evaluation.minimumRecords, field: "evaluation.min_records")
        guard !evaluation.metrics.isEmpty else {
            throw PlanError(.invalidValue, field: "evaluation.metrics", "needs at least one metric")
        }
        var seen = Set<Evaluation.Metric>()
        for (index, metric) in evaluation.metrics.enumerated() where !seen.insert(metric).inserted {
            throw PlanError(.invalidValue, field: "evaluation.metrics[\(index)]", "'\(metric.rawValue)' is listed twice")
        }
    }

    // MARK: - Checks shared by the sections

    private static func atLeast(_ minimum: Int, _ value: Int, field: String) throws(PlanError) {
        guard value >= minimum else {
            throw PlanError(.invalidValue, field: field, "must be at least \(minimum), got \(value)")
        }
    }

    private static func positive(_ value: Double, field: String) throws(PlanError) {
        guard value > 0 && value.isFinite else {
            throw PlanError(.invalidValue, field: field, "must be a finite number above 0, got \(value)")
        }
    }

    private static func nonNegative(_ value: Double, field: String) throws(PlanError) {
        guard value >= 0 && value.isFinite else {
            throw PlanError(.invalidValue, field: field, "must be a finite number of at least 0, got \(value)")
        }
    }

    private static func nonEmpty(_ value: String, field: String) throws(PlanError) {
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw PlanError(.invalidValue, field: field, "must not be empty")
        }
    }

    /// Names of runs and sites: they become folder, file and certificate names.
    private static func checkIdentifier(_ value: String, field: String) throws(PlanError) {
        try nonEmpty(value, field: field)
        guard Identifier.isValid(value) else {
            throw PlanError(
                .invalidValue, field: field,
                "'\(value)' must be letters, digits, '.', '_' and '-', starting with a letter or digit")
        }
    }
}
