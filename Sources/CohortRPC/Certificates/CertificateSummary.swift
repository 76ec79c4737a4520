import Foundation
import X509

/// What `cohort certs show` prints about a certificate: who it names, for what, how long,
/// who signed it, and its fingerprint.
public struct CertificateSummary: Sendable, CustomStringConvertible {
    /// The subject, e.g. `OU=site,CN=hospital-a`.
    public let subject: String
    /// The issuer, e.g. `CN=Cohort federation CA default`.
    public let issuer: String
    /// The Cohort identity, or nil for a CA or a certificate without one.
    public let identity: PartyIdentity?
    /// Whether this is a CA certificate.
    public let isCertificateAuthority: Bool
    /// Subject alternative names: `URI:cohort://site/a`, `DNS:localhost`, `IP:127.0.0.1`.
    public let alternativeNames: [String]
    /// Key usages, e.g. `digitalSignature`.
    public let keyUsage: String?
    /// Extended key usages, e.g. `serverAuth, clientAuth`.
    public let extendedKeyUsage: [String]
    /// Start of validity.
    public let notValidBefore: Date
    /// End of validity.
    public let notValidAfter: Date
    /// The serial number, colon-separated hex.
    public let serialNumber: String
    /// SHA-256 of the DER encoding, colon-separated hex.
    public let sha256Fingerprint: String

    /// Summarises `certificate`.
    public init(_ certificate: Certificate) {
        subject = String(describing: certificate.subject)
        issuer = String(describing: certificate.issuer)
        isCertificateAuthority = certificate.isCertificateAuthority
        identity = isCertificateAuthority ? nil : try? certificate.partyIdentity()
        alternativeNames = ((try? certificate.extensions.subjectAlternativeNames).map(Array.init) ?? []).map(HostName.display)
        keyUsage = (try? certificate.extensions.keyUsage).map { String(describing: $0) }
        extendedKeyUsage = ((try? certificate.extensions.extendedKeyUsage).map(Array.init) ?? []).map { String(describing: $0) }
        notValidBefore = certificate.notValidBefore
        notValidAfter = certificate.notValidAfter
        serialNumber = certificate.serialNumber.hex
        sha256Fingerprint = certificate.sha256Fingerprint
    }

    /// Whether `date` is inside the validity period.
    public func isValid(at date: Date) -> Bool { notValidBefore <= date && date <= notValidAfter }

    public var description: String {
        var lines = ["subject:     \(subject)"]
        if let identity {
            lines.append("role:        \(identity.role)")
            lines.append("name:        \(identity.name)")
        } else if isCertificateAuthority {
            lines.append("role:        certificate authority")
        }
        lines.append("SANs:        \(alternativeNames.isEmpty ? "none" : alternativeNames.joined(separator: ", "))")
        if let keyUsage { lines.append("key usage:   \(keyUsage)") }
        if !extendedKeyUsage.isEmpty { lines.append("ext. usage:  \(extendedKeyUsage.joined(separator: ", "))") }
        lines.append("not before:  \(notValidBefore.formatted(.iso8601))")
        lines.append("not after:   \(notValidAfter.formatted(.iso8601))")
        lines.append("issuer:      \(issuer)")
        lines.append("serial:      \(serialNumber)")
        lines.append("SHA-256:     \(sha256Fingerprint)")
        return lines.joined(separator: "\n")
    }
}
