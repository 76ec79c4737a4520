import Foundation
import X509

extension FederationCA {
    /// A certificate the CA issued, and where it was written.
    public struct IssuedCertificate: Sendable {
        /// The new certificate.
        public let certificate: Certificate
        /// The party it names.
        public let identity: PartyIdentity
        /// The PEM file it was written to.
        public let url: URL
    }

    /// Signs the request in a PEM file with the CA in `caDirectory` and writes the certificate.
    ///
    /// - Parameters:
    ///   - requestAt: a `NAME.csr.pem` from ``CertificateRequest/create(role:name:outputDirectory:hosts:keyAlgorithm:)``.
    ///   - caDirectory: the directory ``initialize(directory:name:validity:keyAlgorithm:)`` made.
    ///   - validity: how long the certificate is valid (365 days by default).
    ///   - output: where to write it; by default `NAME.cert.pem` beside the request.
    ///   - replacing: whether an existing certificate at `output` may be replaced (renewal);
    ///     otherwise that is an error.
    /// - Throws: ``PKIError`` naming the request file: unreadable, tampered (bad signature),
    ///   an invalid role, name or SAN, a validity that outlives the CA, or an existing output file.
    @discardableResult
    public static func sign(
        requestAt requestURL: URL, caDirectory: URL, validity: CertificateValidity = .days(365),
        output: URL? = nil, replacing: Bool = false
    ) throws -> IssuedCertificate {
        let ca = try load(directory: caDirectory)
        let request = try CertificateRequest.read(at: requestURL)
        let (certificate, identity) = try ca.issue(for: request, source: requestURL.path, validity: validity)
        let url = output
            ?? requestURL.deletingLastPathComponent().appendingPathComponent(CertificateRequest.certificateFileName(for: identity.name))
        let pem: String
        do {
            pem = try certificate.serializeAsPEM().pemString
        } catch {
            throw PKIError(code: .malformed, message: "cannot encode the certificate for \(identity)", cause: error)
        }
        try PEMFile.write(pem + "\n", to: url, permissions: PEMFile.publicPermissions, replacing: replacing, what: "certificate")
        return IssuedCertificate(certificate: certificate, identity: identity, url: url)
    }

    /// Issues a certificate for a signing request, in memory.
    ///
    /// Checks, in order: the request's signature verifies with its own public key (so it was not
    /// altered after the party signed it); it names one valid identity (`OU=ROLE, CN=NAME` and
    /// `cohort://ROLE/NAME`); its other SANs are DNS names or IP addresses, and only for an
    /// orchestrator; the validity ends before the CA's. The certificate's subject and SANs are
    /// rebuilt from what was checked, never copied blindly; its extensions are basicConstraints
    /// `CA:false` and keyUsage `digitalSignature` (critical), extendedKeyUsage `clientAuth`
    /// (plus `serverAuth` for the orchestrator), and key identifiers. The serial is 20 random bytes.
    ///
    /// - Parameter source: names the request in errors (its file path).
    func issue(
        for request: CertificateSigningRequest, source: String, validity: CertificateValidity
    ) throws -> (Certificate, PartyIdentity) {
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw PKIError(
                code: .badSignature,
                message: "\(source): the request's signature does not verify with its public key; "
                    + "it was altered after it was signed (or corrupted). Refusing to sign it")
        }
        let requested: SubjectAlternativeNames?
        do {
            requested = try request.attributes.extensionRequest?.extensions.subjectAlternativeNames
        } catch {
            throw PKIError(code: .invalidRequest, message: "\(source): unreadable extension request", cause: error)
        }
        let identity = try PartyIdentity.from(
            subject: request.subject, alternativeNames: requested, describing: "request \(source)", code: .invalidRequest)
        var alternativeNames: [GeneralName] = [.uniformResourceIdentifier(identity.uri)]
        for name in requested ?? SubjectAlternativeNames() {
            switch name {
            case .uniformResourceIdentifier(let uri) where uri == identity.uri:
                continue
            case .dnsName, .ipAddress:
                guard identity.role.isServer else {
                    throw PKIError(
                        code: .invalidRequest,
                        message: "\(source): a \(identity.role) certificate may not carry host names (\(HostName.display(name)))")
                }
                alternativeNames.append(name)
            default:
                throw PKIError(
                    code: .invalidRequest,
                    message: "\(source): unsupported subject alternative name \(HostName.display(name)) for \(identity)")
            }
        }
        if identity.role.isServer && alternativeNames.count < 2 {
            throw PKIError(
                code: .invalidRequest, message: "\(source): an orchestrator request must name at least one host (DNS or IP)")
        }

        let now = Date()
        guard now <= certificate.notValidAfter else {
            throw PKIError(
                code: .expired,
                message: "the federation CA \(certificate.label) expired on \(certificate.notValidAfter.formatted(.iso8601)); "
                    + "it can no longer sign")
        }
        let (notBefore, notAfter) = try validity.dates(signedAt: now)
        guard notAfter <= certificate.notValidAfter else {
            throw PKIError(
                code: .invalidValidity,
                message: "\(source): a certificate valid for \(validity) would outlive the federation CA, "
                    + "which expires on \(certificate.notValidAfter.formatted(.iso8601))")
        }

        do {
            let authorityKey = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
                ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
            let usages: [ExtendedKeyUsage.Usage] = identity.role.isServer ? [.serverAuth, .clientAuth] : [.clientAuth]
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                SubjectAlternativeNames(alternativeNames)
                SubjectKeyIdentifier(hash: request.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: authorityKey)
            }
            let issued = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: request.publicKey,
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: certificate.subject,
                subject: try DistinguishedName.party(identity), extensions: extensions, issuerPrivateKey: privateKey)
            return (issued, identity)
        } catch {
            throw PKIError(code: .malformed, message: "\(source): cannot build the certificate for \(identity)", cause: error)
        }
    }
}
