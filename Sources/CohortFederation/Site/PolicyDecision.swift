/// A site's answer to a `TaskRequest` (`SitePolicy.check(_:)`).
public enum PolicyDecision: Sendable, Hashable, CustomStringConvertible {
    /// The run is within the site's policy.
    case accept
    /// The run is outside it; every rule it breaks, in words the researcher will read, e.g.
    /// "noise multiplier 0.5 is below this site's minimum 0.8".
    case refuse(reasons: [String])

    /// Whether the run is accepted.
    public var isAccepted: Bool {
        if case .accept = self { return true }
        return false
    }

    /// The reasons for a refusal; empty for an acceptance.
    public var reasons: [String] {
        switch self {
        case .accept: []
        case .refuse(let reasons): reasons
        }
    }

    /// "accepted", or "refused: REASON; REASON".
    public var description: String {
        switch self {
        case .accept: "accepted"
        case .refuse(let reasons): "refused: " + reasons.joined(separator: "; ")
        }
    }
}
