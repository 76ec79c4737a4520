import Foundation
import CohortData
import CohortLearn

/// What a federated run does: the model, the data and its sites, the rounds, the local
/// training, the server strategy, the privacy guarantee and the evaluation. Written in YAML,
/// checked on load with errors that name the field, and hashed so that a site's policy can
/// list the plans it accepts.
///
/// The smallest plan gives a name, a model, the label, the rounds and the data; every other
/// field has a default (relative paths are resolved against the plan file's folder):
///
/// ```yaml
/// name: first-run
/// model: logistic-regression
/// label: target
/// rounds: 30
/// sites:
///   - {name: hospital-a, data: a.csv}
///   - {name: hospital-b, data: b.csv}
/// ```
///
/// The fields, with their defaults (`Examples/README.md` explains each one at length):
///
/// ```yaml
/// name: first-run              # required; letters, digits, . _ - (it names the run folder)
/// model: logistic-regression   # required; a Models/ name, or a definition file's path
/// label: target                # required; the label column
/// schema: data.schema.json     # optional; else inferred from the data
/// rounds: 30                   # required; at least 1
/// seed: 0                      # sampling, initialisation, shuffling, partitions, seeded noise
///
/// sites:                       # either one CSV per site …
///   - {name: hospital-a, data: a.csv}
/// data: all.csv                # … or one CSV split into sites (exactly one of the two forms)
/// partition: {kind: dirichlet, sites: 10, alpha: 0.3, min_rows: 1, seed: 0}
///                              # kind iid (sites), dirichlet (sites, alpha), column (column)
///
/// sampling: {per_round: all, minimum: 1, deadline_seconds: 600}
/// local: {epochs: 1, batch_size: 32, optimizer: sgd, learning_rate: 0.05, momentum: 0,
///         weight_decay: 0, schedule: constant}          # or steps: N instead of epochs
/// strategy: {name: fedavg}     # a StrategyConfiguration: name plus its settings
/// privacy: {unit: none}        # or record / site with clip, noise_multiplier or
///                              # target_epsilon, delta, budget_epsilon, delta_clip,
///                              # adaptive_clipping, noise, noise_preprocessing,
///                              # preprocessing_noise_multiplier
/// evaluation: {every: 1, holdout: 0.2, min_records: 10, metrics: [auroc, accuracy, log_loss]}
/// simulation: false            # true allows seeded noise (no privacy, reproducible)
/// ```
///
/// Unknown fields are errors that list the known ones, never ignored; so are fields that
/// do not apply (momentum with Adam, alpha with an IID partition, clip without a privacy
/// unit). Each section's type documents its fields: `Plan.Site`, `Plan.Partition`,
/// `Plan.Sampling`, `Plan.LocalTraining`, `StrategyConfiguration`, `Plan.Privacy`,
/// `Plan.Evaluation`.
public struct Plan: Sendable, Hashable, Codable {
    /// The run's name.
    public var name: String
    /// The model to train.
    public var model: ModelReference
    /// The label column.
    public var label: String
    /// A schema JSON file (`Schema`); nil: inferred from the data.
    public var schema: FilePath?
    /// Federated rounds.
    public var rounds: Int
    /// The seed of everything random in the run but secure noise; default 0.
    public var seed: UInt64
    /// The sites and their data.
    public var data: DataSource
    /// Which sites take part in each round.
    public var sampling: Sampling
    /// What the sites do each round.
    public var local: LocalTraining
    /// How the server combines the sites' deltas; default FedAvg.
    public var strategy: StrategyConfiguration
    /// The differential-privacy guarantee; default none.
    public var privacy: Privacy
    /// Federated evaluation.
    public var evaluation: Evaluation
    /// Whether the run is a simulation (which allows seeded noise); default false.
    public var simulation: Bool

