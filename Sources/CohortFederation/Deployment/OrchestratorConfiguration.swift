import Foundation

/// `orchestrator.yaml`: what `cohort orchestrator --config` serves with. Relative paths are
/// resolved against the file's folder; unknown fields are errors.
///
/// ```yaml
/// listen: 0.0.0.0:7443              # required; the address sites and researchers dial
/// pki:                              # required
///   ca: pki/ca.cert.pem
///   certificate: orchestrator/orchestrator.cert.pem
///   key: orchestrator/orchestrator.key.pem
/// state: state/                     # required; runs, checkpoints and models (durable)
/// site_wait_seconds: 30             # how long a run waits for its sites to connect; default 30
/// heartbeat_seconds: 10             # how often sites report; default 10
/// limits:
///   max_message_bytes: 8388608      # the largest gRPC message accepted; default 8 MiB
///   chunk_bytes: 1048576            # payload per streamed chunk; default 1 MiB
/// ```
public struct OrchestratorConfiguration: Sendable, Hashable, DeploymentFile {
    public var listen: HostPort
    public var pki: PartyFiles
    public var state: Plan.FilePath
    public var siteWaitSeconds: Double
    public var heartbeatSeconds: Int
    public var maxMessageBytes: Int
    public var chunkBytes: Int

    public init(from decoder: any Decoder) throws {
        let fields = try PlanFields(decoder, known: ["listen", "pki", "state", "site_wait_seconds", "heartbeat_seconds", "limits"])
        listen = try fields.required("listen")
        pki = try fields.required("pki")
        state = try fields.required("state")
        siteWaitSeconds = try fields.optional("site_wait_seconds") ?? 30
        heartbeatSeconds = try fields.optional("heartbeat_seconds") ?? 10
        let limits = try fields.optional("limits", as: Limits.self)
        maxMessageBytes = limits?.maxMessageBytes ?? 8 * 1024 * 1024
        chunkBytes = limits?.chunkBytes ?? 1024 * 1024
        guard siteWaitSeconds >= 0, siteWaitSeconds.isFinite else {
            throw PlanError(.invalidValue, field: fields.field("site_wait_seconds"), "must be ≥ 0, got \(siteWaitSeconds)")
        }
        guard heartbeatSeconds >= 1 else {
            throw PlanError(.invalidValue, field: fields.field("heartbeat_seconds"), "must be ≥ 1, got \(heartbeatSeconds)")
        }
    }

    struct Limits: Decodable {
        var maxMessageBytes: Int?
        var chunkBytes: Int?
        init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: ["max_message_bytes", "chunk_bytes"])
            maxMessageBytes = try fields.optional("max_message_bytes")
            chunkBytes = try fields.optional("chunk_bytes")
        }
    }

    public static let describedAs = "the orchestrator configuration"
    public static let requiredFields = "listen, pki and state"

    public func resolvingPaths(against base: URL) -> OrchestratorConfiguration {
        var resolved = self
        resolved.pki = pki.resolved(against: base)
        resolved.state = state.resolved(against: base)
        return resolved
    }
}
