/// What an audit log entry records: `task_received`, `task_refused`, … Extensible: a site
/// may log other events by name (lowercase words joined by `_`).
public struct AuditEvent: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.init(rawValue: value) }

    /// The site worker started, with its policy.
    public static let siteStarted: AuditEvent = "site_started"
    /// A task arrived from the orchestrator (before it is decided).
    public static let taskReceived: AuditEvent = "task_received"
    /// The task is within the site's policy.
    public static let taskAccepted: AuditEvent = "task_accepted"
    /// The task is outside the site's policy; the details carry the reasons.
    public static let taskRefused: AuditEvent = "task_refused"
    /// An accepted task could not be done (unusable data, training failed); the details carry
    /// the error.
    public static let taskFailed: AuditEvent = "task_failed"
    /// A clipped, noised model delta left the site (bytes, norm, round).
    public static let updateSent: AuditEvent = "update_sent"
    /// An evaluation result left the site.
    public static let evaluationSent: AuditEvent = "evaluation_sent"
    /// An evaluation result was withheld (fewer held-out records than k).
    public static let evaluationSuppressed: AuditEvent = "evaluation_suppressed"
    /// The site's ledger was charged (the charge, and ε after it).
    public static let budgetSpent: AuditEvent = "budget_spent"
    /// The site let go of what it held for a run (the run ended, or had no task for long).
    public static let runReleased: AuditEvent = "run_released"

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}
