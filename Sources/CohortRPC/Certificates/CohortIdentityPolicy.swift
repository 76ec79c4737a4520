import SwiftASN1
import X509

/// The verifier policy for a Cohort party's leaf certificate, used after `RFC5280Policy`:
/// the leaf must name one Cohort identity whose role is allowed, must not be a CA, and must
/// have keyUsage `digitalSignature` and the extended key usage of the TLS side it is used on.
struct CohortIdentityPolicy: VerifierPolicy, Sendable {
    /// The roles the caller accepts.
    let roles: Set<PartyRole>
    /// The TLS side the certificate is presented on.
    let purpose: PartyIdentity.Purpose

    /// Extensions this policy (with `RFC5280Policy`) enforces, so they may be critical.
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.extendedKeyUsage, .X509ExtensionID.subjectAlternativeName, .X509ExtensionID.keyUsage,
    ]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        do {
            _ = try check(chain.leaf)
            return .meetsPolicy
        } catch {
            return .failsToMeetPolicy(reason: "CohortIdentityPolicy: \(error)")
        }
    }

    /// The leaf's identity, or a ``PKIError`` that names it and says what is wrong:
    /// identity and role first (so a site certificate offered as the orchestrator reads as a
    /// wrong role, not a missing usage), then the CA flag and key usages.
    func check(_ leaf: Certificate) throws -> PartyIdentity {
        let identity = try leaf.partyIdentity()
        guard roles.contains(identity.role) else {
            throw PKIError(
                code: .wrongRole,
                message: "\(leaf.label) is for the \(identity), but only \(PartyIdentity.list(roles)) certificates are accepted here")
        }
        guard !leaf.isCertificateAuthority else {
            throw PKIError(code: .wrongUsage, message: "\(leaf.label) is a CA certificate, not a party's")
        }
        let keyUsage = try? leaf.extensions.keyUsage
        guard keyUsage?.digitalSignature == true else {
            throw PKIError(code: .wrongUsage, message: "\(leaf.label) lacks key usage digitalSignature")
        }
        let required: ExtendedKeyUsage.Usage = purpose == .serverAuthentication ? .serverAuth : .clientAuth
        guard let usages = try? leaf.extensions.extendedKeyUsage, usages.contains(required) else {
            throw PKIError(
                code: .wrongUsage, message: "\(leaf.label) lacks extended key usage \(required) (needed for \(purpose))")
        }
        return identity
    }
}
