import Foundation
import SwiftASN1
import Testing
import X509

@testable import CohortRPC

/// A fresh directory under the system temporary directory, removed when `body` returns.
func withCertificateScratchDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-certs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// The permission bits of a file (e.g. 0o600).
func filePermissions(of url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    let mode = try #require(attributes[.posixPermissions] as? NSNumber)
    return mode.intValue & 0o777
}

/// The thrown ``PKIError``, or a recorded issue if `body` did not throw one.
func pkiError(
    _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> PKIError? {
    do {
        try await body()
        Issue.record("expected a PKIError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as PKIError {
        return error
    } catch {
        Issue.record("expected a PKIError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A federation PKI in a temporary directory: `root/pki` holds the CA, and each party's
/// files go under `root/parties/NAME`.
struct TestPKI {
    let root: URL
    var caDirectory: URL { root.appendingPathComponent("pki") }
    let ca: FederationCA

    init(root: URL, name: String = "test", caValidity: CertificateValidity = .days(3650)) throws {
        self.root = root
        ca = try FederationCA.initialize(directory: root.appendingPathComponent("pki"), name: name, validity: caValidity)
    }

    func partyDirectory(_ name: String) -> URL { root.appendingPathComponent("parties/\(name)") }

    /// Creates a request for a party and signs it; returns the certificate.
    @discardableResult
    func issue(
        _ role: PartyRole, _ name: String, hosts: [String] = [], validity: CertificateValidity = .days(365)
    ) throws -> FederationCA.IssuedCertificate {
        let request = try CertificateRequest.create(
            role: role, name: name, outputDirectory: partyDirectory(name), hosts: hosts)
        return try FederationCA.sign(requestAt: request.requestURL, caDirectory: caDirectory, validity: validity)
    }
}

/// PEM text with the DER bytes changed by `edit`, keeping the PEM type.
func tamperedPEM(_ pem: String, _ edit: (inout [UInt8]) throws -> Void) throws -> String {
    let document = try PEMDocument(pemString: pem)
    var bytes = document.derBytes
    try edit(&bytes)
    return PEMDocument(type: document.discriminator, derBytes: bytes).pemString
}

/// The first index of `needle` in `haystack`.
func byteOffset(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
}
