import Foundation

/// A file that says how a party runs (`orchestrator.yaml`, `site.yaml`), loaded like plans
/// and site policies: unknown fields are errors, errors name the file, the line and the
/// field, and relative paths are resolved against the file's folder.
public protocol DeploymentFile: Decodable {
    /// How errors name the file ("the site configuration").
    static var describedAs: String { get }
    /// The fields an empty file is told it needs.
    static var requiredFields: String { get }
    /// The value with its relative paths resolved against `base`.
    func resolvingPaths(against base: URL) -> Self
}

extension DeploymentFile {
    /// Reads and checks the file at `url`.
    public static func load(from url: URL) throws(SitePolicyError) -> Self {
        let text = try YAMLDocument<SitePolicyError>.text(of: url, describedAs: describedAs)
        return try YAMLDocument<SitePolicyError>(source: url.path).decode(
            Self.self, from: text, ifEmpty: "the file is empty; it needs \(requiredFields)",
            ifNotMapping: { "\(describedAs) is a mapping of fields, not a \($0)" }
        ) { $0.resolvingPaths(against: url.deletingLastPathComponent()) }
    }
}

/// Where a party's certificate files are (`pki:` in `orchestrator.yaml` and `site.yaml`):
/// the federation CA's certificate, the party's certificate and its private key.
public struct PartyFiles: Sendable, Hashable, Decodable {
    /// The federation CA's certificate (`ca.cert.pem`).
    public var ca: Plan.FilePath
    /// This party's certificate (`NAME.cert.pem`).
    public var certificate: Plan.FilePath
    /// This party's private key (`NAME.key.pem`); it never leaves the party.
    public var key: Plan.FilePath

    public init(ca: Plan.FilePath, certificate: Plan.FilePath, key: Plan.FilePath) {
        self.ca = ca
        self.certificate = certificate
        self.key = key
    }

    public init(from decoder: any Decoder) throws {
        let fields = try PlanFields(decoder, known: ["ca", "certificate", "key"])
        self.init(ca: try fields.required("ca"), certificate: try fields.required("certificate"), key: try fields.required("key"))
    }

    func resolved(against baseDirectory: URL?) -> PartyFiles {
        PartyFiles(ca: ca.resolved(against: baseDirectory), certificate: certificate.resolved(against: baseDirectory),
                   key: key.resolved(against: baseDirectory))
    }
}

/// `HOST:PORT` as a configuration writes an address; `[v6]:PORT` for IPv6.
public struct HostPort: Sendable, Hashable, Decodable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; nil when the text is not of that shape or the port is outside 0…65535.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = HostPort(text) else {
            throw PlanError(.invalidValue, field: planFieldPath(decoder.codingPath), "must be HOST:PORT (e.g. 127.0.0.1:7443), got '\(text)'")
        }
        self = parsed
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
