@testable import CohortFederation
import Foundation
import Testing

/// A plan that must be refused, the field its error must name, and a phrase it must say.
struct BadPlan: Sendable, CustomTestStringConvertible {
    var yaml: String
    var field: String
    var phrase: String
    var code: PlanError.Code

    /// The minimal plan with `section` added at the end.
    static func adding(_ section: String, _ field: String, _ phrase: String, _ code: PlanError.Code = .invalidValue) -> BadPlan {
        BadPlan(yaml: minimalPlanYAML + "\n" + section + "\n", field: field, phrase: phrase, code: code)
    }

    /// The minimal plan with `original` replaced by `replacement`.
    static func replacing(
        _ original: String, with replacement: String, _ field: String, _ phrase: String, _ code: PlanError.Code = .invalidValue
    ) -> BadPlan {
        BadPlan(yaml: minimalPlanYAML.replacingOccurrences(of: original, with: replacement), field: field, phrase: phrase, code: code)
    }

    /// A plan with one CSV and the given partition.
    static func partition(_ section: String, _ field: String, _ phrase: String, _ code: PlanError.Code = .invalidValue) -> BadPlan {
        let yaml = "name: p\nmodel: logistic-regression\nlabel: target\nrounds: 2\ndata: all.csv\npartition: \(section)\n"
        return BadPlan(yaml: yaml, field: field, phrase: phrase, code: code)
    }

    var testDescription: String { "\(field): \(phrase)" }
}

