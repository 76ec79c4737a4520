import Crypto
import Foundation
import SwiftASN1
import X509

extension DistinguishedName {
    /// The text of the first attribute of type `oid` (e.g. the common name), or nil.
    func firstValue(of oid: ASN1ObjectIdentifier) -> String? {
        for relativeName in self {
            for attribute in relativeName where attribute.type == oid {
                return String(attribute.value)
            }
        }
        return nil
    }

    /// The common name (CN), or nil.
    var commonName: String? { firstValue(of: .RDNAttributeType.commonName) }

    /// The subject of a party's certificate or request: `OU=ROLE, CN=NAME`.
    static func party(_ identity: PartyIdentity) throws -> DistinguishedName {
        try DistinguishedName {
            OrganizationalUnitName(identity.role.rawValue)
            CommonName(identity.name)
        }
    }
}

extension Certificate {
    /// How error messages name a certificate: `certificate CN=hospital-a (serial 5f:03:…)`.
    var label: String {
        "certificate \(subject.commonName.map { "CN=\($0)" } ?? "'\(subject)'") (serial \(serialNumber.hex))"
    }

    /// The SHA-256 of the DER encoding, as colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256`).
    var sha256Fingerprint: String {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(self)) != nil else { return "unavailable" }
        return SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    /// Whether the basic constraints mark this certificate as a CA.
    var isCertificateAuthority: Bool {
        if case .isCertificateAuthority = (try? extensions.basicConstraints) ?? .notCertificateAuthority { return true }
        return false
    }

    /// The party this certificate speaks for: its `cohort://ROLE/NAME` SAN, which must agree with `CN` and `OU`.
    ///
    /// - Throws: ``PKIError/Code-swift.struct/untrusted`` naming the certificate if it carries no
    ///   Cohort identity, more than one, or a subject that disagrees with it.
    func partyIdentity() throws -> PartyIdentity {
        let alternativeNames: SubjectAlternativeNames?
        do {
            alternativeNames = try extensions.subjectAlternativeNames
        } catch {
            throw PKIError(code: .malformed, message: "\(label): unreadable subject alternative names", cause: error)
        }
        return try PartyIdentity.from(subject: subject, alternativeNames: alternativeNames, describing: label, code: .untrusted)
    }
}

extension Certificate.SerialNumber {
    /// Colon-separated lower-case hex with two digits per byte.
    var hex: String { bytes.map { String(format: "%02x", $0) }.joined(separator: ":") }
}

extension PartyIdentity {
    /// The identity named by a subject and its SANs, shared by requests and certificates.
    ///
    /// Exactly one `cohort://` URI SAN, naming a valid role and name, and `CN`/`OU` equal to them.
    static func from(
        subject: DistinguishedName, alternativeNames: SubjectAlternativeNames?, describing label: String,
        code: PKIError.Code
    ) throws -> PartyIdentity {
        let uris = (alternativeNames.map(Array.init) ?? []).compactMap { name -> String? in
            if case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix("\(uriScheme):") { return uri }
            return nil
        }
        guard uris.count == 1 else {
            throw PKIError(
                code: code,
                message: uris.isEmpty
                    ? "\(label) carries no Cohort identity (no \(uriScheme)://ROLE/NAME subject alternative name)"
                    : "\(label) carries \(uris.count) Cohort identities (\(uris.joined(separator: ", "))); exactly one is allowed")
        }
        guard let identity = PartyIdentity(uri: uris[0]) else {
            throw PKIError(
                code: code, message: "\(label) has an invalid Cohort identity '\(uris[0])' (expected \(uriScheme)://ROLE/NAME)")
        }
        let commonName = subject.commonName
        let unit = subject.firstValue(of: .RDNAttributeType.organizationalUnitName)
        guard commonName == identity.name, unit == identity.role.rawValue else {
            throw PKIError(
                code: code,
                message: "\(label): subject '\(subject)' disagrees with its identity \(identity.uri) "
                    + "(expected CN=\(identity.name), OU=\(identity.role))")
        }
        return identity
    }
}
