/// Why a site did not deliver: refused (policy, budget) or failed.
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

    public init(_ code: Code, site: String, _ message: String) {
        self.code = code
        self.site = site
        self.message = message
    }

    public var description: String { "site \(site): \(message)" }
}