@Suite("Plans: errors name the field")
struct PlanErrorTests {
    static let badPlans: [BadPlan] = [
        .replacing("rounds: 30", with: "rounds: 0", "rounds", "must be at least 1, got 0"),
        .replacing("rounds: 30", with: "rounds: many", "rounds", "expected a whole number, got 'many'", .wrongType),
        .replacing("rounds: 30\n", with: "", "rounds", "required, but missing", .missingField),
        .replacing("name: first-run", with: "name: first run", "name", "must be letters, digits"),
        .replacing("label: target", with: "label: ''", "label", "must not be empty"),
        .replacing("model: logistic-regression", with: "model: [a, b]", "model", "expected a single value, got a list", .wrongType),
        .replacing("hospital-b, data", with: "hospital-a, data", "sites[1].name", "already used by sites[0]"),
        .replacing("hospital-b, data", with: "'hospital b', data", "sites[1].name", "must be letters, digits"),
        .adding("seed: -1", "seed", "expected a whole number, got '-1'", .wrongType),
        .adding("simulation: maybe", "simulation", "expected true or false, got 'maybe'", .wrongType),
        .adding("local: 5", "local", "expected a mapping", .wrongType),
        .adding("local: {batch_size: 0}", "local.batch_size", "must be at least 1, got 0"),
        .adding("local: {epochs: 0}", "local.epochs", "must be at least 1, got 0"),
        .adding("local: {steps: -3}", "local.steps", "must be at least 1, got -3"),
        .adding("local: {epochs: 2, steps: 10}", "local.steps", "either 'epochs' or 'steps'", .conflictingFields),
        .adding("local: {optimizer: rmsprop}", "local.optimizer", "must be one of sgd, nesterov, adam, adamw, got 'rmsprop'"),
        .adding("local: {learning_rate: -0.1}", "local.learning_rate", "above 0, got -0.1"),
        .adding("local: {optimizer: adam, momentum: 0.9}", "local.momentum", "only to optimizer sgd or nesterov", .conflictingFields),
        .adding("local: {momentum: 1.5}", "local.momentum", "must be in [0, 1), got 1.5"),
        .adding("local: {optimizer: nesterov, momentum: 0}", "local.momentum", "nesterov needs momentum above 0"),
        .adding("local: {weight_decay: -1}", "local.weight_decay", "at least 0, got -1.0"),
        .adding("local: {schedule: linear}", "local.schedule", "must be one of constant, cosine"),
        .adding("local: {proximal_mu: 0.1}", "local.proximal_mu", "strategy: {name: fedprox", .conflictingFields),
        .adding("sampling: {per_round: 3}", "sampling.per_round", "asks for 3 sites per round, but the plan has 2 sites"),
        .adding("sampling: {per_round: 1.5}", "sampling.per_round", "a fraction of the sites must be in (0, 1]"),
        .adding("sampling: {per_round: 0}", "sampling.per_round", "must be at least 1, got 0"),
        .adding("sampling: {per_round: some}", "sampling.per_round", "must be 'all', a count"),
        .adding("sampling: {minimum: 3}", "sampling.minimum", "is 3, but the plan has 2 sites"),
        .adding("sampling: {minimum: 0}", "sampling.minimum", "must be at least 1, got 0"),
        .adding("sampling: {per_round: 1, minimum: 2}", "sampling.minimum", "more than the 1 sites asked", .conflictingFields),
        .adding("sampling: {deadline_seconds: 0}", "sampling.deadline_seconds", "above 0, got 0.0"),
        .adding("strategy: {name: fedsgd}", "strategy.name", "unknown strategy \"fedsgd\""),
        .adding("strategy: {name: trimmed_mean, trim_fraction: 0.6}", "strategy.trim_fraction", "must be in [0, 0.5), got 0.6"),
        .adding("strategy: {name: fedavg, momentum: 0.9}", "strategy.momentum", "does not apply to fedavg"),
        .adding("strategy: {name: fedadam, beta2: 1}", "strategy.beta2", "must be in [0, 1)"),
        .adding("privacy: {unit: kindof}", "privacy.unit", "must be one of none, record, site, got 'kindof'"),
        .adding("privacy: {unit: record}", "privacy.noise_multiplier", "give noise_multiplier (σ) or target_epsilon", .missingField),
        .adding("privacy: {unit: record, noise_multiplier: 1, target_epsilon: 3}", "privacy.target_epsilon", "not both", .conflictingFields),
        .adding("privacy: {unit: site, noise_multiplier: 0}", "privacy.noise_multiplier", "above 0, got 0.0"),
        .adding("privacy: {unit: site, noise_multiplier: 1, clip: -1}", "privacy.clip", "above 0, got -1.0"),
        .adding("privacy: {unit: site, noise_multiplier: 1, delta: 1.5}", "privacy.delta", "must be in (0, 1), got 1.5"),
        .adding("privacy: {unit: site, noise_multiplier: 1, budget_epsilon: 0}", "privacy.budget_epsilon", "above 0"),
        .adding("privacy: {unit: site, target_epsilon: 5, budget_epsilon: 3}", "privacy.target_epsilon", "more than privacy.budget_epsilon", .conflictingFields),
        .adding("privacy: {unit: none, clip: 1}", "privacy.clip", "only when privacy.unit is record or site", .conflictingFields),
        .adding("privacy: {clip: 1}", "privacy.clip", "only when privacy.unit is record or site", .conflictingFields),
        .adding("privacy: {unit: record, noise_multiplier: 1, adaptive_clipping: {}}", "privacy.adaptive_clipping", "only to privacy.unit site", .conflictingFields),
        .adding("privacy: {unit: site, noise_multiplier: 1, delta_clip: 3}", "privacy.delta_clip", "only to privacy.unit record", .conflictingFields),
        .adding("privacy: {unit: record, noise_multiplier: 1, delta_clip: 0}", "privacy.delta_clip", "above 0"),
        .adding("privacy: {unit: site, noise_multiplier: 1, adaptive_clipping: {target_quantile: 2}}", "privacy.adaptive_clipping.target_quantile", "must be in [0, 1], got 2.0"),
        .adding("privacy: {unit: site, noise_multiplier: 1, adaptive_clipping: {learning_rate: 0}}", "privacy.adaptive_clipping.learning_rate", "above 0"),
        .adding("privacy: {unit: site, noise_multiplier: 1, noise: pseudo}", "privacy.noise", "must be one of secure, seeded"),
        .adding("privacy: {unit: record, noise_multiplier: 1, noise: seeded}", "privacy.noise", "allowed only with simulation: true", .conflictingFields),
        .adding("privacy: {unit: site, noise_multiplier: 1, noise_preprocessing: true}", "privacy.noise_preprocessing", "applies only to privacy.unit record: with unit site one whole site is protected", .conflictingFields),
        .adding("privacy: {unit: record, noise_multiplier: 1, preprocessing_noise_multiplier: 2}", "privacy.preprocessing_noise_multiplier", "only with noise_preprocessing: true", .conflictingFields),
        .adding("privacy: {unit: record, noise_multiplier: 1, noise_preprocessing: true, preprocessing_noise_multiplier: 0}", "privacy.preprocessing_noise_multiplier", "above 0"),
        .adding("evaluation: {every: 0}", "evaluation.every", "must be at least 1, got 0"),
        .adding("evaluation: {holdout: 1}", "evaluation.holdout", "must be in (0, 1), got 1.0"),
        .adding("evaluation: {min_records: 0}", "evaluation.min_records", "must be at least 1, got 0"),
        .adding("evaluation: {metrics: [auroc, f1]}", "evaluation.metrics[1]", "unknown metric 'f1'; known metrics: auroc, auprc"),
        .adding("evaluation: {metrics: []}", "evaluation.metrics", "needs at least one metric"),
        .adding("evaluation: {metrics: [auroc, auroc]}", "evaluation.metrics[1]", "'auroc' is listed twice"),
        .adding("evaluation: {metrics: auroc}", "evaluation.metrics", "expected a list, got 'auroc'", .wrongType),
        .partition("{kind: dirichlet, sites: 10}", "partition.alpha", "required, but missing", .missingField),
        .partition("{kind: iid, sites: 3, alpha: 1}", "partition.alpha", "applies only to kind dirichlet", .conflictingFields),
        .partition("{kind: column, column: site, sites: 3}", "partition.sites", "one site per distinct value", .conflictingFields),
        .partition("{kind: dirichlet, sites: 0, alpha: 1}", "partition.sites", "must be at least 1, got 0"),
        .partition("{kind: dirichlet, sites: 3, alpha: 0}", "partition.alpha", "above 0, got 0.0"),
        .partition("{kind: column, column: target}", "partition.column", "the label 'target' cannot also", .conflictingFields),
        .partition("{kind: stripes}", "partition.kind", "must be one of iid, dirichlet, column"),
        .partition("{sites: 3}", "partition.kind", "required, but missing", .missingField),
        .partition("{kind: iid, sites: 2, min_rows: 0}", "partition.min_rows", "must be at least 1, got 0"),
    ]

