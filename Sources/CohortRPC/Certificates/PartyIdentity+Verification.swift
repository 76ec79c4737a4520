import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

extension PartyIdentity {
    /// The side of a TLS connection a certificate is presented on.
    public enum Purpose: Sendable, Hashable, CustomStringConvertible {
        /// A client: sites, researchers (and the orchestrator when it dials). Needs `clientAuth`.
        case clientAuthentication
        /// The server: only the orchestrator. Needs `serverAuth`.
        case serverAuthentication

        public var description: String {
            self == .clientAuthentication ? "TLS client authentication" : "TLS server authentication"
        }
    }

    /// Verifies a presented certificate chain against the federation CA and returns whom it
    /// names. This is the check the orchestrator makes for every incoming connection.
    ///
    /// Validation is swift-certificates' `Verifier` with `RFC5280Policy` at `now` (signatures
    /// up to the trusted CA, validity periods, basic constraints, name constraints) and a
    /// ``CohortIdentityPolicy`` (one `cohort://ROLE/NAME` identity agreeing with the subject,
    /// a role in `roles`, not a CA, keyUsage `digitalSignature`, the extended key usage of `purpose`).
    ///
    /// - Parameters:
    ///   - certificateChain: the leaf first, then any intermediates (Cohort issues none).
    ///   - trustedCA: the federation CA certificate (`ca.cert.pem`).
    ///   - roles: the roles accepted here; all roles by default.
    ///   - purpose: the TLS side the certificate is presented on.
    ///   - now: the time to check validity at.
    ///   - source: names where the certificate came from in errors (a file, a peer address).
    /// - Returns: the role and name in the certificate.
    /// - Throws: ``PKIError`` naming the certificate (CN and serial) and why:
    ///   `foreignCertificate` (not signed by this CA), `expired` (with its notAfter date),
    ///   `notYetValid` (with its notBefore date), `wrongRole`, `wrongUsage`, or `untrusted`.
    public static func verify(
        certificateChain: [Certificate], trustedCA: Certificate, allowing roles: Set<PartyRole> = Set(PartyRole.allCases),
        purpose: Purpose = .clientAuthentication, now: Date = Date(), source: String? = nil
    ) async throws -> PartyIdentity {
        guard let leaf = certificateChain.first else {
            throw PKIError(code: .untrusted, message: "\(source.map { "\($0): " } ?? "")no certificate presented")
        }
        let identityPolicy = CohortIdentityPolicy(roles: roles, purpose: purpose)
        var verifier = Verifier(rootCertificates: CertificateStore([trustedCA])) {
            RFC5280Policy(fixedExpiryValidationTime: now)
            identityPolicy
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(certificateChain.dropFirst()))
        switch result {
        case .validCertificate:
            return try identityPolicy.check(leaf)
        case .couldNotValidate(let failures):
            throw diagnose(
                leaf, chain: certificateChain, trustedCA: trustedCA, policy: identityPolicy, failures: failures, now: now,
                source: source)
        }
    }

    /// Verifies a chain given as PEM text (leaf first), e.g. the contents of `NAME.cert.pem`.
    ///
    /// See ``verify(certificateChain:trustedCA:allowing:purpose:now:source:)``.
    public static func verify(
        certificatePEM: String, trustedCA: Certificate, allowing roles: Set<PartyRole> = Set(PartyRole.allCases),
        purpose: Purpose = .clientAuthentication, now: Date = Date(), source: String? = nil
    ) async throws -> PartyIdentity {
        let chain = try PEMFile.parseCertificates(pem: certificatePEM, source: source ?? "presented certificate")
        return try await verify(
            certificateChain: chain, trustedCA: trustedCA, allowing: roles, purpose: purpose, now: now, source: source)
    }

    /// Verifies a chain given as DER encodings (leaf first), the form TLS stacks hand over
    /// for a peer.
    ///
    /// See ``verify(certificateChain:trustedCA:allowing:purpose:now:source:)``.
    public static func verify(
        certificateDER: [[UInt8]], trustedCA: Certificate, allowing roles: Set<PartyRole> = Set(PartyRole.allCases),
        purpose: Purpose = .clientAuthentication, now: Date = Date(), source: String? = nil
    ) async throws -> PartyIdentity {
        let chain = try certificateDER.map { der in
            do {
                return try Certificate(derEncoded: der)
            } catch {
                throw PKIError(
                    code: .malformed, message: "\(source ?? "presented certificate"): does not parse as X.509", cause: error)
            }
        }
        return try await verify(
            certificateChain: chain, trustedCA: trustedCA, allowing: roles, purpose: purpose, now: now, source: source)
    }

    /// Why the verifier refused `leaf`, as one error that names it. The `Verifier` has decided;
    /// this only finds the clearest reason.
    private static func diagnose(
        _ leaf: Certificate, chain: [Certificate], trustedCA: Certificate, policy: CohortIdentityPolicy,
        failures: [CertificateValidationResult.PolicyFailure], now: Date, source: String?
    ) -> PKIError {
        let prefix = source.map { "\($0): " } ?? ""
        // No candidate chain at all: no certificate in the trust store signed it.
        if failures.isEmpty {
            let issuer = chain.last ?? leaf
            let signedByCA = issuer.issuer == trustedCA.subject
                && trustedCA.publicKey.isValidSignature(issuer.signature, for: issuer)
            if signedByCA {
                return PKIError(
                    code: .untrusted,
                    message: "\(prefix)\(leaf.label) is signed by the federation CA but carries an unsupported critical extension")
            }
            let sameName = issuer.issuer == trustedCA.subject ? " (the same issuer name, but the signature does not verify with this CA's key)" : ""
            return PKIError(
                code: .foreignCertificate,
                message: "\(prefix)foreign certificate: \(leaf.label), issued by '\(leaf.issuer)'\(sameName), "
                    + "is not signed by this federation's CA '\(trustedCA.subject)'")
        }
        if now > leaf.notValidAfter {
            return PKIError(
                code: .expired, message: "\(prefix)\(leaf.label) expired on \(leaf.notValidAfter.formatted(.iso8601))")
        }
        if now < leaf.notValidBefore {
            return PKIError(
                code: .notYetValid,
                message: "\(prefix)\(leaf.label) is not valid until \(leaf.notValidBefore.formatted(.iso8601))")
        }
        if now > trustedCA.notValidAfter || now < trustedCA.notValidBefore {
            return PKIError(
                code: now > trustedCA.notValidAfter ? .expired : .notYetValid,
                message: "\(prefix)\(leaf.label) was issued by the federation CA \(trustedCA.label), which is valid only "
                    + "from \(trustedCA.notValidBefore.formatted(.iso8601)) to \(trustedCA.notValidAfter.formatted(.iso8601))")
        }
        do {
            _ = try policy.check(leaf)
        } catch var error as PKIError {
            error.message = prefix + error.message
            return error
        } catch {
            return PKIError(code: .untrusted, message: "\(prefix)\(leaf.label) is not trusted", cause: error)
        }
        let reasons = failures.map { $0.policyFailureReason.description }.joined(separator: "; ")
        return PKIError(code: .untrusted, message: "\(prefix)\(leaf.label) is not trusted: \(reasons)")
    }
}