    /// A plan; every section but the required fields has its default.
    public init(
        name: String, model: ModelReference, label: String, schema: FilePath? = nil, rounds: Int, seed: UInt64 = 0,
        data: DataSource, sampling: Sampling = Sampling(), local: LocalTraining = LocalTraining(),
        strategy: StrategyConfiguration = .default, privacy: Privacy = Privacy(), evaluation: Evaluation = Evaluation(),
        simulation: Bool = false
    ) {
        self.name = name
        self.model = model
        self.label = label
        self.schema = schema
        self.rounds = rounds
        self.seed = seed
        self.data = data
        self.sampling = sampling
        self.local = local
        self.strategy = strategy
        self.privacy = privacy
        self.evaluation = evaluation
        self.simulation = simulation
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, model, label, schema, rounds, seed
        case sites, data, partition
        case sampling, local, strategy, privacy, evaluation, simulation
    }

    /// Decodes and fills in defaults; ranges are checked by `validate()`. Paths are
    /// resolved against the current folder (`Plan.parse` resolves them against the plan's).
    ///
    /// - Throws: `PlanError` for unknown, missing or conflicting fields and words that are
    ///   not allowed; `DecodingError` for values of the wrong type (`Plan.parse` turns
    ///   those into `PlanError`s naming the field).
    public init(from decoder: any Decoder) throws {
        let fields = try PlanFields(decoder, known: CodingKeys.allCases.map(\.rawValue))
        name = try fields.required("name")
        model = try fields.required("model")
        label = try fields.required("label")
        schema = try fields.optional("schema")
        rounds = try fields.required("rounds")
        seed = try fields.optional("seed") ?? 0
        data = try Self.decodeData(fields)
        sampling = try fields.optional("sampling") ?? Sampling()
        local = try fields.optional("local") ?? LocalTraining()
        strategy = try fields.optional("strategy") ?? .default
        privacy = try fields.optional("privacy") ?? Privacy()
        evaluation = try fields.optional("evaluation") ?? Evaluation()
        simulation = try fields.optional("simulation") ?? false
    }

    private static func decodeData(_ fields: PlanFields) throws -> DataSource {
        let hasSites = fields.has("sites")
        let hasData = fields.has("data")
        let hasPartition = fields.has("partition")
        if hasSites && (hasData || hasPartition) {
            throw PlanError(
                .conflictingFields, field: hasData ? "data" : "partition",
                "give either 'sites' (one CSV per site) or 'data' with 'partition' (one CSV split into sites), not both")
        }
        if hasSites { return .sites(try fields.required("sites")) }
        if hasData {
            guard hasPartition else {
                throw PlanError(
                    .missingField, field: "partition",
                    "required with 'data': how to split the file into sites, e.g. {kind: iid, sites: 5}")
            }
            return .partitioned(file: try fields.required("data"), partition: try fields.required("partition"))
        }
        if hasPartition {
            throw PlanError(.missingField, field: "data", "required with 'partition': the CSV file to split into sites")
        }
        throw PlanError(
            .missingField, field: "sites",
            "required, but missing: give 'sites' (a list of {name, data}) or 'data' (one CSV) with 'partition'")
    }

    /// Encodes every field, defaults included, in the order of the reference above.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(model, forKey: .model)
        try container.encode(label, forKey: .label)
        try container.encodeIfPresent(schema, forKey: .schema)
        try container.encode(rounds, forKey: .rounds)
        try container.encode(seed, forKey: .seed)
        switch data {
        case .sites(let sites):
            try container.encode(sites, forKey: .sites)
        case .partitioned(let file, let partition):
            try container.encode(file, forKey: .data)
            try container.encode(partition, forKey: .partition)
        }
        try container.encode(sampling, forKey: .sampling)
        try container.encode(local, forKey: .local)
        try container.encode(strategy, forKey: .strategy)
        try container.encode(privacy, forKey: .privacy)
        try container.encode(evaluation, forKey: .evaluation)
        try container.encode(simulation, forKey: .simulation)
    }

    /// The same plan with every relative path resolved against `baseDirectory`.
    func resolvingPaths(against baseDirectory: URL?) -> Plan {
        var plan = self
        plan.model = model.resolved(against: baseDirectory)
        plan.schema = schema?.resolved(against: baseDirectory)
        switch data {
        case .sites(let sites):
            plan.data = .sites(sites.map { Site(name: $0.name, data: $0.data?.resolved(against: baseDirectory)) })
        case .partitioned(let file, let partition):
            plan.data = .partitioned(file: file.resolved(against: baseDirectory), partition: partition)
        }
        return plan
    }
}
