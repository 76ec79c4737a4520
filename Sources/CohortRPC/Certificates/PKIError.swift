/// A certificate, key or signing request that Cohort refuses, with a message that names the
/// file or the certificate (subject and serial) and says why.
///
/// `code` says what kind of failure it is, so callers (the orchestrator, the command line,
/// tests) can branch without parsing the message; the message is for people.
public struct PKIError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: new codes can be added without breaking
    /// callers that switch over the ones they know.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case fileExists, fileUnreadable, fileUnwritable, malformed
            case invalidName, invalidRole, invalidHost, invalidRequest, invalidValidity
            case badSignature, keyMismatch
            case foreignCertificate, expired, notYetValid, wrongRole, wrongUsage, untrusted
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        public var description: String { value.rawValue }

        /// A file that would be overwritten (a CA, a private key, a request, a certificate).
        public static let fileExists = Code(.fileExists)
        /// A file that is missing or cannot be read.
        public static let fileUnreadable = Code(.fileUnreadable)
        /// A file or directory that cannot be created or written.
        public static let fileUnwritable = Code(.fileUnwritable)
        /// Not PEM, or PEM whose contents do not parse as what was expected.
        public static let malformed = Code(.malformed)
        /// A party or federation name outside letters, digits and `.-_`, or not 1–64 characters.
        public static let invalidName = Code(.invalidName)
        /// A role that is not `site`, `researcher` or `orchestrator`.
        public static let invalidRole = Code(.invalidRole)
        /// A `--host` that is neither an IP address nor a DNS name, or a host for a role that takes none.
        public static let invalidHost = Code(.invalidHost)
        /// A signing request whose contents Cohort will not certify (inconsistent names, unknown SANs).
        public static let invalidRequest = Code(.invalidRequest)
        /// A validity period that is empty, or that would outlive the CA.
        public static let invalidValidity = Code(.invalidValidity)
        /// A signing request whose signature does not verify with its own public key (tampered).
        public static let badSignature = Code(.badSignature)
        /// A CA private key that does not belong to the CA certificate beside it.
        public static let keyMismatch = Code(.keyMismatch)
        /// A certificate not issued by the trusted federation CA.
        public static let foreignCertificate = Code(.foreignCertificate)
        /// A certificate past its `notAfter` date (or a CA certificate that has expired).
        public static let expired = Code(.expired)
        /// A certificate before its `notBefore` date.
        public static let notYetValid = Code(.notYetValid)
        /// A valid certificate whose role is not allowed for the call.
        public static let wrongRole = Code(.wrongRole)
        /// A certificate without the key usage or extended key usage the purpose needs.
        public static let wrongUsage = Code(.wrongUsage)
        /// A certificate that fails verification for another reason (see the message).
        public static let untrusted = Code(.untrusted)
    }

    /// What kind of failure this is.
    public var code: Code
    /// What failed and why, naming the file or certificate.
    public var message: String
    /// The underlying error, if another library reported it first.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }
}
