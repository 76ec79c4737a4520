import CohortPrivacy

extension SitePolicy {
    /// The data a site exposes (`dataset:`): `{path, schema, holdout, split_seed}`.
    public struct Dataset: Sendable, Hashable, Decodable {
        /// The CSV file (required).
        public var path: Plan.FilePath
        /// A schema JSON file (`Schema`); nil: inferred from the data.
        public var schema: Plan.FilePath?
        /// The fraction of rows held out for evaluation and never trained on; default 0.2.
        public var holdout: Double
        /// The seed of the stratified holdout split; default 0. The split is the site's own:
        /// the same seed keeps the same records held out across runs.
        public var splitSeed: UInt64

        public init(path: Plan.FilePath, schema: Plan.FilePath? = nil, holdout: Double = 0.2, splitSeed: UInt64 = 0) {
            self.path = path
            self.schema = schema
            self.holdout = holdout
            self.splitSeed = splitSeed
        }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: ["path", "schema", "holdout", "split_seed"])
            self.init(
                path: try fields.required("path"), schema: try fields.optional("schema"),
                holdout: try fields.optional("holdout") ?? 0.2, splitSeed: try fields.optional("split_seed") ?? 0)
        }
    }

    /// Names a site accepts: any (`"*"`), or only those listed.
    public enum NameList: Sendable, Hashable, Decodable, CustomStringConvertible {
        /// Every name (`"*"`, or `["*"]`).
        case any
        /// Only these names.
        case only([String])

        /// Whether `name` is accepted.
        public func contains(_ name: String) -> Bool {
            switch self {
            case .any: true
            case .only(let names): names.contains(name)
            }
        }

        /// "any", or the names separated by commas.
        public var description: String {
            switch self {
            case .any: "any"
            case .only(let names): names.joined(separator: ", ")
            }
        }

        /// Decodes `"*"`, or a list of names (which is `.any` when it is `["*"]`).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let field = planFieldPath(decoder.codingPath)
            if let text = try? container.decode(String.self) {
                guard text == "*" else {
                    throw SitePolicyError(
                        .wrongType, field: field, "expected a list of names, or \"*\" for any, got '\(text)' (write [\(text)])")
                }
                self = .any
                return
            }
            let names = try container.decode([String].self)
            if names.contains("*") {
                guard names.count == 1 else {
                    throw SitePolicyError(
                        .conflictingFields, field: field, "\"*\" already means any name; give \"*\" or a list of names, not both")
                }
                self = .any
                return
            }
            self = .only(names)
        }
    }

    /// What kinds of run a site accepts (`accept:`): `{models, strategies, units}`.
    public struct Acceptance: Sendable, Hashable, Decodable {
        /// Model names as plans write them (`Models/` names), or any.
        public var models: NameList
        /// Strategy names (`StrategyKind`: fedavg, fedprox, …), or any.
        public var strategies: NameList
        /// The privacy units accepted; default `[.record]`. A run without differential
        /// privacy is never accepted.
        public var units: [PrivacyUnit]
        /// Whether runs with seeded (reproducible, hence predictable) noise are accepted;
        /// default false. Only for test federations: seeded noise protects no one.
        public var seededNoise: Bool

        public init(models: NameList, strategies: NameList, units: [PrivacyUnit] = [.record], seededNoise: Bool = false) {
            self.models = models
            self.strategies = strategies
            self.units = units
            self.seededNoise = seededNoise
        }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: ["models", "strategies", "units", "seeded_noise"])
            var units: [PrivacyUnit] = [.record]
            if let words: [String] = try fields.optional("units") {
                units = []
                for (index, word) in words.enumerated() {
                    guard let unit = PrivacyUnit(rawValue: word) else {
                        let hint = word == "none" ? " (a run without differential privacy is never accepted)" : ""
                        throw SitePolicyError(
                            .invalidValue, field: fields.field("units") + "[\(index)]",
                            "must be one of record, site, got '\(word)'\(hint)")
                    }
                    units.append(unit)
                }
            }
            self.init(models: try fields.required("models"), strategies: try fields.required("strategies"), units: units,
                      seededNoise: try fields.optional("seeded_noise") ?? false)
        }
    }

    /// A site's privacy limits (`privacy:`). ε is measured by the RDP accountant at the
    /// site's own `delta`, whatever δ the plan reports at.
    public struct PrivacyLimits: Sendable, Hashable, Decodable {
        /// The smallest noise multiplier σ accepted (required).
        public var minimumNoiseMultiplier: Double
        /// The most ε one run may cost this site (required).
        public var maximumEpsilonPerRun: Double
        /// The most ε all runs together may cost this site, composed in its ledger (required).
        public var lifetimeEpsilon: Double
        /// δ of the site's ε; default 1e-5.
        public var delta: Double

        public init(minimumNoiseMultiplier: Double, maximumEpsilonPerRun: Double, lifetimeEpsilon: Double, delta: Double = 1e-5) {
            self.minimumNoiseMultiplier = minimumNoiseMultiplier
            self.maximumEpsilonPerRun = maximumEpsilonPerRun
            self.lifetimeEpsilon = lifetimeEpsilon
            self.delta = delta
        }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(
                decoder, known: ["minimum_noise_multiplier", "maximum_epsilon_per_run", "lifetime_epsilon", "delta"])
            self.init(
                minimumNoiseMultiplier: try fields.required("minimum_noise_multiplier"),
                maximumEpsilonPerRun: try fields.required("maximum_epsilon_per_run"),
                lifetimeEpsilon: try fields.required("lifetime_epsilon"),
                delta: try fields.optional("delta") ?? 1e-5)
        }
    }

    /// A site's rules for federated evaluation (`evaluation:`).
    public struct Evaluation: Sendable, Hashable, Decodable {
        /// k for small-cell suppression: no evaluation result leaves the site when it has
        /// fewer held-out records; default 10.
        public var minimumRecords: Int

        public init(minimumRecords: Int = 10) {
            self.minimumRecords = minimumRecords
        }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: ["minimum_records"])
            self.init(minimumRecords: try fields.optional("minimum_records") ?? 10)
        }
    }

    /// Which plans a site runs (`plans:`).
    public struct PlanAcceptance: Sendable, Hashable, Decodable {
        /// How plans are accepted.
        public enum Mode: String, Sendable, Hashable, CaseIterable {
            /// Any plan within the rest of the policy.
            case withinPolicy = "within_policy"
            /// Only plans whose `Plan.hash` is listed (and within the rest of the policy).
            case listedHashesOnly = "listed_hashes_only"
        }

        /// Default `.withinPolicy`.
        public var mode: Mode
        /// With `.listedHashesOnly`: the accepted plan hashes, 64 lowercase hex digits each.
        public var hashes: [String]

        public init(mode: Mode = .withinPolicy, hashes: [String] = []) {
            self.mode = mode
            self.hashes = hashes
        }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: ["mode", "hashes"])
            let hashes: [String] = try fields.optional("hashes") ?? []
            self.init(mode: try fields.word("mode", as: Mode.self) ?? .withinPolicy, hashes: hashes.map { $0.lowercased() })
        }
    }
}
