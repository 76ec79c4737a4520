import Foundation

/// `site.yaml`: how `cohort site --config` runs at a hospital. The governance lives in the
/// policy file it names (`SitePolicy`: what the site accepts); this file says where the
/// orchestrator is, which certificate the site presents, and where its state lives.
/// Relative paths are resolved against the file's folder; unknown fields are errors.
///
/// ```yaml
/// policy: site-policy.yaml          # required; the SitePolicy file
/// orchestrator: orchestrator.example.org:7443   # required; the site dials out to it
/// pki:                              # required
///   ca: pki/ca.cert.pem
///   certificate: keys/hospital-a.cert.pem
///   key: keys/hospital-a.key.pem
/// state: state/                     # required; the site's privacy ledger (ledger.json) and
///                                   # the releases it keeps for replays (sent/)
/// reconnect:
///   initial_seconds: 0.5            # first delay after a lost connection; default 0.5
///   maximum_seconds: 30             # the delay doubles up to this; default 30
/// release_idle_runs_after_seconds: 1800   # a run without a task this long has its rows
///                                   # and noise released (its kept releases stay); default 1800
/// ```
public struct SiteConfiguration: Sendable, Hashable, DeploymentFile {
    public var policy: Plan.FilePath
    public var orchestrator: HostPort
    public var pki: PartyFiles
    public var state: Plan.FilePath
    public var reconnectInitialSeconds: Double
    public var reconnectMaximumSeconds: Double
    /// A run with no task for this long has its state at the site released (`SiteWorker`).
    public var releaseIdleRunsAfterSeconds: Double

    public init(from decoder: any Decoder) throws {
        let fields = try PlanFields(decoder, known: ["policy", "orchestrator", "pki", "state", "reconnect", "release_idle_runs_after_seconds"])
        policy = try fields.required("policy")
        orchestrator = try fields.required("orchestrator")
        pki = try fields.required("pki")
        state = try fields.required("state")
        let reconnect = try fields.optional("reconnect", as: Reconnect.self)
        reconnectInitialSeconds = reconnect?.initial ?? 0.5
        reconnectMaximumSeconds = reconnect?.maximum ?? 30
        releaseIdleRunsAfterSeconds = try fields.optional("release_idle_runs_after_seconds", as: Double.self) ?? 1800
        guard releaseIdleRunsAfterSeconds >= 1 else {
            throw PlanError(.invalidValue, field: fields.field("release_idle_runs_after_seconds"),
                            "must be at least 1, got \(releaseIdleRunsAfterSeconds)")
        }
        guard reconnectInitialSeconds > 0, reconnectMaximumSeconds >= reconnectInitialSeconds else {
            throw PlanError(.invalidValue, field: fields.field("reconnect"),
                            "needs 0 < initial_seconds ≤ maximum_seconds, got \(reconnectInitialSeconds) and \(reconnectMaximumSeconds)")
        }
    }

    struct Reconnect: Decodable {
        var initial: Double?
        var maximum: Double?
        init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: ["initial_seconds", "maximum_seconds"])
            initial = try fields.optional("initial_seconds")
            maximum = try fields.optional("maximum_seconds")
        }
    }

    public static let describedAs = "the site configuration"
    public static let requiredFields = "policy, orchestrator, pki and state"

    public func resolvingPaths(against base: URL) -> SiteConfiguration {
        var resolved = self
        resolved.policy = policy.resolved(against: base)
        resolved.pki = pki.resolved(against: base)
        resolved.state = state.resolved(against: base)
        return resolved
    }
}
