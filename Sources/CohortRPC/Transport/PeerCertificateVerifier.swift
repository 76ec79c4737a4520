import Foundation
import NIOCore
import NIOSSL
import X509

/// The TLS verification of a peer's certificate, done by Cohort rather than by BoringSSL.
///
/// NIOSSL hands the certificates the peer presented (leaf first) to this callback during the
/// handshake; it runs ``PartyIdentity/verify(certificateDER:trustedCA:allowing:purpose:now:source:)``
/// (swift-certificates' RFC 5280 checks against the federation CA, validity, and the Cohort
/// identity policy) and completes the handshake only if that passes. Doing it here rather
/// than with BoringSSL's own check gives one verification path for files and connections,
/// and a refusal that names the certificate (CN, serial, issuer, expiry) instead of an
/// opaque alert: each refusal is passed to `onRefusal` for the log.
///
/// On success the validated chain is the leaf and the federation CA (Cohort issues no
/// intermediates); the gRPC transport exposes it to handlers, see
/// ``GRPCCore/ServerContext/peerIdentity``.
struct PeerCertificateVerifier: Sendable {
    /// The NIOSSL callback type that grpc-swift-nio-transport's TLS configurations take.
    typealias Callback = @Sendable (
        _ certificates: [NIOSSLCertificate], _ promise: EventLoopPromise<NIOSSLVerificationResultWithMetadata>
    ) -> Void

    let trustedCA: Certificate
    let trustedCAForTLS: NIOSSLCertificate
    let roles: Set<PartyRole>
    let purpose: PartyIdentity.Purpose
    /// Names the peer in refusals, e.g. "TLS client".
    let source: String
    let onRefusal: @Sendable (PKIError) -> Void

    init(
        credentials: PartyCredentials, roles: Set<PartyRole>, purpose: PartyIdentity.Purpose, source: String,
        onRefusal: @escaping @Sendable (PKIError) -> Void
    ) throws {
        let caCertificates: [NIOSSLCertificate]
        do {
            caCertificates = try NIOSSLCertificate.fromPEMBytes(credentials.trustedCAPEM)
        } catch {
            throw TransportConfigurationError(
                field: "federation CA", message: "TLS cannot read the CA certificate", cause: error)
        }
        guard let ca = caCertificates.first else {
            throw TransportConfigurationError(field: "federation CA", message: "holds no certificate")
        }
        self.trustedCA = credentials.trustedCA
        self.trustedCAForTLS = ca
        self.roles = roles
        self.purpose = purpose
        self.source = source
        self.onRefusal = onRefusal
    }

    /// The callback for NIOSSL: verification runs off the event loop and completes `promise`.
    var callback: Callback {
        { certificates, promise in
            promise.completeWithTask { await self.verify(certificates) }
        }
    }

    /// Verifies a presented chain; `.failed` (after reporting why) if it is not acceptable.
    func verify(_ presented: [NIOSSLCertificate], now: Date = Date()) async -> NIOSSLVerificationResultWithMetadata {
        do {
            let der = try presented.map { try $0.toDERBytes() }
            _ = try await PartyIdentity.verify(
                certificateDER: der, trustedCA: trustedCA, allowing: roles, purpose: purpose, now: now, source: source)
            guard let leaf = presented.first else { return .failed }  // verify refuses an empty chain
            return .certificateVerified(VerificationMetadata(ValidatedCertificateChain([leaf, trustedCAForTLS])))
        } catch let error as PKIError {
            onRefusal(error)
            return .failed
        } catch {
            onRefusal(PKIError(code: .malformed, message: "\(source): the presented certificate cannot be read", cause: error))
            return .failed
        }
    }
}
