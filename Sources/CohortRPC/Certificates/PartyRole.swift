/// The part a party plays in a federation. A certificate carries exactly one role, and the
/// role decides which calls the party may make.
public enum PartyRole: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// A hospital running `cohort site`: trains on its own records, dials out to the orchestrator.
    case site
    /// A person or service that submits and watches runs (`cohort run`).
    case researcher
    /// The long-running `cohort orchestrator` service: the only role that is also a TLS server.
    case orchestrator

    public var description: String { rawValue }

    /// Parses a role named on the command line or in a certificate.
    ///
    /// - Throws: ``PKIError/Code-swift.struct/invalidRole`` naming the text and the roles that exist.
    public init(parsing text: String) throws {
        guard let role = PartyRole(rawValue: text) else {
            throw PKIError(
                code: .invalidRole,
                message: "unknown role '\(text)': expected one of \(PartyRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = role
    }

    /// Whether a certificate for this role may serve TLS (extended key usage `serverAuth`).
    /// Every role may authenticate as a TLS client (`clientAuth`).
    public var isServer: Bool { self == .orchestrator }
}
