import Foundation
import X509

/// The certificate authority of one federation: the root every party trusts.
///
/// The federation's operator keeps its directory (`ca.key.pem`, mode 0600, and the
/// self-signed `ca.cert.pem`); every party gets a copy of `ca.cert.pem` to verify the others.
/// The CA signs requests made elsewhere, so it never holds a party's private key, and signing
/// only reads the CA directory: issuing a certificate for one site cannot touch another's.
public struct FederationCA: Sendable {
    /// The self-signed CA certificate (`CN=Cohort federation CA NAME`).
    public let certificate: Certificate
    /// The CA's signing key.
    let privateKey: Certificate.PrivateKey
    /// The directory the CA was loaded from.
    public let directory: URL

    /// `ca.key.pem`.
    public static let keyFileName = "ca.key.pem"
    /// `ca.cert.pem`.
    public static let certificateFileName = "ca.cert.pem"
    /// The prefix of the CA's common name, before the federation name.
    public static let commonNamePrefix = "Cohort federation CA "

    /// The federation's name, from the CA certificate's common name.
    public var federationName: String {
        let commonName = certificate.subject.commonName ?? ""
        return commonName.hasPrefix(Self.commonNamePrefix) ? String(commonName.dropFirst(Self.commonNamePrefix.count)) : commonName
    }

    /// Creates a federation CA in `directory`: a new key and a self-signed certificate with
    /// basicConstraints `CA:true, pathlen:0` and keyUsage `keyCertSign, cRLSign` (both critical),
    /// and a subject key identifier.
    ///
    /// - Parameters:
    ///   - directory: created (mode 0700) if missing.
    ///   - name: the federation's name (letters, digits, `.-_`), in the CN `Cohort federation CA NAME`.
    ///   - validity: how long the CA is valid; every certificate it signs must expire before it does.
    ///   - keyAlgorithm: the curve of the CA key.
    /// - Throws: ``PKIError/Code-swift.struct/fileExists`` naming the file if a CA is
    ///   already there (it is never overwritten), or other ``PKIError``s.
    @discardableResult
    public static func initialize(
        directory: URL, name: String = "default", validity: CertificateValidity = .days(3650),
        keyAlgorithm: KeyAlgorithm = .p256
    ) throws -> FederationCA {
        try PartyIdentity.validate(name: name, what: "federation name")
        let keyURL = directory.appendingPathComponent(keyFileName)
        let certificateURL = directory.appendingPathComponent(certificateFileName)
        for url in [keyURL, certificateURL] where PEMFile.exists(url) {
            throw PKIError(
                code: .fileExists, message: "a federation CA already exists: \(url.path); refusing to overwrite it")
        }
        let (notBefore, notAfter) = try validity.dates(signedAt: Date())
        let privateKey = keyAlgorithm.generate()
        let certificate: Certificate
        let keyPEM: String
        let certificatePEM: String
        do {
            let subject = try DistinguishedName { CommonName(commonNamePrefix + name) }
            let keyIdentifier = SubjectKeyIdentifier(hash: privateKey.publicKey)
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                keyIdentifier
                AuthorityKeyIdentifier(keyIdentifier: keyIdentifier.keyIdentifier)
            }
            certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: privateKey.publicKey,
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: subject, subject: subject,
                extensions: extensions, issuerPrivateKey: privateKey)
            keyPEM = try privateKey.serializeAsPEM().pemString
            certificatePEM = try certificate.serializeAsPEM().pemString
        } catch {
            throw PKIError(code: .malformed, message: "cannot build the CA certificate for '\(name)'", cause: error)
        }
        try PEMFile.ensureDirectory(directory)
        try PEMFile.write(keyPEM + "\n", to: keyURL, permissions: PEMFile.privateKeyPermissions, what: "CA private key")
        do {
            try PEMFile.write(
                certificatePEM + "\n", to: certificateURL, permissions: PEMFile.publicPermissions, what: "CA certificate")
        } catch {
            try? FileManager.default.removeItem(at: keyURL)
            throw error
        }
        return FederationCA(certificate: certificate, privateKey: privateKey, directory: directory)
    }

    /// Loads the CA in `directory`, checking that the key belongs to the certificate and that
    /// the certificate is a CA.
    ///
    /// - Throws: ``PKIError`` naming the file that is missing, unreadable or inconsistent.
    public static func load(directory: URL) throws -> FederationCA {
        let keyURL = directory.appendingPathComponent(keyFileName)
        let certificateURL = directory.appendingPathComponent(certificateFileName)
        guard PEMFile.exists(certificateURL), PEMFile.exists(keyURL) else {
            throw PKIError(
                code: .fileUnreadable,
                message: "no federation CA in \(directory.path): expected \(keyFileName) and \(certificateFileName) (run `cohort certs init`)")
        }
        let certificate = try PEMFile.readCertificate(at: certificateURL)
        let privateKey: Certificate.PrivateKey
        do {
            privateKey = try Certificate.PrivateKey(pemEncoded: try PEMFile.readText(at: keyURL, what: "CA private key"))
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(code: .malformed, message: "\(keyURL.path) is not a PEM private key", cause: error)
        }
        guard privateKey.publicKey == certificate.publicKey else {
            throw PKIError(
                code: .keyMismatch, message: "\(keyURL.path) is not the key of \(certificateURL.path)")
        }
        guard certificate.isCertificateAuthority else {
            throw PKIError(code: .malformed, message: "\(certificateURL.path) is not a CA certificate")
        }
        return FederationCA(certificate: certificate, privateKey: privateKey, directory: directory)
    }
}
