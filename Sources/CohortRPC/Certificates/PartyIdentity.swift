import Foundation

/// Who a certificate speaks for: a role and a name, such as the site `hospital-a`.
///
/// The name is a site's id everywhere in Cohort, so a certificate names exactly one party:
/// the subject carries `CN=NAME, OU=ROLE` and the subject alternative names carry the URI
/// `cohort://ROLE/NAME` (the form TLS stacks match on). The CA refuses requests where the two
/// disagree, and ``verify(certificateChain:trustedCA:allowing:purpose:now:source:)`` refuses
/// certificates where they do.
public struct PartyIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The party's role.
    public let role: PartyRole
    /// The party's name: letters, digits and `.-_`, 1–64 characters.
    public let name: String

    /// The URI scheme of identity SANs: `cohort://site/hospital-a`.
    public static let uriScheme = "cohort"

    /// The longest name allowed.
    public static let maximumNameLength = 64

    /// Creates an identity, checking the name.
    ///
    /// - Throws: ``PKIError/Code-swift.struct/invalidName`` if the name is empty,
    ///   longer than 64 characters, or has a character other than ASCII letters, digits, `.`, `-`, `_`.
    public init(role: PartyRole, name: String) throws {
        try Self.validate(name: name, what: "\(role) name")
        self.role = role
        self.name = name
    }

    private enum CodingKeys: String, CodingKey { case role, name }

    /// Decodes `{"role": ..., "name": ...}`, checking the name as ``init(role:name:)`` does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .name)
        do {
            try self.init(role: try container.decode(PartyRole.self, forKey: .role), name: name)
        } catch let error as PKIError {
            throw DecodingError.dataCorruptedError(forKey: .name, in: container, debugDescription: error.message)
        }
    }

    /// `cohort://ROLE/NAME`, the identity SAN.
    public var uri: String { "\(Self.uriScheme)://\(role.rawValue)/\(name)" }

    public var description: String { "\(role) '\(name)'" }

    /// Parses `cohort://ROLE/NAME`; nil for any other URI.
    public init?(uri: String) {
        let prefix = "\(Self.uriScheme)://"
        guard uri.hasPrefix(prefix) else { return nil }
        let parts = uri.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let role = PartyRole(rawValue: String(parts[0])),
              let identity = try? PartyIdentity(role: role, name: String(parts[1]))
        else { return nil }
        self = identity
    }

    /// Throws unless this identity has one of `roles`: the check each RPC makes after the
    /// handshake ("a site certificate cannot submit a run").
    ///
    /// - Parameter call: what was attempted, for the message (e.g. `"SubmitRun"`).
    /// - Throws: ``PKIError/Code-swift.struct/wrongRole`` naming this party, the call and the roles allowed.
    public func require(_ roles: Set<PartyRole>, for call: String) throws {
        guard roles.contains(role) else {
            throw PKIError(
                code: .wrongRole,
                message: "\(self) may not call \(call): only \(Self.list(roles)) may")
        }
    }

    /// Checks a party or federation name: ASCII letters, digits, `.`, `-`, `_`; 1–64 characters.
    static func validate(name: String, what: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
                return true
            default:
                return false
            }
        }
        guard !name.isEmpty, name.utf8.count <= maximumNameLength, allowed else {
            throw PKIError(
                code: .invalidName,
                message: "invalid \(what) '\(name)': use 1–\(maximumNameLength) letters, digits, '.', '-' or '_'")
        }
        // A name is also a file name (NAME.key.pem): "." and ".." would be confusing there.
        guard name != "." && name != ".." else {
            throw PKIError(code: .invalidName, message: "invalid \(what) '\(name)': not a usable file name")
        }
    }

    static func list(_ roles: Set<PartyRole>) -> String {
        PartyRole.allCases.filter(roles.contains).map(\.rawValue).joined(separator: " or ")
    }
}
