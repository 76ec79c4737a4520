import Foundation
import X509

/// A party's private key and certificate signing request, made where the party lives.
///
/// `create` writes `NAME.key.pem` (mode 0600) and `NAME.csr.pem` into the party's own
/// directory. Only the request travels to the federation's operator; the key never leaves.
/// The request's subject is `OU=ROLE, CN=NAME` and it asks for the subject alternative name
/// `cohort://ROLE/NAME`, plus, for the orchestrator, the DNS names and IP addresses that
/// sites and researchers dial.
public struct CertificateRequest: Sendable {
    /// The party the request is for.
    public let identity: PartyIdentity
    /// The signed PKCS #10 request.
    public let signingRequest: CertificateSigningRequest
    /// Where the private key was written.
    public let keyURL: URL
    /// Where the request was written.
    public let requestURL: URL

    /// `NAME.key.pem`.
    public static func keyFileName(for name: String) -> String { "\(name).key.pem" }
    /// `NAME.csr.pem`.
    public static func requestFileName(for name: String) -> String { "\(name).csr.pem" }
    /// `NAME.cert.pem`, where ``FederationCA/sign(requestAt:caDirectory:validity:output:replacing:)`` puts the certificate.
    public static func certificateFileName(for name: String) -> String { "\(name).cert.pem" }

    /// Creates a key and a signing request for a party.
    ///
    /// - Parameters:
    ///   - role: the party's role.
    ///   - name: the party's name (a site's id): letters, digits, `.-_`, 1–64 characters.
    ///   - outputDirectory: where the key and request go; created (mode 0700) if missing.
    ///   - hosts: for the orchestrator only, and at least one: the DNS names and IP addresses
    ///     (e.g. `127.0.0.1`, `localhost`) the orchestrator is reached at.
    ///   - keyAlgorithm: the curve of the new key.
    /// - Throws: ``PKIError`` for an invalid name or host, hosts for a role that takes
    ///   none, or a key or request file that already exists (nothing is overwritten).
    @discardableResult
    public static func create(
        role: PartyRole, name: String, outputDirectory: URL, hosts: [String] = [], keyAlgorithm: KeyAlgorithm = .p256
    ) throws -> CertificateRequest {
        let identity = try PartyIdentity(role: role, name: name)
        let privateKey = keyAlgorithm.generate()
        let request = try makeSigningRequest(for: identity, hosts: hosts, privateKey: privateKey)

        try PEMFile.ensureDirectory(outputDirectory)
        let keyURL = outputDirectory.appendingPathComponent(keyFileName(for: name))
        let requestURL = outputDirectory.appendingPathComponent(requestFileName(for: name))
        for url in [keyURL, requestURL] where PEMFile.exists(url) {
            throw PKIError(code: .fileExists, message: "\(url.path) already exists; refusing to overwrite it")
        }
        let keyPEM: String
        let requestPEM: String
        do {
            keyPEM = try privateKey.serializeAsPEM().pemString
            requestPEM = try request.serializeAsPEM().pemString
        } catch {
            throw PKIError(code: .malformed, message: "cannot encode the key or request for \(identity)", cause: error)
        }
        try PEMFile.write(keyPEM + "\n", to: keyURL, permissions: PEMFile.privateKeyPermissions, what: "private key")
        do {
            try PEMFile.write(requestPEM + "\n", to: requestURL, permissions: PEMFile.publicPermissions, what: "signing request")
        } catch {
            // A key without its request is of no use, and would block a retry.
            try? FileManager.default.removeItem(at: keyURL)
            throw error
        }
        return CertificateRequest(identity: identity, signingRequest: request, keyURL: keyURL, requestURL: requestURL)
    }

    /// The signing request for `identity`, signed with `privateKey`.
    static func makeSigningRequest(
        for identity: PartyIdentity, hosts: [String], privateKey: Certificate.PrivateKey
    ) throws -> CertificateSigningRequest {
        if identity.role.isServer {
            guard !hosts.isEmpty else {
                throw PKIError(
                    code: .invalidHost,
                    message: "an orchestrator request needs at least one host (the DNS name or IP address parties dial)")
            }
        } else if !hosts.isEmpty {
            throw PKIError(
                code: .invalidHost,
                message: "hosts (\(hosts.joined(separator: ", "))) are only for orchestrator certificates, not for a \(identity.role)")
        }
        var alternativeNames: [GeneralName] = [.uniformResourceIdentifier(identity.uri)]
        for host in hosts {
            let name = try HostName.alternativeName(for: host)
            if !alternativeNames.contains(name) { alternativeNames.append(name) }
        }
        do {
            let extensions = try Certificate.Extensions {
                SubjectAlternativeNames(alternativeNames)
            }
            let attributes = try CertificateSigningRequest.Attributes([.init(ExtensionRequest(extensions: extensions))])
            return try CertificateSigningRequest(
                version: .v1, subject: try DistinguishedName.party(identity), privateKey: privateKey, attributes: attributes)
        } catch {
            throw PKIError(code: .malformed, message: "cannot build the signing request for \(identity)", cause: error)
        }
    }

    /// Reads a signing request from a PEM file.
    ///
    /// - Throws: ``PKIError`` naming the file if it cannot be read or is not a
    ///   `CERTIFICATE REQUEST` that parses.
    public static func read(at url: URL) throws -> CertificateSigningRequest {
        let text = try PEMFile.readText(at: url, what: "signing request")
        do {
            return try CertificateSigningRequest(pemEncoded: text)
        } catch {
            throw PKIError(
                code: .malformed, message: "\(url.path) is not a PEM certificate signing request", cause: error)
        }
    }
}