    @Test("each invalid field is refused with an error that names it", arguments: badPlans)
    func invalidField(bad: BadPlan) throws {
        let error = try #require(planError(bad.yaml))
        #expect(error.field == bad.field, "\(error)")
        #expect(error.code == bad.code, "\(error)")
        #expect(error.message.contains("field '\(bad.field)': "), "\(error)")
        #expect(error.detail.contains(bad.phrase), "\(error)")
        #expect(error.message.hasPrefix("plan.yaml:"), "\(error)")
    }

    @Test("an error names the plan, the line and the field")
    func messageFormat() throws {
        let error = try #require(planError(minimalPlanYAML + "\nlocal:\n  epochs: 2\n  batch_size: 0\n"))
        #expect(error.message == "plan.yaml:10: field 'local.batch_size': must be at least 1, got 0")
        #expect(error.line == 10)
        let missing = try #require(planError(minimalPlanYAML.replacingOccurrences(of: "rounds: 30\n", with: "")))
        #expect(missing.message == "plan.yaml: field 'rounds': required, but missing")
    }

    @Test("an unknown field is an error that lists the known fields",
          arguments: [
            ("round: 3", "round", "known top-level fields: name, model, label, schema, rounds, seed, sites, data, partition, sampling, local, strategy, privacy, evaluation, simulation"),
            ("local: {batchsize: 8}", "local.batchsize", "known fields in 'local': epochs, steps, batch_size, optimizer, learning_rate, momentum, weight_decay, proximal_mu, schedule"),
            ("privacy: {unit: site, noise_multiplier: 1, epsilon: 3}", "privacy.epsilon", "known fields in 'privacy': unit, clip, noise_multiplier, target_epsilon"),
            ("evaluation: {metric: [auroc]}", "evaluation.metric", "known fields in 'evaluation': every, holdout, min_records, metrics"),
            ("sampling: {sites_per_round: 2}", "sampling.sites_per_round", "known fields in 'sampling': per_round, minimum, deadline_seconds"),
            ("strategy: {name: fedavg, lr: 1}", "strategy.lr", "known fields: name, server_learning_rate"),
          ])
    func unknownField(section: String, field: String, list: String) throws {
        let error = try #require(planError(minimalPlanYAML + "\n" + section + "\n"))
        #expect(error.code == .unknownField, "\(error)")
        #expect(error.field == field, "\(error)")
        #expect(error.detail.contains(list), "\(error)")
        #expect(error.line == 8, "\(error)")
    }

