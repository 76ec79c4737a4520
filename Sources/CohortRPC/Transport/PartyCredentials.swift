import Foundation
import X509

/// What one party presents and trusts on a mutual-TLS connection: its certificate chain and
/// private key, and the federation CA certificate that every peer must be signed by.
///
/// Loading checks what TLS would otherwise report as an opaque handshake failure: that each
/// file parses, that the key belongs to the certificate, and that the certificate names a
/// Cohort party (`cohort://ROLE/NAME`). It does not check that the CA signed it: a party
/// finds that out from its peer's refusal, which names the certificate.
public struct PartyCredentials: Sendable {
    /// The party this certificate speaks for.
    public let identity: PartyIdentity
    /// The leaf certificate, then any intermediates, as PEM bytes.
    public let certificateChainPEM: [UInt8]
    /// The private key of the leaf, as PEM bytes.
    public let privateKeyPEM: [UInt8]
    /// The federation CA, the only trust root.
    public let trustedCA: Certificate
    /// The federation CA as PEM bytes.
    public let trustedCAPEM: [UInt8]

    /// Loads credentials from PEM files.
    ///
    /// - Parameters:
    ///   - certificate: `NAME.cert.pem`, the leaf first.
    ///   - privateKey: `NAME.key.pem`.
    ///   - federationCA: `ca.cert.pem`.
    /// - Throws: ``PKIError`` naming the file that is unreadable or malformed, or
    ///   ``TransportConfigurationError`` if the key is not the certificate's or the
    ///   certificate names no Cohort party.
    public init(certificate: URL, privateKey: URL, federationCA: URL) throws {
        // Each file is read once, so the bytes TLS presents are the ones checked here.
        let chainText = try PEMFile.readText(at: certificate, what: "certificate")
        let chain = try PEMFile.parseCertificates(pem: chainText, source: certificate.path)
        guard let leaf = chain.first else {
            throw PKIError(code: .malformed, message: "\(certificate.path): no CERTIFICATE block in this PEM file")
        }
        let caText = try PEMFile.readText(at: federationCA, what: "CA certificate")
        guard let ca = try PEMFile.parseCertificates(pem: caText, source: federationCA.path).first else {
            throw PKIError(code: .malformed, message: "\(federationCA.path): no CERTIFICATE block in this PEM file")
        }
        let keyText = try PEMFile.readText(at: privateKey, what: "private key")
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: keyText)
        } catch {
            throw PKIError(code: .malformed, message: "\(privateKey.path) is not a PEM private key", cause: error)
        }
        guard key.publicKey == leaf.publicKey else {
            throw TransportConfigurationError(
                field: privateKey.path, message: "is not the private key of the certificate in \(certificate.path)")
        }
        do {
            identity = try leaf.partyIdentity()
        } catch {
            throw TransportConfigurationError(
                field: certificate.path, message: "does not name a Cohort party", cause: error)
        }
        trustedCA = ca
        certificateChainPEM = Array(chainText.utf8)
        privateKeyPEM = Array(keyText.utf8)
        trustedCAPEM = Array(caText.utf8)
    }

    /// Loads `NAME.cert.pem` and `NAME.key.pem` from `directory` (the layout
    /// `cohort certs request` and `cohort certs sign` leave), with the CA at `federationCA`.
    public init(directory: URL, name: String, federationCA: URL) throws {
        try self.init(
            certificate: directory.appendingPathComponent(CertificateRequest.certificateFileName(for: name)),
            privateKey: directory.appendingPathComponent(CertificateRequest.keyFileName(for: name)),
            federationCA: federationCA)
    }
}
