import GRPCCore
import GRPCNIOTransportHTTP2Posix

extension HTTP2ClientTransport.Posix {
    /// A site's or researcher's transport to the orchestrator: HTTP/2 over mutual TLS.
    ///
    /// - The client presents `credentials` (its own certificate, which the orchestrator
    ///   verifies and reads its identity from).
    /// - It trusts only the federation CA: the server's chain is verified by
    ///   ``PartyIdentity/verify(certificateDER:trustedCA:allowing:purpose:now:source:)`` as an
    ///   orchestrator certificate with `serverAuth`, and NIOSSL then matches `host` against the
    ///   certificate's DNS or IP subject alternative names. A refusal is reported to `onRefusal`.
    /// - Responses larger than `limits.maxMessageBytes` are refused; the server refuses such
    ///   requests (see ``MessageLimits``).
    ///
    /// The transport connects lazily, when the `GRPCClient` runs, and reconnects with backoff.
    ///
    /// - Parameters:
    ///   - host: the orchestrator's DNS name or IP address, as in its certificate.
    ///   - port: its TCP port.
    ///   - credentials: this party's certificate, key and the federation CA.
    ///   - limits: the largest message sent or accepted.
    ///   - onRefusal: called with the reason when the server's certificate is refused.
    /// - Throws: ``TransportConfigurationError`` for a malformed host or port or inconsistent limits.
    public static func mutualTLS(
        host: String, port: Int, credentials: PartyCredentials, limits: MessageLimits = .default,
        onRefusal: @escaping @Sendable (PKIError) -> Void = { _ in }
    ) throws -> HTTP2ClientTransport.Posix {
        try limits.validate()
        let address = try NetworkAddress(host: host, port: port, field: "orchestrator address")
        guard port > 0 else {
            throw TransportConfigurationError(field: "orchestrator address", message: "port 0 cannot be dialled")
        }
        let target: any ResolvableTarget
        switch address.host {
        case .ipv4(let ip): target = ResolvableTargets.IPv4(addresses: [.init(host: ip, port: port)])
        case .ipv6(let ip): target = ResolvableTargets.IPv6(addresses: [.init(host: ip, port: port)])
        case .dns(let name): target = ResolvableTargets.DNS(host: name, port: port)
        }
        let verifier = try PeerCertificateVerifier(
            credentials: credentials, roles: [.orchestrator], purpose: .serverAuthentication,
            source: "orchestrator at \(address)", onRefusal: onRefusal)

        let security = TransportSecurity.mTLS(
            certificateChain: [.bytes(credentials.certificateChainPEM, format: .pem)],
            privateKey: .bytes(credentials.privateKeyPEM, format: .pem)
        ) { tls in
            // Full verification: the callback checks the chain, NIOSSL then the host name.
            tls.serverCertificateVerification = .fullVerification
            tls.trustRoots = .certificates([.bytes(credentials.trustedCAPEM, format: .pem)])
            tls.customVerificationCallback = verifier.callback
        }
        let everyMethod = MethodConfig(
            names: [MethodConfig.Name(service: "")],
            maxRequestMessageBytes: limits.maxMessageBytes, maxResponseMessageBytes: limits.maxMessageBytes)
        return try HTTP2ClientTransport.Posix(
            target: target, transportSecurity: security, serviceConfig: ServiceConfig(methodConfig: [everyMethod]))
    }
}
