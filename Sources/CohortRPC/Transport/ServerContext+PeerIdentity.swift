import GRPCCore
import GRPCNIOTransportHTTP2Posix
import X509

extension ServerContext {
    /// The party on the other end of this call, read from its TLS client certificate.
    ///
    /// grpc-swift-nio-transport's Posix server puts the peer's certificate in
    /// `transportSpecific` (`HTTP2ServerTransport.Posix.Context.peerCertificate`, and the
    /// validated chain in `peerCertificateChain` because ``HTTP2ServerTransport/Posix/mutualTLS(host:port:credentials:accepting:limits:onRefusal:)``
    /// verifies with a custom callback). That certificate already passed
    /// ``PartyIdentity/verify(certificateDER:trustedCA:allowing:purpose:now:source:)`` during the
    /// handshake, so here its identity (SAN `cohort://ROLE/NAME`, agreeing with `CN` and `OU`) is
    /// only read, not verified again.
    ///
    /// - Throws: `RPCError` with code `unauthenticated` if the call did not come over a
    ///   mutual-TLS connection (e.g. a plaintext or in-process transport) or the certificate
    ///   names no Cohort party.
    public var peerIdentity: PartyIdentity {
        get throws {
            guard let posix = transportSpecific as? HTTP2ServerTransport.Posix.Context,
                let leaf = posix.peerCertificateChain?.leaf ?? posix.peerCertificate
            else {
                throw RPCError(
                    code: .unauthenticated,
                    message: "\(descriptor.fullyQualifiedMethod) from \(remotePeer): no verified client certificate")
            }
            do {
                return try leaf.partyIdentity()
            } catch {
                throw RPCError(
                    code: .unauthenticated,
                    message: "\(descriptor.fullyQualifiedMethod) from \(remotePeer): the client certificate names no Cohort party",
                    cause: error)
            }
        }
    }

    /// The caller's identity, if its role is one of `roles`.
    ///
    /// - Throws: `RPCError` with code `unauthenticated` (see ``peerIdentity``), or
    ///   `permissionDenied` naming the caller, the method and the roles allowed.
    public func requirePeer(_ roles: Set<PartyRole>) throws -> PartyIdentity {
        let identity = try peerIdentity
        do {
            try identity.require(roles, for: descriptor.method)
        } catch let error as PKIError {
            throw RPCError(code: .permissionDenied, message: error.message, cause: error)
        }
        return identity
    }
}