    @Test("an unknown field inside a site is refused too")
    func unknownSiteField() throws {
        let yaml = minimalPlanYAML.replacingOccurrences(of: "{name: hospital-b, data: b.csv}", with: "{name: hospital-b, data: b.csv, rows: 4}")
        let error = try #require(planError(yaml))
        #expect(error.field == "sites[1].rows")
        #expect(error.code == .unknownField)
        #expect(error.detail == "unknown field; known fields in 'sites[1]': name, data")
    }

    @Test("the data come either from sites or from one file with a partition, never both or neither",
          arguments: [
            ("data: all.csv\npartition: {kind: iid, sites: 2}", "data", PlanError.Code.conflictingFields),
            ("partition: {kind: iid, sites: 2}", "partition", .conflictingFields),
            ("data: all.csv", "data", .conflictingFields),
          ])
    func sitesExcludeData(extra: String, field: String, code: PlanError.Code) throws {
        let error = try #require(planError(minimalPlanYAML + "\n" + extra + "\n"))
        #expect(error.field == field)
        #expect(error.code == code)
        #expect(error.detail.contains("give either 'sites' (one CSV per site) or 'data' with 'partition'"))
    }

    @Test("without sites, data and partition need each other")
    func dataNeedsPartition() throws {
        let head = "name: p\nmodel: logistic-regression\nlabel: y\nrounds: 2\n"
        let noPartition = try #require(planError(head + "data: all.csv\n"))
        #expect(noPartition.field == "partition")
        #expect(noPartition.code == .missingField)
        let noData = try #require(planError(head + "partition: {kind: iid, sites: 2}\n"))
        #expect(noData.field == "data")
        let neither = try #require(planError(head))
        #expect(neither.field == "sites")
        #expect(neither.detail.contains("or 'data' (one CSV) with 'partition'"))
        let empty = try #require(planError(head + "sites: []\n"))
        #expect(empty.field == "sites")
        #expect(empty.detail == "needs at least one site")
    }

    @Test("seeded noise is refused unless the plan is a simulation")
    func seededNoiseNeedsSimulation() throws {
        let section = "\nprivacy: {unit: site, noise_multiplier: 1, noise: seeded}\n"
        let refused = try #require(planError(minimalPlanYAML + section))
        #expect(refused.field == "privacy.noise")
        let explicit = try #require(planError(minimalPlanYAML + section + "simulation: false\n"))
        #expect(explicit.field == "privacy.noise")
        let plan = try Plan.parse(yaml: minimalPlanYAML + section + "simulation: true\n")
        #expect(plan.privacy.noise == .seeded)
    }

    @Test("text that is not a YAML mapping is refused with the line",
          arguments: [
            ("name: [unclosed\nrounds: 3\n", "not valid YAML"),
            ("name: a\nname: b\n", "gives 'name' more than once"),
            ("", "the plan is empty"),
            ("# only a comment\n", "the plan is empty"),
            ("- name: a\n", "a plan is a mapping of fields"),
          ])
    func notAMapping(yaml: String, phrase: String) throws {
        let error = try #require(planError(yaml))
        #expect(error.code == .invalidYAML)
        #expect(error.field == nil)
        #expect(error.detail.contains(phrase), "\(error)")
        #expect(error.message.hasPrefix("plan.yaml"), "\(error)")
    }
}
