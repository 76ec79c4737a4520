/// A transport that cannot be set up as configured: a limit out of range, credentials that
/// do not load or do not belong together, an address that does not parse.
///
/// Certificate problems found while reading files are ``PKIError``s from the PKI layer; this
/// error covers what the transport itself checks.
public struct TransportConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The setting or file that is wrong (e.g. `"maxMessageBytes"`, a PEM path).
    public var field: String
    /// What is wrong with it.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    public init(field: String, message: String, cause: (any Error)? = nil) {
        self.field = field
        self.message = message
        self.cause = cause
    }

    public var description: String {
        "\(field): \(message)" + (cause.map { " (\($0))" } ?? "")
    }
}
