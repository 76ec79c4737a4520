/// Why a site did not deliver: refused (policy, budget) or failed.
///
/// A refusal that a site logged (a `task_refused` line in its audit log) carries the log's
/// head after that line (`auditHead`): the orchestrator keeps it as an anchor of the site's
/// log like the head of an update (`RoundRecord.recordAuditHead`), so that a site refusing
/// every task of a run still leaves one. Other errors carry none.
public struct SiteError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable, Equatable {
        /// The site would exceed its privacy budget with this task.
        case budgetExhausted
        /// The site's policy refuses the task.
        case refused
        /// The site's data cannot be used (too few rows, schema mismatch).
        case data
        /// Training failed.
        case failed
    }

    public var code: Code
    public var site: String
    public var message: String
    /// The site's audit head as of the line that logged this refusal, as the site sent it
    /// (its shape is checked where it is recorded, `AuditHead.anchorProblem`); nil when the
    /// site sent none (an earlier version, or an error it did not log as a refusal).
    public var auditHead: AuditHead?

    public init(_ code: Code, site: String, _ message: String, auditHead: AuditHead? = nil) {
        self.code = code
        self.site = site
        self.message = message
        self.auditHead = auditHead
    }

    public var description: String { "site \(site): \(message)" }
}
