import CohortPrivacy
import Foundation

/// What a site (a hospital) accepts: the dataset it exposes, the models, strategies and
/// privacy settings it will train with, its privacy budget, the smallest cohort it will
/// train or report on, which plans it runs, and where its audit log goes
/// (ARCHITECTURE.md, "The site decides").
///
/// Written in YAML by the site's operator, checked on load with errors that name the field
/// (`SitePolicyError`); unknown fields are errors. Relative paths are resolved against the
/// policy file's folder. `check(_:)` decides a `TaskRequest`; `Examples/site-policy.yaml`
/// explains every field.
///
/// ```yaml
/// name: hospital-a                  # required; letters, digits, . _ - (its certificate's name)
/// dataset:
///   path: data/patients.csv         # required; the site's CSV
///   schema: data/patients.schema.json   # optional; else inferred from the data
///   holdout: 0.2                    # fraction held out for evaluation; default 0.2
///   split_seed: 0                   # seed of the stratified holdout split; default 0
/// accept:
///   models: [logistic-regression, mlp-small]   # required; Models/ names, or "*"
///   strategies: [fedavg, fedprox]   # required; strategy names, or "*"
///   units: [record]                 # record and/or site; default [record]
///   seeded_noise: false             # accept seeded (test-only) noise; default false
/// privacy:
///   minimum_noise_multiplier: 0.8   # required; the smallest σ accepted
///   maximum_epsilon_per_run: 3      # required; the most ε one run may cost this site
///   lifetime_epsilon: 8             # required; the most ε all runs together may cost it
///   delta: 1e-5                     # the δ at which this site measures ε; default 1e-5
/// minimum_records: 100              # fewest training records it trains on; default 100
/// evaluation:
///   minimum_records: 10             # k: no evaluation result from fewer held-out records; default 10
/// plans:
///   mode: within_policy             # within_policy | listed_hashes_only; default within_policy
///   hashes: []                      # listed_hashes_only: the accepted `Plan.hash` values
/// audit_log: audit/hospital-a.jsonl # required; the append-only audit log (`AuditLog`)
/// ```
///
/// A run without differential privacy (privacy unit `none`) is never accepted.
public struct SitePolicy: Sendable, Hashable, Decodable {
    /// The site's name, as in its certificate.
    public var name: String
    /// The data the site trains and evaluates on.
    public var dataset: Dataset
    /// The models, strategies and privacy units it accepts.
    public var accept: Acceptance
    /// Its limits on noise and ε.
    public var privacy: PrivacyLimits
    /// The fewest training records it trains on; default 100.
    public var minimumRecords: Int
    /// Its rules for federated evaluation.
    public var evaluation: Evaluation
    /// Which plans it runs.
    public var plans: PlanAcceptance
    /// Its append-only audit log.
    public var auditLog: Plan.FilePath

    /// A policy; the optional sections have their defaults.
    public init(
        name: String, dataset: Dataset, accept: Acceptance, privacy: PrivacyLimits, minimumRecords: Int = 100,
        evaluation: Evaluation = Evaluation(), plans: PlanAcceptance = PlanAcceptance(), auditLog: Plan.FilePath
    ) {
        self.name = name
        self.dataset = dataset
        self.accept = accept
        self.privacy = privacy
        self.minimumRecords = minimumRecords
        self.evaluation = evaluation
        self.plans = plans
        self.auditLog = auditLog
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, dataset, accept, privacy
        case minimumRecords = "minimum_records"
        case evaluation, plans
        case auditLog = "audit_log"
    }

    /// Decodes and fills in defaults; values are checked by `validate()`. Paths are resolved
    /// against the current folder (`SitePolicy.parse` resolves them against the policy's).
    public init(from decoder: any Decoder) throws {
        let fields = try PlanFields(decoder, known: CodingKeys.allCases.map(\.rawValue))
        self.init(
            name: try fields.required("name"),
            dataset: try fields.required("dataset"),
            accept: try fields.required("accept"),
            privacy: try fields.required("privacy"),
            minimumRecords: try fields.optional("minimum_records") ?? 100,
            evaluation: try fields.optional("evaluation") ?? Evaluation(),
            plans: try fields.optional("plans") ?? PlanAcceptance(),
            auditLog: try fields.required("audit_log"))
    }

    /// The same policy with every relative path resolved against `baseDirectory`.
    func resolvingPaths(against baseDirectory: URL?) -> SitePolicy {
        var policy = self
        policy.dataset.path = dataset.path.resolved(against: baseDirectory)
        policy.dataset.schema = dataset.schema?.resolved(against: baseDirectory)
        policy.auditLog = auditLog.resolved(against: baseDirectory)
        return policy
    }
}
